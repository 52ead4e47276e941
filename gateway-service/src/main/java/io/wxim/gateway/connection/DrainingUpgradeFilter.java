package io.wxim.gateway.connection;

import io.wxim.gateway.config.GatewayProperties;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Admission for WebSocket handshakes, before any upgrade (and before token checks): 503 with {@code Retry-After}
 * while the gateway drains, and while more than {@code im.gateway.ws.max-starting} sessions wait for their welcome
 * (load shedding: in a reconnect storm, sessions beyond what chat-service welcomes in time would only time out,
 * reconnect and add work; refused clients back off and come back). An edge proxy can retry another gateway, and a
 * client never sees an open-then-closed socket.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class DrainingUpgradeFilter implements WebFilter {
    private static final byte[] DRAINING = body("this gateway is shutting down; connect again");
    private static final byte[] BUSY = body("this gateway is busy starting other sessions; connect again shortly");

    private final ConnectionRegistry registry;
    private final String path;
    private final int maxStarting;

    DrainingUpgradeFilter(ConnectionRegistry registry, GatewayProperties props) {
        this.registry = registry;
        this.path = props.ws().path();
        this.maxStarting = props.ws().maxStarting();
    }

    private static byte[] body(String detail) {
        return ("{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503,\"detail\":\"" + detail
                + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!path.equals(exchange.getRequest().getPath().pathWithinApplication().value())) {
            return chain.filter(exchange);
        }
        byte[] refusal = registry.isDraining() ? DRAINING : registry.starting() >= maxStarting ? BUSY : null;
        if (refusal == null) {
            return chain.filter(exchange);
        }
        var response = exchange.getResponse();
        response.setStatusCode(HttpStatus.SERVICE_UNAVAILABLE);
        response.getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(refusal)));
    }
}
