package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationPredicate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

class ObservationConfigTests {
    private final GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of()))
            .bindOrCreate("im.gateway", GatewayProperties.class);
    private final ObservationPredicate predicate = new ObservationConfig().noRequestObservationForWebSockets(props);

    @Test
    void skipsTheWebSocketUpgrade_butObservesOtherRequests() {
        assertThat(predicate.test("http.server.requests", requestTo("/ws"))).isFalse();
        assertThat(predicate.test("http.server.requests", requestTo("/api/history/r:lobby"))).isTrue();
        assertThat(predicate.test("http.server.requests", requestTo("/ws/other"))).isTrue();
        assertThat(predicate.test("im.something", new Observation.Context())).isTrue();
    }

    private static ServerRequestObservationContext requestTo(String path) {
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get(path));
        return new ServerRequestObservationContext(exchange.getRequest(), exchange.getResponse(), Map.of());
    }
}
