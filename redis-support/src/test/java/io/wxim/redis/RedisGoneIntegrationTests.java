package io.wxim.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import redis.embedded.RedisServer;

/**
 * With wxim's client options, a command written while Redis is gone is rejected at once by Lettuce's validation,
 * before its writer section, and so is the next command a failure handler writes: nothing waits for the endpoint's
 * lock (the property that keeps the Lettuce deadlock {@link RedisClientAutoConfiguration} describes out; the deadlock
 * itself needs the event loop's close or reactivation at the same instant and is not reproduced here). Nothing piles
 * up in a buffer while Redis is gone, and the client reconnects once Redis is back. A Redis of its own (embedded
 * binary), since the test stops it.
 */
@Timeout(60)
class RedisGoneIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
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
    void commandsWhileRedisIsGone_areRejectedAtOnce_alsoFromAFailureHandler_andTheClientRecovers() throws Exception {
        int port = OwnRedis.freePort();
        server = OwnRedis.start(port);
        factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port),
                LettuceClientConfiguration.builder()
                        .clientOptions(RedisClientAutoConfiguration.apply(ClientOptions.builder()).build())
                        .commandTimeout(COMMAND_TIMEOUT)
                        .build());
        factory.afterPropertiesSet();
        factory.start();
        ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
        assertThat(redis.opsForValue().set("k", "v").block(WAIT)).isTrue();

        server.stop();
        // once Lettuce noticed the close, every command is rejected (without the option they wait in Lettuce's buffer
        // until the timeout, and this wait fails)
        Flux.interval(Duration.ofMillis(50)).onBackpressureDrop()
                .concatMap(i -> redis.hasKey("k").map(v -> false).onErrorResume(e -> Mono.just(rejected(e))))
                .takeUntil(rejected -> rejected)
                .blockLast(Duration.ofSeconds(20));

        AtomicReference<Throwable> first = new AtomicReference<>();
        AtomicReference<Throwable> next = new AtomicReference<>();
        redis.hasKey("k")
                .onErrorResume(e -> {
                    first.set(e);
                    return redis.hasKey("k").onErrorResume(e2 -> { // the next command, written by the handler
                        next.set(e2);
                        return Mono.just(false);
                    });
                })
                .block(WAIT);

        assertThat(rejected(first.get())).as("first: %s", first.get()).isTrue();
        assertThat(rejected(next.get())).as("next: %s", next.get()).isTrue();

        server = OwnRedis.start(port); // Redis is back: the client reconnects by itself
        Boolean answered = Flux.interval(Duration.ofMillis(100)).onBackpressureDrop()
                .concatMap(i -> redis.opsForValue().set("k", "again").onErrorReturn(false))
                .takeUntil(ok -> ok)
                .blockLast(Duration.ofSeconds(30));
        assertThat(answered).isTrue();
    }

    /** Lettuce's validation refused the command because the connection is down (not a timeout, not a buffer). */
    private static boolean rejected(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("Commands are rejected")) {
                return true;
            }
        }
        return false;
    }
}
