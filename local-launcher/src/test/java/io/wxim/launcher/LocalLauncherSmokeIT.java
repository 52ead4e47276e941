package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.TestInfra;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
    private static final Duration STARTUP = Duration.ofSeconds(120);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
    private final StringBuffer output = new StringBuffer();

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void startsTheWholeSystemFromTheExecJar_servesTheDemo_logsIn_andStopsCleanly() throws Exception {
        Path jar = Path.of(System.getProperty("launcher.jar"));
        assertThat(jar).exists();
        int port = freePortBlock(); // the services take the next three ports, actuators those + 1000
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar.toString()).redirectErrorStream(true);
        builder.environment().put("WXIM_DATA", Files.createTempDirectory("wxim-smoke").toString());
        builder.environment().put("WXIM_PORT", String.valueOf(port));
        builder.environment().put("WXIM_REDIS_PORT", String.valueOf(TestInfra.freePort()));
        builder.environment().put("WXIM_MONGO_PORT", String.valueOf(TestInfra.freePort()));
        // configuration from the environment reaches the services; short, so the idle close is seen within the test
        builder.environment().put("IM_GATEWAY_WS_IDLETIMEOUT", IDLE_TIMEOUT.toSeconds() + "s");
        Process process = builder.start();
        String banner = "Open      http://localhost:" + port + "/";
        CompletableFuture<Void> started = new CompletableFuture<>();
        Thread drain = new Thread(() -> drain(process, banner, started), "launcher-output");
        drain.setDaemon(true);
        drain.start();
        try {
            started.get(STARTUP.toSeconds(), TimeUnit.SECONDS);
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

            process.destroy(); // SIGTERM: the launcher's shutdown hook stops services, Mongo and redis-server
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60s:%n%s", output).isTrue();
            drain.join(5_000);
            assertThat(output.toString().lines().filter(line -> line.contains(" ERROR "))).as("ERROR lines").isEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no banner within " + STARTUP + ":\n" + output, e);
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    /**
     * A base port below Linux's ephemeral range (32768+) such that base..base+3 and base+1000..base+1003 are all free
     * now: the launcher binds all eight, and a random ephemeral base can collide with a client socket.
     */
    private static int freePortBlock() {
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = 20000 + random.nextInt(9000);
            if (java.util.stream.IntStream.of(0, 1, 2, 3, 1000, 1001, 1002, 1003).allMatch(i -> isFree(base + i))) {
                return base;
            }
        }
        throw new IllegalStateException("no free block of ports");
    }

    private static boolean isFree(int port) {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads the launcher's output until it ends (so it never blocks on a full pipe); signals the banner. */
    private void drain(Process process, String banner, CompletableFuture<Void> started) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                output.append(line).append('\n');
                if (line.contains(banner)) {
                    started.complete(null);
                }
            }
        } catch (IOException e) {
            started.completeExceptionally(e);
        }
        started.completeExceptionally(new IllegalStateException("launcher exited:\n" + output));
    }
}
