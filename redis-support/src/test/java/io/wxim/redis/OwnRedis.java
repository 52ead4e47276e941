package io.wxim.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import redis.embedded.RedisServer;

/**
 * A redis-server of a test's own (embedded binary), for tests that stop it; test-infra's shared one cannot be used
 * here (test-infra depends on this module).
 */
final class OwnRedis {
    private OwnRedis() {
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static RedisServer start(int port) throws IOException {
        RedisServer started = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                .setting("save \"\"").setting("appendonly no").build();
        started.start();
        return started;
    }

    /** Destroys the factory within {@code limit}: a wedged client must not hang the test JVM. */
    static void destroy(LettuceConnectionFactory factory, Duration limit) {
        if (factory != null) {
            Mono.fromRunnable(factory::destroy).subscribeOn(Schedulers.boundedElastic()).block(limit);
        }
    }
}
