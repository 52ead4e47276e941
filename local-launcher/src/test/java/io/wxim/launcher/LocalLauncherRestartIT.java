package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.wxim.testinfra.TestInfra;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A launcher killed with {@code kill -9} (a crash, an impatient user) leaves its redis-server running in a session of
 * its own, on the port and the AOF; the next launcher on the same data directory stops it (SIGTERM, so its data is
 * flushed, not lost) and starts on the same port. A second launcher on a directory in use refuses to start, naming the
 * first, and leaves it running. A start that fails says why in one message, without a stack trace. Runs after
 * packaging (failsafe).
 */
class LocalLauncherRestartIT {
    private static final Duration STOP = Duration.ofSeconds(90);

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aLauncherStartsAfterOneKilledOnTheSameData_stoppingItsRedisServerWithoutLosingData() throws Exception {
        Path data = Files.createTempDirectory("wxim-restart");
        String redisPort = String.valueOf(TestInfra.freePort());
        Map<String, String> env = Map.of("WXIM_REDIS_PORT", redisPort);
        long leftOver;
        try (LauncherProcess killed = LauncherProcess.start(data, env, false)) {
            killed.awaitStarted();
            redis(redisPort, connection -> connection.sync().set("wxim:it:survives", "yes"));
            leftOver = Long.parseLong(Files.readString(EmbeddedRedis.pidFile(data.resolve("redis"))).strip());
            killed.killJvm();
        }
        try {
            restartsAfter(data, env, redisPort, leftOver);
        } finally {
            ProcessHandle.of(leftOver) // the test failed: not left behind
                    .filter(p -> p.info().command().map(command -> command.contains("redis-server")).orElse(false))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private static void restartsAfter(Path data, Map<String, String> env, String redisPort, long leftOver) throws Exception {
        assertThat(ProcessHandle.of(leftOver).map(ProcessHandle::isAlive)).as("redis-server outlives a killed launcher")
                .contains(true);

        try (LauncherProcess next = LauncherProcess.start(data, env, false)) {
            next.awaitStarted();
            assertThat(next.output()).contains("stopped the redis-server (pid " + leftOver + ")");
            assertThat(ProcessHandle.of(leftOver).filter(ProcessHandle::isAlive)).as("the left-over redis-server").isEmpty();
            assertThat(Files.readString(data.resolve("redis").resolve("redis-server.log")).lines())
                    .as("stopped as a normal stop: SIGTERM, the AOF written")
                    .anyMatch(line -> line.startsWith(leftOver + ":signal-handler") && line.contains("Received SIGTERM"));
            redis(redisPort, connection -> assertThat(connection.sync().get("wxim:it:survives")).isEqualTo("yes"));

            // a copy of the data directory names the running redis-server in its pidfile: not that launcher's to stop
            Path copy = Files.createDirectories(Files.createTempDirectory("wxim-copy").resolve("redis"));
            Files.copy(EmbeddedRedis.pidFile(data.resolve("redis")), EmbeddedRedis.pidFile(copy));
            long running = Long.parseLong(Files.readString(EmbeddedRedis.pidFile(copy)).strip());
            try (LauncherProcess onTheCopy = LauncherProcess.start(copy.getParent(), Map.of(), false)) {
                onTheCopy.awaitStarted();
                assertThat(onTheCopy.output()).doesNotContain("stopped the redis-server");
                assertThat(ProcessHandle.of(running).map(ProcessHandle::isAlive)).as("the running launcher's redis-server")
                        .contains(true);
                onTheCopy.terminate();
                assertThat(onTheCopy.awaitExit(STOP)).isTrue();
            }

            // a second launcher on the same data directory: refused, and the running one is untouched
            try (LauncherProcess second = LauncherProcess.start(data, Map.of(), false)) {
                assertThat(second.awaitExit(STOP)).as("refused at once:%n%s", second.output()).isTrue();
                assertThat(second.exitValue()).isEqualTo(1);
                assertThat(second.output()).contains("another wxim launcher (pid " + next.pid() + ") is using " + data);
            }
            redis(redisPort, connection -> assertThat(connection.sync().get("wxim:it:survives")).isEqualTo("yes"));
            assertThat(next.output()).as("the running launcher").doesNotContain("stopping (at most");

            next.terminate();
            assertThat(next.awaitExit(STOP)).as("stopped within %s:%n%s", STOP, next.output()).isTrue();
            assertThat(next.output().lines().filter(line -> line.equals("redis-server stopped"))).hasSize(1);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStartThatFails_saysWhyInOneMessage_withoutAStackTrace() throws Exception {
        Path data = Files.createTempDirectory("wxim-port-taken");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             LauncherProcess launcher = LauncherProcess.start(data,
                     Map.of("WXIM_REDIS_PORT", String.valueOf(taken.getLocalPort())), false)) {
            assertThat(launcher.awaitExit(STOP)).as("exits:%n%s", launcher.output()).isTrue();
            assertThat(launcher.exitValue()).isEqualTo(1);
            assertThat(launcher.output()).contains("wxim did not start: redis-server did not start")
                    .contains("Address already in use");
            assertThat(launcher.output().lines()).as("%s", launcher.output())
                    .noneMatch(line -> line.startsWith("\tat ") || line.startsWith("Caused by:")
                            || line.equals("redis-server stopped"));
        }
    }

    private interface RedisUse {
        void accept(StatefulRedisConnection<String, String> connection) throws Exception;
    }

    private static void redis(String port, RedisUse use) throws Exception {
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + port);
        client.setDefaultTimeout(Duration.ofSeconds(5));
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            use.accept(connection);
        } finally {
            client.shutdown();
        }
    }
}
