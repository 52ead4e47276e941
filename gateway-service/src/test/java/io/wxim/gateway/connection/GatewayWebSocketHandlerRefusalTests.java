package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.gateway.config.NodeIdentity;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.security.oauth2.jwt.Jwt;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/**
 * A session the registry refuses after the upgrade (its token check overlapped the last slots, the gateway started
 * draining, or the user reached their maximum meanwhile) is closed with the code the registry decided, counted, and
 * nothing else of the session runs: the collaborators a session would use are absent here, so reaching them fails.
 */
@Timeout(30)
class GatewayWebSocketHandlerRefusalTests {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ConnectionRegistry registry = new ConnectionRegistry(onFrame -> null, meters, "{}", 2);
    private final GatewayProperties props = new Binder(new MapConfigurationPropertySource(
            Map.of("im.gateway.node-id", "gw", "im.gateway.ws.max-connections-per-user", "1")))
            .bindOrCreate("im.gateway", GatewayProperties.class);
    private final GatewayWebSocketHandler handler = new GatewayWebSocketHandler(registry, null, new FrameCodec(), props,
            new NodeIdentity("gw"), meters, null, null, null, null, null);

    @Test
    void aFullGateway_closesTheUpgradedSession_with4000() {
        registry.open("c1", new UserRef("u1", null, null), 8, 1);
        registry.open("c2", new UserRef("u2", null, null), 8, 1);

        assertThat(closeStatusFor("u3")).isEqualTo(CloseCode.TRY_AGAIN.code());
        assertThat(closes(CloseCode.TRY_AGAIN)).isEqualTo(1.0);
        assertThat(registry.size()).isEqualTo(2);
    }

    @Test
    void aUserAtTheirMaximum_isClosedWith4503_andADrainingGateway_with4001() {
        registry.open("c1", new UserRef("u1", null, null), 8, 1);
        assertThat(closeStatusFor("u1")).isEqualTo(CloseCode.TOO_MANY_CONNECTIONS.code());
        assertThat(closes(CloseCode.TOO_MANY_CONNECTIONS)).isEqualTo(1.0);

        registry.startDraining();
        assertThat(closeStatusFor("u2")).isEqualTo(CloseCode.GOING_AWAY.code());
        assertThat(closes(CloseCode.GOING_AWAY)).isEqualTo(1.0);
        assertThat(registry.size()).isEqualTo(1);
    }

    /** Serves one session of {@code user} (as if its token had been verified) and returns the close code it got. */
    private int closeStatusFor(String user) {
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                .route(routes -> routes.ws("/ws", (in, out) -> handler.serve(in, out, null, jwt(user))))
                .bindNow();
        try {
            WebSocketCloseStatus status = HttpClient.create()
                    .websocket()
                    .uri("ws://127.0.0.1:" + server.port() + "/ws")
                    .handle((in, out) -> in.receiveCloseStatus())
                    .next()
                    .block(Duration.ofSeconds(10));
            assertThat(status).isNotNull();
            return status.code();
        } finally {
            server.disposeNow();
        }
    }

    private double closes(CloseCode code) {
        return meters.get("im.gateway.closes").tag("code", Integer.toString(code.code())).counter().count();
    }

    private static Jwt jwt(String subject) {
        return Jwt.withTokenValue("t").header("alg", "RS256").subject(subject)
                .issuedAt(Instant.now()).expiresAt(Instant.now().plusSeconds(60)).build();
    }
}
