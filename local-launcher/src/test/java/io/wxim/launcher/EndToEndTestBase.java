package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import java.util.concurrent.CompletionException;
import java.util.Date;
import java.time.Instant;
import java.net.http.WebSocketHandshakeException;
import java.net.http.WebSocket;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.wxim.protocol.ServerFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import io.wxim.testinfra.TestInfra;
import java.net.URI;
import org.springframework.boot.web.server.PortInUseException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Shared by the end-to-end suites: the whole system on the shared test infrastructure (auth, history, chat and TWO
 * gateways in one JVM), started once per test JVM and stopped when it exits, plus helpers for real clients over
 * loopback. Every wait is bounded ({@link WsClient#WAIT}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class EndToEndTestBase {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static LocalSystem shared;
    private static int sharedGw1;
    private static int sharedGw2;
    private static int sharedAuth;
    private static String sharedDbPrefix;

    protected final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    protected final LocalSystem system = system();
    protected final int gw1 = sharedGw1;
    protected final int gw2 = sharedGw2;

    record Login(String token, String userId, String nickname) {
    }

    /** The key auth-service signs with (written to a file for it), so tests can forge tokens precisely. */
    protected static final RSAKey SIGNING_KEY = newSigningKey();
    protected static final Duration REQUEST_TTL = Duration.ofSeconds(5);
    /** auth-service's internal admin API token in the shared test system. */
    protected static final String ADMIN_TOKEN = "admin-" + UUID.randomUUID() + UUID.randomUUID();
    protected static final Duration PAIR_GRACE = Duration.ofSeconds(2);
    protected static final Duration RECALL_WINDOW = Duration.ofSeconds(3);
    protected static final Duration KEY_ROTATION = Duration.ofSeconds(10);
    protected static final Duration KEY_OVERLAP = Duration.ofSeconds(5);
    /** Connections one user may hold on both gateways together in the shared test system. */
    protected static final int USER_CONNECTIONS_MAX = 12;
    /**
     * The per-user send rate of the shared test system: the per-connection frame rate (20/s, burst 40), so a test on
     * one connection never meets it, and a few connections of one user exceed it even on a slow machine.
     */
    protected static final int USER_SENDS_PER_SECOND = 20;
    protected static final int USER_SEND_BURST = 40;

    private static RSAKey newSigningKey() {
        try {
            return new RSAKeyGenerator(2048).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String signingKeyFile() {
        try {
            Path file = Files.createTempFile("e2e-signing-", ".pem");
            file.toFile().deleteOnExit();
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(SIGNING_KEY.toPrivateKey().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            Files.writeString(file, pem);
            return file.toString();
        } catch (IOException | JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static synchronized LocalSystem system() {
        if (shared == null) {
            shared = startShared();
            sharedGw1 = shared.gatewayPorts().get(0);
            sharedGw2 = shared.gatewayPorts().get(1);
            sharedAuth = shared.authPort();
            LocalSystem started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "e2e-system-stop"));
        }
        return shared;
    }

    /**
     * The shared system on ports the OS picks when each service binds; chat-service's port has to be chosen first
     * (history is given it), so a start that lost that port to another socket is retried with a new one.
     */
    private static LocalSystem startShared() {
        for (int attempt = 1; ; attempt++) {
            // a new database prefix per attempt: auth's encryption keys of a failed attempt are sealed with its key
            sharedDbPrefix = "e2e" + UUID.randomUUID().toString().substring(0, 6) + "_";
            try {
                return LocalSystem.start(sharedOptions(TestInfra.freePort()));
            } catch (RuntimeException e) {
                if (attempt == 3 || !portInUse(e)) {
                    throw e;
                }
            }
        }
    }

    private static boolean portInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof PortInUseException || t instanceof java.net.BindException) {
                return true;
            }
        }
        return false;
    }

    private static LocalSystem.Options sharedOptions(int chatPort) {
        return new LocalSystem.Options(TestInfra.redisHost(), TestInfra.redisPort(), TestInfra.mongoUri(), sharedDbPrefix,
                new LocalSystem.Ports(0, 0, chatPort, 0), List.of(0, 0), true,
                Map.ofEntries(Map.entry("im.auth.signing.key-file", signingKeyFile()),
                        // dev login is on: this machine only, as the launcher's default
                        Map.entry("server.address", "127.0.0.1"), Map.entry("management.server.address", "127.0.0.1"),
                        // short enough to test expiry, grace and the recall window in seconds
                        Map.entry("im.chat.pair.request-ttl", REQUEST_TTL.toMillis() + "ms"),
                        Map.entry("im.chat.pair.grace", PAIR_GRACE.toMillis() + "ms"),
                        Map.entry("im.chat.pair.sweep-interval", "200ms"),
                        Map.entry("im.chat.recall-window", RECALL_WINDOW.toMillis() + "ms"),
                        Map.entry("im.auth.admin-token", ADMIN_TOKEN),
                        // encryption keys rotate within a test: current for 10s, accepted 5s longer
                        Map.entry("im.auth.encryption.rotation-period", KEY_ROTATION.toMillis() + "ms"),
                        Map.entry("im.auth.encryption.overlap", KEY_OVERLAP.toMillis() + "ms"),
                        Map.entry("im.auth.encryption.lead", "3s"),
                        Map.entry("im.auth.encryption.check-interval", "250ms"),
                        Map.entry("im.gateway.secure.refresh-interval", "1s"),
                        Map.entry("im.gateway.secure.min-refetch", "200ms"),
                        // the signing key never changes here: a key id no fetch found stays "not checked" for a
                        // minute, so a test's second try inside that interval does not depend on the machine's speed
                        Map.entry("im.gateway.auth.jwks-min-refetch", "60s"),
                        // below twice the per-gateway cap (10), so the cluster-wide cap is what refuses
                        Map.entry("im.gateway.user-connections.max", String.valueOf(USER_CONNECTIONS_MAX)),
                        Map.entry("im.gateway.user-rate.per-second", String.valueOf(USER_SENDS_PER_SECOND)),
                        Map.entry("im.gateway.user-rate.burst", String.valueOf(USER_SEND_BURST))));
    }

    /** Prefix of the shared system's MongoDB databases ({@code <prefix>chat}, {@code <prefix>history}, ...). */
    protected static String dbPrefix() {
        return sharedDbPrefix;
    }

    /** auth-service's own port (its internal API is not routed by the gateways). */
    protected static int authPort() {
        return sharedAuth;
    }

    /** Syncs one conversation from {@code after} page by page until {@code more} is false; all pages in order. */
    static List<ServerFrame.Message> syncAll(WsClient client, String conv, long after, int limit) {
        List<ServerFrame.Message> all = new java.util.ArrayList<>();
        long last = after;
        boolean more = true;
        for (int page = 0; more; page++) {
            String rid = "page" + page + "-" + System.nanoTime();
            client.send("{\"type\":\"sync\",\"rid\":\"" + rid + "\",\"limit\":" + limit + ",\"convs\":{\"" + conv + "\":" + last + "}}");
            ServerFrame.Synced synced = client.await(ServerFrame.Synced.class, f -> rid.equals(f.rid()));
            all.addAll(synced.messages());
            if (!synced.messages().isEmpty()) {
                last = synced.messages().get(synced.messages().size() - 1).seq();
            }
            more = synced.more();
        }
        return all;
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String send(String cmid, String conv, String body) {
        return "{\"type\":\"send\",\"cmid\":\"" + cmid + "\",\"conv\":\"" + conv + "\",\"body\":\"" + body + "\"}";
    }

    protected Login login(String name) {
        String nickname = name + "-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw1 + "/api/auth/dev-login"))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"nickname\":\"" + nickname + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            return new Login(body.get("accessToken").asString(), body.get("user").get("id").asString(), nickname);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    protected HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The user's entry for {@code conv} in their conversation list ({@code GET /api/chat/conversations}). */
    protected JsonNode conversationEntry(Login user, String conv) throws Exception {
        JsonNode list = getJson(gw2, "/api/chat/conversations", user.token());
        for (JsonNode c : list.get("conversations")) {
            if (c.get("conv").asString().equals(conv)) {
                return c;
            }
        }
        throw new AssertionError("no " + conv + " in " + list);
    }

    protected JsonNode getJson(int port, String path, String token) throws Exception {
        HttpResponse<String> response = get(port, path, token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** Claims of a valid token for a fixed forged user (5 minutes); tests change one thing at a time. */
    protected static JWTClaimsSet.Builder claims() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer("wxim").audience("wxim").subject("uforged0000000000001")
                .claim("name", "Forged").issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300)));
    }

    /** Signs like auth-service does when {@code key} is {@link #SIGNING_KEY} (same kid: its thumbprint). */
    protected static String sign(JWTClaimsSet claims, RSAKey key) throws Exception {
        String kid = key == SIGNING_KEY ? SIGNING_KEY.computeThumbprint().toString() : key.getKeyID();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    /** The HTTP status of a refused handshake (fails the test if the upgrade succeeds). */
    protected int handshakeStatus(String token) {
        try {
            WebSocket socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create("ws://127.0.0.1:" + gw1 + "/ws"), new WebSocket.Listener() {
                    }).orTimeout(10, TimeUnit.SECONDS).join();
            socket.abort();
            throw new AssertionError("the handshake was accepted");
        } catch (CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
            return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
        }
    }
}
