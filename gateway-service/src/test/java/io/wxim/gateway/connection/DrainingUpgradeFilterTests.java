package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.http.HttpStatus;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Mono;

class DrainingUpgradeFilterTests {
    private final ConnectionRegistry registry = new ConnectionRegistry(onFrame -> null, new SimpleMeterRegistry(), "{}");
    private final DrainingUpgradeFilter filter = new DrainingUpgradeFilter(registry, new Binder(
            new MapConfigurationPropertySource(Map.of("im.gateway.node-id", "gw"))).bindOrCreate("im.gateway", GatewayProperties.class));

    @Test
    void passesHandshakesThrough_untilTheGatewayDrains_thenAnswers503() {
        assertThat(passes("/ws")).isTrue();

        registry.startDraining();

        MockServerWebExchange refused = MockServerWebExchange.from(MockServerHttpRequest.get("/ws"));
        AtomicBoolean called = new AtomicBoolean();
        filter.filter(refused, e -> Mono.fromRunnable(() -> called.set(true))).block(Duration.ofSeconds(5));
        assertThat(called).isFalse();
        assertThat(refused.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(refused.getResponse().getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(passes("/api/history/r:lobby")).isTrue(); // the /api edge keeps serving while connections drain
    }

    @Test
    void answers503_whileTooManySessionsWaitForTheirWelcome() {
        DrainingUpgradeFilter small = new DrainingUpgradeFilter(registry, new Binder(new MapConfigurationPropertySource(
                Map.of("im.gateway.node-id", "gw", "im.gateway.ws.max-starting", "2"))).bindOrCreate("im.gateway",
                GatewayProperties.class));
        registry.startBegan();
        assertThat(passes(small, "/ws")).isTrue();
        registry.startBegan();

        MockServerWebExchange refused = MockServerWebExchange.from(MockServerHttpRequest.get("/ws"));
        AtomicBoolean called = new AtomicBoolean();
        small.filter(refused, e -> Mono.fromRunnable(() -> called.set(true))).block(Duration.ofSeconds(5));
        assertThat(called).isFalse();
        assertThat(refused.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(refused.getResponse().getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(passes(small, "/api/history/r:lobby")).isTrue();

        registry.startEnded();
        assertThat(passes(small, "/ws")).isTrue();
        registry.startEnded();
        assertThat(registry.starting()).isZero();
    }

    @Test
    void aFailedHandshakeIsTheClientsDoing_onlyWhenItsConnectionIsClosed() {
        io.netty.channel.embedded.EmbeddedChannel channel = new io.netty.channel.embedded.EmbeddedChannel();
        assertThat(DrainingUpgradeFilter.clientGone(reactor.netty.Connection.from(channel))).isFalse();
        channel.close();
        assertThat(DrainingUpgradeFilter.clientGone(reactor.netty.Connection.from(channel))).isTrue();
        assertThat(DrainingUpgradeFilter.clientGone(new Object())).isFalse();
    }

    @Test
    void handshakeErrorsOnALiveConnectionStayErrors() {
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/ws"));
        Mono<Void> result = filter.filter(exchange, e -> Mono.error(new IllegalStateException("boom")));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> result.block(Duration.ofSeconds(5)))
                .hasMessage("boom");
    }

    private boolean passes(String path) {
        return passes(filter, path);
    }

    private static boolean passes(DrainingUpgradeFilter filter, String path) {
        AtomicBoolean called = new AtomicBoolean();
        filter.filter(MockServerWebExchange.from(MockServerHttpRequest.get(path)),
                e -> Mono.fromRunnable(() -> called.set(true))).block(Duration.ofSeconds(5));
        return called.get();
    }
}
