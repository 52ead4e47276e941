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
 * While the gateway drains, a WebSocket handshake gets 503 with {@code Retry-After} before any upgrade (and before
 * token checks), so an edge proxy can retry another gateway and a client never sees an open-then-closed socket.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class DrainingUpgradeFilter implements WebFilter {
    private static final byte[] BODY = ("{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503,"
            + "\"detail\":\"this gateway is shutting down; connect again\"}").getBytes(StandardCharsets.UTF_8);

    private final ConnectionRegistry registry;
    private final String path;

    DrainingUpgradeFilter(ConnectionRegistry registry, GatewayProperties props) {
        this.registry = registry;
        this.path = props.ws().path();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!registry.isDraining() || !path.equals(exchange.getRequest().getPath().pathWithinApplication().value())) {
            return chain.filter(exchange);
        }
        var response = exchange.getResponse();
        response.setStatusCode(HttpStatus.SERVICE_UNAVAILABLE);
        response.getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(BODY)));
    }
}
