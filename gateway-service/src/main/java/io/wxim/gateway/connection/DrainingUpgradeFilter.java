package io.wxim.gateway.connection;

import io.wxim.gateway.config.GatewayProperties;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
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
 * client never sees an open-then-closed socket. {@link AcceptGate} keeps most storms from reaching the second case:
 * new connections wait in the kernel's accept queue instead. A handshake that fails because its client has gone is
 * logged at DEBUG (routine), not as a server error.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class DrainingUpgradeFilter implements WebFilter {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DrainingUpgradeFilter.class);
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

    private static Object nativeRequest(ServerWebExchange exchange) {
        try {
            return ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        } catch (RuntimeException e) { // a mock request (tests) has none
            return null;
        }
    }

    /**
     * Whether the connection under a failed handshake is closed: a client that gave up (in a storm, while queued) makes
     * the upgrade fail on a dead channel with errors WebFlux would log as ERROR with a stack trace.
     */
    static boolean clientGone(Object nativeRequest) {
        return nativeRequest instanceof reactor.netty.Connection connection && !connection.channel().isActive();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!path.equals(exchange.getRequest().getPath().pathWithinApplication().value())) {
            return chain.filter(exchange);
        }
        byte[] refusal = registry.isDraining() ? DRAINING : registry.starting() >= maxStarting ? BUSY : null;
        if (refusal == null) {
            return chain.filter(exchange).onErrorResume(e -> clientGone(nativeRequest(exchange)), e -> {
                log.debug("handshake abandoned by the client: {}", e.toString());
                return Mono.empty();
            });
        }
        var response = exchange.getResponse();
        response.setStatusCode(HttpStatus.SERVICE_UNAVAILABLE);
        response.getHeaders().set(HttpHeaders.RETRY_AFTER, "1");
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(refusal)));
    }
}
