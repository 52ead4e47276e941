package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.wxim.history.FakeAuthAndChat;
import io.wxim.history.config.HistoryProperties;
import io.wxim.testinfra.MediaSamples;
import io.wxim.testinfra.TestInfra;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A client that goes away in the middle of {@code POST /api/media}, after its file was stored but before the answer
 * (with the id) was handed on, over a raw socket against a real MongoDB (GridFS): the file is deleted at once, not left
 * for the orphan sweep (whose TTL here is an hour, so only the cancel can delete it). One whose answer was sent keeps
 * its file. The media records' store can be made to write a record and then not answer. A refused upload releases the
 * body it did not read (Netty's paranoid leak detection reports no buffer).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=history-service", "management.server.port=0",
                "im.history.media.orphan-ttl=1h", "im.history.media.sweep-interval=1h"})
@Timeout(60)
class MediaUploadCancelIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final FakeAuthAndChat FAKES = new FakeAuthAndChat();
    private static final String BOUNDARY = "cancel-boundary-7Qm2";

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_history_cancel_" + UUID.randomUUID().toString().substring(0, 8)));
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
        StallableRecords stallableRecords(ReactiveMongoTemplate mongo, HistoryProperties history) {
            return new StallableRecords(mongo, history.mongoTimeout());
        }
    }

    /** Names the thread on which each {@code POST /api/media} request's body was cancelled. */
    @TestConfiguration(proxyBeanMethods = false)
    static class BodyCancelRecorder {
        @Bean
        WebFilter recordBodyCancels() {
            return (exchange, chain) -> chain.filter(exchange.mutate().request(new ServerHttpRequestDecorator(exchange.getRequest()) {
                @Override
                public Flux<DataBuffer> getBody() {
                    return super.getBody().doOnCancel(() -> BODY_CANCELS.add(Thread.currentThread().getName()));
                }
            }).build());
        }
    }

    static final Queue<String> BODY_CANCELS = new ConcurrentLinkedQueue<>();

    @Value("${local.server.port}")
    int port;

    @Autowired
    ReactiveMongoTemplate mongo;

    @Autowired
    StallableRecords records;

    @AfterEach
    void answerAgain() {
        records.stall.set(false);
    }

    @Test
    void deletesTheStoredFile_whenTheClientGoesAwayBeforeTheClosingBoundary() throws IOException, InterruptedException {
        String user = "gone-" + UUID.randomUUID().toString().substring(0, 6);
        byte[] head = filePart(MediaSamples.png(40, 40, false));
        byte[] rest = ("\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot all of it")
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            // the declared length promises more than is sent: the server waits for the closing boundary
            OutputStream out = socket.getOutputStream();
            out.write(requestHead(user, head.length + rest.length + 200));
            out.write(head);
            out.write(rest);
            out.flush();
            MediaDocument stored = awaitStoredFileOf(user);
            ListAppender<ILoggingEvent> logged = captureLogs();
            socket.close();

            awaitNothingLeftOf(user, stored);
            // a client going away is routine: not an ERROR with a stack trace (Reactor's default for the
            // AbortedException it drops), nor a WARN; the drop may come a little after the delete
            awaitDroppedError(Duration.ofSeconds(2));
            assertThat(logged.list).noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.WARN));
        }
    }

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    private ListAppender<ILoggingEvent> captureLogs() {
        logged.list = new java.util.concurrent.CopyOnWriteArrayList<>(); // appended from Netty threads, read here
        droppedErrors().setLevel(Level.DEBUG);
        logged.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logged);
        return logged;
    }

    /** Waits until the dropped error was handled (logged at DEBUG), at most {@code atMost}: there may be none. */
    private void awaitDroppedError(Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline && logged.list.stream().noneMatch(event ->
                event.getLoggerName().equals(droppedErrors().getName()) || event.getLevel().isGreaterOrEqual(Level.WARN))) {
            Thread.sleep(20);
        }
    }

    private static Logger droppedErrors() {
        return (Logger) LoggerFactory.getLogger("io.wxim.history.config.DroppedErrorLogging");
    }

    @AfterEach
    void stopCapturing() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logged);
        droppedErrors().setLevel(null);
    }

    @Test
    void deletesTheStoredFile_whenTheClientGoesAwayWhileItsRecordIsBeingWritten() throws IOException {
        String user = "gone-" + UUID.randomUUID().toString().substring(0, 6);
        records.stall.set(true);
        byte[] body = completeBody(MediaSamples.png(40, 40, false));
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(requestHead(user, body.length));
            out.write(body);
            out.flush();
            MediaDocument stored = awaitStoredFileOf(user); // written, but the write has not answered
            socket.close();

            awaitNothingLeftOf(user, stored);
        }
    }

    @Test
    void aRefusalOffTheEventLoopCancelsTheBodyOnIt_andTheConnectionServesTheNextRequest() throws IOException {
        String user = "bomb-" + UUID.randomUUID().toString().substring(0, 6);
        BODY_CANCELS.clear();
        byte[] head = filePart(MediaSamples.hugePngHeader(100_000, 100_000));
        // the pixel check refuses on a decoding thread once the file part has ended, while more body is still to come
        byte[] next = ("\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"other\"; filename=\"o.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] rest = ("0123456789".repeat(100) + "\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(requestHead(user, head.length + next.length + rest.length));
            out.write(head);
            out.write(next);
            out.flush();
            assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 413").contains("pixels");
            await().atMost(WAIT).until(() -> !BODY_CANCELS.isEmpty());
            // a cancel from the decoding thread raced the event loop still parsing: a buffer released twice, connection lost
            assertThat(BODY_CANCELS).allSatisfy(thread -> assertThat(thread).matches(".*-http-\\w+-\\d+")); // the server's event loop

            out.write(rest);
            out.write(("GET /api/media/no-such-media/url HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + FAKES.token(user) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 404");
        }
        assertThat(recordsOf(user)).isZero();
    }

    @Test
    void aRefusedUploadReleasesTheBodyItDidNotRead() throws IOException, InterruptedException {
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID); // every buffer allocated from here is tracked
        for (int round = 0; round < 3; round++) {
            collectGarbage(); // what earlier tests leaked (their test client's unread answers) is reported before the capture
        }
        ListAppender<ILoggingEvent> leaks = new ListAppender<>();
        leaks.list = new java.util.concurrent.CopyOnWriteArrayList<>(); // appended from Netty threads, read here
        leaks.start();
        Logger detector = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        detector.addAppender(leaks);
        try {
            // refused as no image or audio at its first bytes, on the event loop; the rest of the file arrives after
            byte[] notMedia = new byte[256 * 1024];
            Arrays.fill(notMedia, (byte) 'x');
            byte[] body = completeBody(notMedia);
            for (int i = 0; i < 10; i++) {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    socket.setSoTimeout((int) WAIT.toMillis());
                    OutputStream out = socket.getOutputStream();
                    out.write(requestHead("refused-" + i, body.length));
                    out.write(body);
                    out.flush();
                    assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 415");
                }
            }
            // a leaked buffer is reported once it was collected, when the detector next tracks one
            for (int round = 0; round < 10 && leaks.list.isEmpty(); round++) {
                collectGarbage();
            }
            List<String> reported = leaks.list.stream()
                    .filter(event -> event.getLevel() == Level.ERROR && event.getFormattedMessage().startsWith("LEAK:"))
                    .map(event -> event.getFormattedMessage().lines().limit(30).collect(Collectors.joining("\n")))
                    .toList();
            assertThat(reported.size()).as("buffers reported leaked; the first:%n%s", reported.isEmpty() ? "" : reported.get(0))
                    .isZero();
        } finally {
            detector.detachAppender(leaks);
            ResourceLeakDetector.setLevel(level);
        }
    }

    private static void collectGarbage() throws InterruptedException {
        System.gc();
        Thread.sleep(150);
        for (int i = 0; i < 4; i++) {
            ByteBufAllocator.DEFAULT.directBuffer(1).release();
        }
    }

    @Test
    void keepsTheFile_whenTheClientGoesAwayAfterReadingTheAnswer() throws IOException {
        String user = "kept-" + UUID.randomUUID().toString().substring(0, 6);
        byte[] body = completeBody(MediaSamples.png(40, 40, false));
        String answer;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(requestHead(user, body.length));
            out.write(body);
            out.flush();
            answer = readAnswer(socket.getInputStream());
        }
        MediaDocument stored = mongo.findOne(Query.query(Criteria.where("owner").is(user)), MediaDocument.class,
                MediaDocument.COLLECTION).block(WAIT);
        assertThat(stored).isNotNull();
        assertThat(answer).startsWith("HTTP/1.1 201").contains("\"id\":\"" + stored.id() + "\"");

        await().during(Duration.ofSeconds(1)).atMost(WAIT)
                .until(() -> filesNamed(stored.id()) == 1 && recordsOf(user) == 1);
    }

    /** Waits until {@code user}'s upload has its bytes in GridFS and its record written; returns the record. */
    private MediaDocument awaitStoredFileOf(String user) {
        await().atMost(WAIT).until(() -> recordsOf(user) == 1);
        MediaDocument stored = mongo.findOne(Query.query(Criteria.where("owner").is(user)), MediaDocument.class,
                MediaDocument.COLLECTION).block(WAIT);
        assertThat(filesNamed(stored.id())).as("the file is in GridFS").isEqualTo(1);
        return stored;
    }

    private void awaitNothingLeftOf(String user, MediaDocument stored) {
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(filesNamed(stored.id())).as("GridFS file").isZero();
            assertThat(mongo.count(Query.query(Criteria.where("files_id").is(stored.fileId())), "fs.chunks").block(WAIT))
                    .as("GridFS chunks").isZero();
            assertThat(recordsOf(user)).as("media record").isZero();
        });
    }

    private long filesNamed(String mediaId) {
        return mongo.count(Query.query(Criteria.where("filename").is(mediaId)), "fs.files").block(WAIT);
    }

    private long recordsOf(String user) {
        return mongo.count(Query.query(Criteria.where("owner").is(user)), MediaDocument.COLLECTION).block(WAIT);
    }

    private static byte[] requestHead(String user, int contentLength) {
        return ("POST /api/media HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Authorization: Bearer " + FAKES.token(user) + "\r\n"
                + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\n"
                + "Content-Length: " + contentLength + "\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The opening boundary, the {@code file} part's headers and all of its bytes (not the delimiter after them). */
    private static byte[] filePart(byte[] content) {
        ByteArrayOutputStream part = new ByteArrayOutputStream();
        part.writeBytes(("--" + BOUNDARY + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        part.writeBytes(content);
        return part.toByteArray();
    }

    private static byte[] completeBody(byte[] content) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(filePart(content));
        body.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return body.toByteArray();
    }

    /** The status line, headers and Content-Length body of one answer. */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder answer = new StringBuilder();
        int length = 0;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            answer.append(line).append("\r\n");
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(lower.substring("content-length:".length()).trim());
            }
        }
        answer.append("\r\n").append(new String(in.readNBytes(length), StandardCharsets.UTF_8));
        return answer.toString();
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed in the answer's head");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** The media records' store, until a test makes a record's write land and then not answer. */
    static final class StallableRecords extends MediaRepository {
        final AtomicBoolean stall = new AtomicBoolean();

        StallableRecords(ReactiveMongoTemplate mongo, Duration timeout) {
            super(mongo, timeout);
        }

        @Override
        Mono<MediaDocument> insert(MediaDocument doc) {
            return stall.get() ? super.insert(doc).then(Mono.never()) : super.insert(doc);
        }
    }
}
