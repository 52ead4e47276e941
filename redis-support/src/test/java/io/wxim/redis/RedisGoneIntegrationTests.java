package io.wxim.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import redis.embedded.RedisServer;

/**
 * With wxim's client options, a command that fails at once because Redis is gone signals its error on another thread
 * than the one that wrote it: its error handler cannot write the next command inside the failed write (the property
 * that rules out the Lettuce deadlock {@link RedisClientAutoConfiguration} describes; the deadlock itself needs a
 * second thread's close at the same instant and is not reproduced here). And the client reconnects once Redis is back.
 * A Redis of its own (embedded binary), since the test stops it.
 */
@Timeout(60)
class RedisGoneIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private RedisServer server;
    private LettuceConnectionFactory factory;

    @AfterEach
    void tearDown() throws IOException {
        OwnRedis.destroy(factory, WAIT);
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aCommandFailingWhileRedisIsGone_signalsOutsideTheWrite_andTheClientRecovers() throws Exception {
        int port = OwnRedis.freePort();
        server = OwnRedis.start(port);
        factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port),
                LettuceClientConfiguration.builder()
                        // rejecting commands while disconnected makes a command fail inside its write at once, as
                        // Lettuce does after a failed reconnect (its "connection error" state, which a clean stop of
                        // the server does not reliably reach): the failure to signal is the same
                        .clientOptions(RedisClientAutoConfiguration.apply(ClientOptions.builder())
                                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build())
                        .commandTimeout(Duration.ofSeconds(2))
                        .build());
        factory.afterPropertiesSet();
        factory.start();
        ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
        assertThat(redis.opsForValue().set("k", "v").block(WAIT)).isTrue();

        server.stop();
        // once Lettuce noticed, every command fails inside its write
        Flux.interval(Duration.ofMillis(50)).onBackpressureDrop()
                .concatMap(i -> redis.hasKey("k").then().elapsed()
                        .map(t -> false)
                        .onErrorResume(e -> reactor.core.publisher.Mono.just(true)).elapsed()
                        .map(t -> t.getT2() && t.getT1() < 300))
                .takeUntil(failedAtOnce -> failedAtOnce)
                .blockLast(Duration.ofSeconds(20));

        Thread caller = Thread.currentThread();
        AtomicReference<Thread> signalledOn = new AtomicReference<>();
        CountDownLatch failed = new CountDownLatch(1);
        redis.hasKey("k").subscribe(v -> { }, error -> {
            signalledOn.set(Thread.currentThread());
            failed.countDown();
        });

        assertThat(failed.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(signalledOn.get()).isNotSameAs(caller); // without the option: the caller, inside its write

        server = OwnRedis.start(port); // Redis is back: the client reconnects by itself
        Boolean answered = Flux.interval(Duration.ofMillis(100)).onBackpressureDrop()
                .concatMap(i -> redis.opsForValue().set("k", "again").onErrorReturn(false))
                .takeUntil(ok -> ok)
                .blockLast(Duration.ofSeconds(30));
        assertThat(answered).isTrue();
    }
}
