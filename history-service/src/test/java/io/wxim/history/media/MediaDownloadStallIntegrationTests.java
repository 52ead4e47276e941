package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.gridfs.model.GridFSFile;
import com.mongodb.reactivestreams.client.gridfs.GridFSDownloadPublisher;
import io.wxim.history.FakeAuthAndChat;
import io.wxim.testinfra.MediaSamples;
import io.wxim.testinfra.TestInfra;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.data.mongodb.ReactiveMongoDatabaseFactory;
import org.springframework.data.mongodb.core.convert.MappingMongoConverter;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.gridfs.ReactiveGridFsResource;
import org.springframework.data.mongodb.gridfs.ReactiveGridFsTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Downloads when GridFS stops answering, over real HTTP against a real MongoDB: the file's GridFS store is wrapped so
 * that a test can make its lookup never answer, or its bytes stop after the first chunk. Short timeouts (2 s) keep the
 * tests quick.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=history-service", "management.server.port=0",
                "im.history.mongo-timeout=2s", "im.history.media.download-idle-timeout=2s",
                "im.history.media.sweep-interval=1h"})
@AutoConfigureWebTestClient(timeout = "20s")
@Timeout(60)
class MediaDownloadStallIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final FakeAuthAndChat FAKES = new FakeAuthAndChat();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_history_stall_" + UUID.randomUUID().toString().substring(0, 8)));
        registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", () -> FAKES.baseUrl() + "/jwks");
        registry.add("im.history.chat-base-url", FAKES::baseUrl);
    }

    @AfterAll
    static void stopFakes() {
        FAKES.close();
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class StallableStore {
        @Bean
        @Primary
        StallableGridFs stallableGridFs(ReactiveMongoDatabaseFactory factory, MappingMongoConverter converter) {
            return new StallableGridFs(factory, converter);
        }
    }

    @Autowired
    WebTestClient web;

    @Autowired
    StallableGridFs gridFs;

    @AfterEach
    void answerAgain() {
        gridFs.stall.set(Stall.NONE);
    }

    @Test
    void answers503BeforeAnyHeader_whenTheFileStoreDoesNotAnswer() {
        String url = upload();
        gridFs.stall.set(Stall.LOOKUP);

        long started = System.nanoTime();
        web.get().uri(url).exchange()
                .expectStatus().isEqualTo(503)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER);
        web.get().uri(url).header(HttpHeaders.RANGE, "bytes=10-19").exchange().expectStatus().isEqualTo(503);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("bounded by the Mongo timeout").isLessThan(WAIT);

        gridFs.stall.set(Stall.NONE);
        web.get().uri(url).exchange().expectStatus().isOk();
    }

    @Test
    void abortsTheDownload_whenItsBytesStopForTheIdleTimeout() {
        byte[] png = MediaSamples.noisePng(200, 200);
        assertThat(png.length).isGreaterThan(FirstChunkOnly.SIZE);
        String url = upload(png);
        gridFs.stall.set(Stall.BYTES);

        Flux<DataBuffer> body = web.get().uri(url).exchange()
                .expectStatus().isOk()
                .expectHeader().contentLength(png.length)
                .returnResult(DataBuffer.class).getResponseBody();
        AtomicLong received = new AtomicLong();
        StepVerifier.create(body)
                .thenConsumeWhile(buffer -> {
                    received.addAndGet(buffer.readableByteCount());
                    DataBufferUtils.release(buffer);
                    return true;
                })
                .expectErrorSatisfies(e -> assertThat(e).as("the connection is closed under the body")
                        .hasMessageContaining("prematurely closed"))
                .verify(WAIT);
        assertThat(received.get()).as("cut short after the first chunk").isEqualTo(FirstChunkOnly.SIZE);
    }

    private String upload() {
        return upload(MediaSamples.png(40, 40, false));
    }

    private String upload(byte[] content) {
        MultipartBodyBuilder body = new MultipartBodyBuilder();
        body.part("file", content).filename("p.png").contentType(MediaType.IMAGE_PNG);
        Map<String, Object> uploaded = web.post().uri("/api/media")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + FAKES.token("alice"))
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(body.build()))
                .exchange().expectStatus().isCreated()
                .expectBody(new ParameterizedTypeReference<Map<String, Object>>() { }).returnResult().getResponseBody();
        assertThat(uploaded.get("size")).isEqualTo(content.length);
        return (String) uploaded.get("url");
    }

    enum Stall { NONE, LOOKUP, BYTES }

    /** GridFS as configured, until a test makes its lookup never answer or its bytes stop after the first chunk. */
    static final class StallableGridFs extends ReactiveGridFsTemplate {
        final AtomicReference<Stall> stall = new AtomicReference<>(Stall.NONE);

        StallableGridFs(ReactiveMongoDatabaseFactory factory, MappingMongoConverter converter) {
            super(factory, converter);
        }

        @Override
        public Mono<GridFSFile> findOne(Query query) {
            return stall.get() == Stall.LOOKUP ? Mono.never() : super.findOne(query);
        }

        @Override
        public Mono<ReactiveGridFsResource> getResource(GridFSFile file) {
            return stall.get() == Stall.BYTES
                    ? Mono.just(new ReactiveGridFsResource(file.getFilename(), new FirstChunkOnly(file)))
                    : super.getResource(file);
        }
    }

    /** A download that sends its first chunk and then nothing, as a MongoDB that stalls mid-file. */
    record FirstChunkOnly(GridFSFile file) implements GridFSDownloadPublisher {
        static final int SIZE = 1024;

        @Override
        public Publisher<GridFSFile> getGridFSFile() {
            return Mono.just(file);
        }

        @Override
        public GridFSDownloadPublisher bufferSizeBytes(int bufferSizeBytes) {
            return this;
        }

        @Override
        public void subscribe(Subscriber<? super ByteBuffer> subscriber) {
            Flux.just(ByteBuffer.wrap(new byte[SIZE])).concatWith(Flux.never()).subscribe(subscriber);
        }
    }
}
