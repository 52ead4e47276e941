package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Command 1 of the README, for real: the packaged exec jar (what ./run-local.sh starts) runs as its own process with
 * embedded Redis and the H2-backed Mongo store, prints where to open it, serves the demo, logs a user in, welcomes a
 * WebSocket (kept open by pings past the idle timeout, then closed with 4004 when silent), and stops cleanly on SIGTERM
 * without ERROR lines. Runs after packaging (failsafe), so a jar missing a
 * runtime dependency fails the build.
 */
class LocalLauncherSmokeIT {
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
    /** 127.0.0.1 as {@code /proc/net/tcp} lists it, and as {@code /proc/net/tcp6} does (::ffff:127.0.0.1). */
    private static final java.util.Set<String> LOOPBACK_HEX = java.util.Set.of("0100007F", "0000000000000000FFFF00000100007F");

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void startsTheWholeSystemFromTheExecJar_servesTheDemo_logsIn_andStopsCleanly() throws Exception {
        // configuration from the environment reaches the services; short, so the idle close is seen within the test
        try (LauncherProcess launcher = LauncherProcess.start(Files.createTempDirectory("wxim-smoke"),
                Map.of("IM_GATEWAY_WS_IDLETIMEOUT", IDLE_TIMEOUT.toSeconds() + "s"), false)) {
            launcher.awaitStarted();
            int port = launcher.port();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> demo = http.send(HttpRequest.newBuilder(URI.create(base + "/")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(demo.statusCode()).isEqualTo(200);
            assertThat(demo.body()).contains("<title>wxim demo</title>");
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/api/auth/dev-login"))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"nickname\":\"smoke\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
            String token = login.body().replaceAll(".*\"accessToken\":\"([^\"]+)\".*", "$1");
            // WeChat login goes to the launcher's fake WeChat: a code-<anything> code signs in
            assertThat(launcher.output()).contains("login goes to a local fake WeChat");
            HttpResponse<String> wechat = http.send(HttpRequest.newBuilder(URI.create(base + "/api/auth/wechat/login"))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"code-smoke\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(wechat.statusCode()).as(wechat.body()).isEqualTo(200);
            assertThat(wechat.body()).contains("\"accessToken\"");
            try (WsClient client = WsClient.connect(http, port, token)) {
                assertThat(client.await(ServerFrame.Welcome.class).user().nickname()).isEqualTo("smoke");
                client.send("{\"type\":\"rooms\",\"rid\":\"r1\"}");
                client.await(ServerFrame.Rooms.class, f -> "r1".equals(f.rid()));
                // Prometheus metrics on the gateway's management port (its actuator is on port + 1000)
                HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + (port + 1000) + "/actuator/prometheus")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("im_gateway_connections 1.0")
                        .contains("im_gateway_command_latency_seconds_bucket")
                        .contains("im_gateway_frames_in_total");
                // readiness of every service, with the dependencies each group checks (gateway: Redis and its node
                // channel; auth and chat: Redis and MongoDB; history: the message store), as k8s probes read it
                for (int service = 0; service <= 3; service++) {
                    HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + (port + service + 1000) + "/actuator/health/readiness")).timeout(Duration.ofSeconds(10)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(ready.statusCode()).as("readiness of port %d: %s", port + service, ready.body()).isEqualTo(200);
                    assertThat(ready.body()).contains("\"status\":\"UP\"");
                }
                // this machine only by default (dev login lets anyone sign in): every service and management port
                // listens on 127.0.0.1, none on all interfaces (read from Linux's socket tables, as on CI; other
                // systems have none, and leave this check out)
                boolean linux = System.getProperty("os.name", "").startsWith("Linux");
                for (int offset : linux ? new int[] {0, 1, 2, 3, 1000, 1001, 1002, 1003} : new int[0]) {
                    assertThat(listeningAddresses(port + offset)).as("port %d", port + offset).isNotEmpty()
                            .allMatch(LOOPBACK_HEX::contains);
                }

                // heartbeat: pings keep the connection open past the idle timeout; silence then closes it with 4004
                long pingUntil = System.nanoTime() + IDLE_TIMEOUT.multipliedBy(2).toNanos();
                for (int i = 0; System.nanoTime() < pingUntil; i++) {
                    String rid = "p" + i;
                    client.send("{\"type\":\"ping\",\"rid\":\"" + rid + "\"}");
                    client.await(ServerFrame.Pong.class, f -> rid.equals(f.rid()));
                    Thread.sleep(500);
                }
                assertThat(client.isClosed()).as("open while pinging").isFalse();
                long silentFrom = System.nanoTime();
                assertThat(client.closeCode(IDLE_TIMEOUT.plusSeconds(10))).isEqualTo(4004);
                // silent since the last ping (up to 0.5 s before silentFrom); the sweep runs every second
                assertThat(Duration.ofNanos(client.closedAtNanos() - silentFrom)).isGreaterThan(IDLE_TIMEOUT.minusSeconds(1));
            }

            launcher.terminate(); // SIGTERM: the launcher's shutdown hook stops services, Mongo and redis-server
            assertThat(launcher.awaitExit(Duration.ofSeconds(60))).as("stopped within 60s:%n%s", launcher.output()).isTrue();
            assertThat(launcher.output().lines().filter(line -> line.contains(" ERROR "))).as("ERROR lines").isEmpty();
        }
    }

    /**
     * The local addresses (hex, as the kernel lists them) of the sockets listening on TCP {@code port}, IPv4 and IPv6
     * ({@code /proc/net/tcp}, {@code /proc/net/tcp6}; Linux, as CI).
     */
    private static java.util.List<String> listeningAddresses(int port) throws java.io.IOException {
        String hexPort = String.format(":%04X", port);
        java.util.List<String> addresses = new java.util.ArrayList<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 3 && fields[1].endsWith(hexPort) && "0A".equals(fields[3])) { // 0A: LISTEN
                    addresses.add(fields[1].substring(0, fields[1].length() - hexPort.length()));
                }
            }
        }
        return addresses;
    }

    /** A bind address the services could not call each other on stops the start, saying which ones it takes. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSingleOtherBindAddress_isRefusedBeforeAnythingStarts() throws Exception {
        try (LauncherProcess launcher = LauncherProcess.start(Files.createTempDirectory("wxim-smoke-bind"),
                Map.of("WXIM_BIND", "192.168.1.20"), false)) {
            assertThat(launcher.awaitExit(Duration.ofSeconds(45))).as("exited:%n%s", launcher.output()).isTrue();
            assertThat(launcher.exitValue()).isEqualTo(1);
            assertThat(launcher.output()).contains("wxim did not start: WXIM_BIND=192.168.1.20 is not supported")
                    .contains("0.0.0.0").doesNotContain("redis-server stopped");
        }
    }

    /** Real WeChat login needs the appid and the AppSecret: one without the other stops the start, saying so. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anAppIdWithoutItsAppSecret_isRefusedBeforeAnythingStarts() throws Exception {
        try (LauncherProcess launcher = LauncherProcess.start(Files.createTempDirectory("wxim-smoke-wechat"),
                Map.of(WeChatLogin.APP_ID, "wx0123456789abcdef"), false)) {
            assertThat(launcher.awaitExit(Duration.ofSeconds(45))).as("exited:%n%s", launcher.output()).isTrue();
            assertThat(launcher.exitValue()).isEqualTo(1);
            assertThat(launcher.output()).contains("wxim did not start")
                    .contains("set both WECHAT_APPID and WECHAT_SECRET").contains("WECHAT_SECRET is missing")
                    .doesNotContain("redis-server stopped");
        }
    }
}
