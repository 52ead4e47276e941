package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.TestInfra;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher's stop order, for real (the exec jar as a process, with a user connected): on SIGTERM and on Ctrl+C
 * (SIGINT to the whole process group, as a terminal sends it) the services stop first, the gateway's drain reaching
 * Redis (the user's DISCONNECT arrives, so chat-service no longer counts the connection), and only then redis-server,
 * by the launcher's SIGTERM, with no WARN or ERROR line during the stop (a Redis gone early makes Lettuce warn about
 * reconnecting and the DISCONNECT fail). Runs after packaging (failsafe).
 */
class LocalLauncherShutdownIT {
    private static final Duration STOP = Duration.ofSeconds(90);
    private static final String GOING_AWAY = "4001";

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void stopsTheServicesBeforeRedis_whenSentSigterm() throws Exception {
        stopsTheServicesBeforeRedis(false);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void stopsTheServicesBeforeRedis_whenCtrlCReachesTheWholeProcessGroup() throws Exception {
        stopsTheServicesBeforeRedis(true);
    }

    private static void stopsTheServicesBeforeRedis(boolean ctrlC) throws Exception {
        Path data = Files.createTempDirectory("wxim-stop");
        String connectionsKey;
        String output;
        try (LauncherProcess launcher = LauncherProcess.start(data, Map.of(), ctrlC)) {
            launcher.awaitStarted();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String token = devLogin(http, launcher.port(), "leaving");
            WsClient client = WsClient.connect(http, launcher.port(), token);
            connectionsKey = RedisNames.connections(client.await(ServerFrame.Welcome.class).user().id());

            if (ctrlC) {
                launcher.interruptProcessGroup();
            } else {
                launcher.terminate(); // SIGTERM to the JVM only
            }

            assertThat(String.valueOf(client.closeCode(Duration.ofSeconds(30)))).as("drain close").isEqualTo(GOING_AWAY);
            assertThat(launcher.awaitExit(STOP)).as("stopped within %s:%n%s", STOP, launcher.output()).isTrue();
            output = launcher.output();
        }

        List<String> stopping = output.lines().dropWhile(line -> !line.startsWith("stopping (at most")).toList();
        assertThat(stopping).as("the stop's output:%n%s", output).isNotEmpty();
        assertThat(stopping).as("WARN/ERROR lines during the stop")
                .noneMatch(line -> line.contains(" WARN ") || line.contains(" ERROR ") || line.contains("did not stop"));
        // redis-server stops last: nothing is logged after it, then the total
        assertThat(stopping.get(stopping.size() - 2)).as("%s", stopping).isEqualTo("redis-server stopped");
        assertThat(stopping.get(stopping.size() - 1)).startsWith("stopped in ");
        String redisLog = Files.readString(data.resolve("redis").resolve("redis-server.log"));
        assertThat(redisLog).as("redis-server stopped by the launcher, not by Ctrl+C").contains("Received SIGTERM")
                .doesNotContain("Received SIGINT");

        // the DISCONNECT reached Redis and chat-service: the user's connection is gone from Redis (AOF, read back)
        int port = TestInfra.freePort();
        try (EmbeddedRedis redis = EmbeddedRedis.launch(port, data.resolve("redis"))) {
            redis.awaitReady();
            RedisClient client = RedisClient.create("redis://127.0.0.1:" + port);
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                assertThat(connection.sync().exists(connectionsKey)).as("connections of the user").isZero();
            } finally {
                client.shutdown();
            }
        }
    }

    private static String devLogin(HttpClient http, int port, String nickname) throws Exception {
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/auth/dev-login"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"nickname\":\"" + nickname + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        return login.body().replaceAll(".*\"accessToken\":\"([^\"]+)\".*", "$1");
    }
}
