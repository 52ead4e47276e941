package io.wxim.gateway.config;

import io.micrometer.observation.ObservationPredicate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

/**
 * No HTTP request observation for WebSocket upgrades: such a request lasts as long as its connection, so every idle
 * connection would keep an open observation (an active long-task timer sample, its context and key values) for
 * hours. Connections have their own metrics ({@code im.gateway.connections}, closes by code, command latency).
 */
@Configuration(proxyBeanMethods = false)
class ObservationConfig {

    @Bean
    ObservationPredicate noRequestObservationForWebSockets(GatewayProperties props) {
        String path = props.ws().path();
        return (name, context) -> !(context instanceof ServerRequestObservationContext request
                && path.equals(request.getCarrier().getPath().value()));
    }
}
