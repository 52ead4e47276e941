package io.wxim.gateway.connection;

import static io.wxim.gateway.connection.RawHttp.line;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtException;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The handshake on a real Reactor Netty server, with raw HTTP clients (a stub decoder stands in for the JWKS). */
@Timeout(30)
class WebSocketEndpointTests {
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private ConnectionRegistry registry = new ConnectionRegistry(onFrame -> null, new SimpleMeterRegistry(), "{}");
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<String> decoded = new CopyOnWriteArrayList<>();
    private final List<String> remotes = new CopyOnWriteArrayList<>();
    /** Request headers Reactor Netty still holds when the session starts (for the connection's whole life). */
    private final List<Integer> keptHeaders = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private DisposableServer server;

    private void start(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of("im.gateway.node-id", "gw", "im.gateway.ws.max-starting", "2"));
        config.putAll(extra);
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(config))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        WebSocketEndpoint endpoint = new WebSocketEndpoint(registry, (in, out, remote, jwt) -> {
            remotes.add(remote.getAddress().getHostAddress());
            keptHeaders.add(in.headers().size());
            return out.sendString(Mono.just("hi " + jwt.getSubject())).then().then(in.receive().then());
        }, token -> {
            decoded.add(token);
            return switch (token) {
                case "good" -> Mono.just(jwt("u1"));
                case "down" -> Mono.error(new JwtException("JWKS not reachable"));
                case "nothing" -> Mono.empty();
                case "bug" -> Mono.error(new IllegalStateException("a bug"));
                default -> Mono.error(new BadJwtException("bad signature"));
            };
        }, props, meters);
        server = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> endpoint.apply(routes) // then what WebFlux would get: anything else
                        .route(request -> true, (request, response) -> response.sendString(Mono.just("fell through"))))
                .bindNow();
    }

    private void start() {
        start(Map.of());
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.disposeNow();
        }
    }

    @Test
    void aValidToken_inTheHeaderOrTheQuery_upgrades_andTheSessionRunsAsTheTokensUser_withoutTheTokenKept() throws Exception {
        start();
        Response header = handshake("GET", "/ws", Map.of("Authorization", "Bearer good"));
        assertThat(header.status()).isEqualTo(101);
        assertThat(readTextFrame(header.socket())).isEqualTo("hi u1");

        Map<String, String> firefox = new LinkedHashMap<>(Map.of("Authorization", "Bearer good"));
        firefox.put("Upgrade", "websocket");
        firefox.put("Connection", "keep-alive, Upgrade");
        firefox.put("Sec-WebSocket-Key", KEY);
        firefox.put("Sec-WebSocket-Version", "13");
        Response listed = raw("GET", "/ws", firefox);
        assertThat(listed.status()).isEqualTo(101);
        assertThat(readTextFrame(listed.socket())).isEqualTo("hi u1");

        Response query = handshake("GET", "/ws?access_token=good", Map.of());
        assertThat(query.status()).isEqualTo(101);
        assertThat(readTextFrame(query.socket())).isEqualTo("hi u1");
        assertThat(remotes).containsExactly("127.0.0.1", "127.0.0.1", "127.0.0.1");
        assertThat(keptHeaders).containsExactly(0, 0, 0); // the Authorization header neither
    }

    @Test
    void noToken_or_aBadOne_is401_withABearerChallenge() throws Exception {
        start();
        Response none = handshake("GET", "/ws", Map.of());
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.headers().get("www-authenticate")).isEqualTo("Bearer");

        Response bad = handshake("GET", "/ws", Map.of("Authorization", "Bearer forged"));
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.headers().get("www-authenticate")).startsWith("Bearer error=\"invalid_token\"");

        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer two words")).status()).isEqualTo(401);
        assertThat(handshake("GET", "/ws?access_token=", Map.of()).status()).isEqualTo(401);
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer nothing")).status()).isEqualTo(401);
        assertThat(decoded).containsExactly("forged", "nothing"); // malformed ones are refused without a decode
    }

    @Test
    void aBadTokenWithAForeignOrigin_is401_theTokenComesFirst() throws Exception {
        start();
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer forged", "Origin", "https://evil.example.com"))
                .status()).isEqualTo(401);
    }

    @Test
    void twoTokens_are400() throws Exception {
        start();
        assertThat(handshake("GET", "/ws?access_token=good", Map.of("Authorization", "Bearer good")).status()).isEqualTo(400);
        assertThat(handshake("GET", "/ws?access_token=good&access_token=good", Map.of()).status()).isEqualTo(400);
        assertThat(handshake("GET", "/ws?access_token=good&x=%zz", Map.of()).status()).isEqualTo(400);
        assertThat(handshake("GET", "/ws?access_token=good;access_token=forged", Map.of()).status()).isEqualTo(401);
        assertThat(decoded).isEmpty(); // ";" is no separator: one token, malformed, refused without a decode
    }

    @Test
    void aTokenThatCannotBeCheckedNow_is503_withRetryAfter() throws Exception {
        start();
        Response response = handshake("GET", "/ws", Map.of("Authorization", "Bearer down"));
        assertThat(response.status()).isEqualTo(503);
        assertThat(response.headers().get("retry-after")).isEqualTo("1");
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer bug")).status()).isEqualTo(500); // not retried
    }

    @Test
    void whileDrainingOrBusy_503_beforeTheTokenIsLookedAt() throws Exception {
        start();
        registry.startBegan();
        registry.startBegan();
        Response busy = handshake("GET", "/ws", Map.of("Authorization", "Bearer good"));
        assertThat(busy.status()).isEqualTo(503);
        assertThat(busy.headers().get("retry-after")).isEqualTo("1");
        assertThat(busy.body()).contains("busy starting other sessions");
        registry.startEnded();
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer good")).status()).isEqualTo(101);
        registry.startEnded();

        registry.startDraining();
        Response draining = handshake("GET", "/ws", Map.of("Authorization", "Bearer good"));
        assertThat(draining.status()).isEqualTo(503);
        assertThat(draining.body()).contains("shutting down");
        assertThat(meters.counter("im.gateway.handshakes.refused", "reason", "busy").count()).isEqualTo(1.0);
        assertThat(meters.counter("im.gateway.handshakes.refused", "reason", "draining").count()).isEqualTo(1.0);
        assertThat(decoded).containsExactly("good");
    }

    @Test
    void aFullGateway_is503_beforeTheTokenIsLookedAt_andUpgradesAgainOnceAConnectionCloses() throws Exception {
        registry = new ConnectionRegistry(onFrame -> null, new SimpleMeterRegistry(), "{}", 1);
        start();
        Connection held = registry.open("c1", new io.wxim.protocol.UserRef("u0", null, null), 8, 10);
        Response full = handshake("GET", "/ws", Map.of("Authorization", "Bearer good"));
        assertThat(full.status()).isEqualTo(503);
        assertThat(full.headers().get("retry-after")).isEqualTo("1");
        assertThat(full.body()).contains("as many connections as it can");
        assertThat(decoded).isEmpty();
        assertThat(meters.counter("im.gateway.handshakes.refused", "reason", "full").count()).isEqualTo(1.0);

        registry.close(held);
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer good")).status()).isEqualTo(101);
    }

    @Test
    void aForeignOrigin_is403_sameOriginAndAllowListedOnesUpgrade() throws Exception {
        start(Map.of("im.gateway.allowed-origins", "https://demo.example.com"));
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer good", "Origin", "https://evil.example.com"))
                .status()).isEqualTo(403);
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer good", "Origin", "https://demo.example.com/"))
                .status()).isEqualTo(101);
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer good",
                "Origin", "http://127.0.0.1:" + server.port())).status()).isEqualTo(101);
        assertThat(handshake("GET", "/ws", Map.of("Authorization", "Bearer good", "Origin", "null")).status())
                .isEqualTo(403);
    }

    @Test
    void rawPath_isThePathAsSent() {
        assertThat(WebSocketEndpoint.rawPath("/ws?access_token=x#f")).isEqualTo("/ws");
        assertThat(WebSocketEndpoint.rawPath("/ws#f?x")).isEqualTo("/ws");
        assertThat(WebSocketEndpoint.rawPath("/api/%zz")).isEqualTo("/api/%zz");
    }

    @Test
    void sameOrigin_comparesSchemeHostAndPort_withDefaultPorts() {
        assertThat(WebSocketEndpoint.sameOrigin("http://gw.example.com", "http", "gw.example.com", 80)).isTrue();
        assertThat(WebSocketEndpoint.sameOrigin("https://gw.example.com", "https", "GW.example.com", -1)).isTrue();
        assertThat(WebSocketEndpoint.sameOrigin("https://gw.example.com", "http", "gw.example.com", 443)).isFalse();
        assertThat(WebSocketEndpoint.sameOrigin("http://gw.example.com:8080", "http", "gw.example.com", 80)).isFalse();
        assertThat(WebSocketEndpoint.sameOrigin("not a url", "http", "gw.example.com", 80)).isFalse();
    }

    @Test
    void notAnUpgrade_is400_anotherMethod405BeforeTheToken_otherPathsFallThrough() throws Exception {
        start();
        Map<String, String> plain = new LinkedHashMap<>(Map.of("Authorization", "Bearer good"));
        assertThat(raw("GET", "/ws", plain).status()).isEqualTo(400);
        assertThat(raw("POST", "/ws?access_token=good", Map.of()).status()).isEqualTo(405);
        assertThat(decoded).containsExactly("good");
        for (String other : List.of("/other", "/ws/", "/api/%zz", "/a|b", "/w%73")) {
            Response response = raw("GET", other, Map.of());
            assertThat(response.status()).as(other).isEqualTo(200);
            assertThat(response.body()).isEqualTo("fell through");
        }
    }

    @Test
    void aFailedHandshakeIsTheClientsDoing_onlyWhenItsConnectionIsClosed() {
        io.netty.channel.embedded.EmbeddedChannel channel = new io.netty.channel.embedded.EmbeddedChannel();
        assertThat(WebSocketEndpoint.clientGone(reactor.netty.Connection.from(channel))).isFalse();
        channel.close();
        assertThat(WebSocketEndpoint.clientGone(reactor.netty.Connection.from(channel))).isTrue();
        assertThat(WebSocketEndpoint.clientGone(new Object())).isFalse();
    }

    private static Jwt jwt(String subject) {
        return Jwt.withTokenValue("good").header("alg", "RS256").subject(subject)
                .issuedAt(Instant.now()).expiresAt(Instant.now().plusSeconds(60)).build();
    }

    private record Response(int status, Map<String, String> headers, String body, Socket socket) {
    }

    private Response handshake(String method, String target, Map<String, String> headers) throws IOException {
        Map<String, String> all = new LinkedHashMap<>(headers);
        all.put("Upgrade", "websocket");
        all.put("Connection", "Upgrade");
        all.put("Sec-WebSocket-Key", KEY);
        all.put("Sec-WebSocket-Version", "13");
        return raw(method, target, all);
    }

    /** One request on a new connection; reads the status line, the headers and (unless 101) a Content-Length body. */
    private Response raw(String method, String target, Map<String, String> headers) throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        sockets.add(socket);
        socket.setSoTimeout(5_000);
        StringBuilder request = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        if (!"GET".equals(method)) {
            request.append("Content-Length: 0\r\n");
        }
        socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        int status = Integer.parseInt(line(in).split(" ")[1]);
        Map<String, String> received = new HashMap<>();
        for (String line = line(in); !line.isEmpty(); line = line(in)) {
            int colon = line.indexOf(':');
            received.put(line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
        }
        String body = "";
        if (status != 101 && received.containsKey("content-length")) {
            body = new String(in.readNBytes(Integer.parseInt(received.get("content-length"))), StandardCharsets.UTF_8);
        }
        return new Response(status, received, body, socket);
    }


    /** One unmasked server text frame of under 126 bytes. */
    private static String readTextFrame(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        assertThat(in.read()).isEqualTo(0x81);
        int length = in.read();
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
