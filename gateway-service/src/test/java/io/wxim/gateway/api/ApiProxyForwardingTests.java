package io.wxim.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.RouterFunctions;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/** The /api proxy on real servers: what a service behind it is told about where a request came from. */
@Timeout(30)
class ApiProxyForwardingTests {
    private DisposableServer service;
    private DisposableServer gateway;

    @AfterEach
    void stop() {
        for (DisposableServer server : new DisposableServer[] {gateway, service}) {
            if (server != null) {
                server.disposeNow();
            }
        }
    }

    private final java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();

    /** A service that echoes what it was told, behind the proxy with {@code tokens} as the gateway's decoder. */
    private void start(org.springframework.security.oauth2.jwt.ReactiveJwtDecoder tokens) {
        service = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> {
                    served.incrementAndGet();
                    return response.sendString(Mono.just(
                        request.requestHeaders().getAll("X-Forwarded-For") + " forwarded="
                                + request.requestHeaders().get("Forwarded") + " real="
                                + request.requestHeaders().get("X-Real-IP") + " host="
                                + request.requestHeaders().get("X-Forwarded-Host") + " kept="
                                + request.requestHeaders().get("X-Custom")));
                })
                .bindNow();
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of(
                "im.gateway.routes.history", "http://127.0.0.1:" + service.port())))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        var routes = new ApiProxyRouter().apiRoutes(WebClient.builder(), props, tokens, new SimpleMeterRegistry());
        gateway = HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes))).bindNow();
    }

    @Test
    void aClientsOwnForwardingHeadersAreNotPassedOn_theGatewayStatesTheAddressItSaw() {
        start(token -> Mono.empty());
        String seen = HttpClient.create()
                .headers(h -> h.add("Forwarded", "for=198.51.100.7").add("X-Forwarded-For", "203.0.113.9")
                        .add("X-Real-IP", "203.0.113.10").add("X-Forwarded-Host", "evil.example")
                        .add("X-Custom", "yes"))
                .get().uri("http://127.0.0.1:" + gateway.port() + "/api/history/r:lobby")
                .responseContent().aggregate().asString().block(Duration.ofSeconds(10));

        assertThat(seen).isEqualTo("[127.0.0.1] forwarded=null real=null host=null kept=yes");
    }

    @Test
    void aTokenThatCouldNotBeChecked_isRefused503_notPassedOn_whileABadOneIsTheServicesCall() {
        start(token -> token.equals("slow")
                ? Mono.error(new org.springframework.security.oauth2.jwt.JwtException("not checked within 5000 ms"))
                : Mono.error(new org.springframework.security.oauth2.jwt.BadJwtException("bad signature")));
        var slow = HttpClient.create().headers(h -> h.add("Authorization", "Bearer slow"))
                .get().uri("http://127.0.0.1:" + gateway.port() + "/api/history/r:lobby")
                .responseSingle((response, body) -> Mono.just(response.status().code() + " "
                        + response.responseHeaders().get("Retry-After")))
                .block(Duration.ofSeconds(10));
        assertThat(slow).isEqualTo("503 1");
        assertThat(served).hasValue(0); // a revoked token must not reach a service that checks signatures only

        var bad = HttpClient.create().headers(h -> h.add("Authorization", "Bearer bad"))
                .get().uri("http://127.0.0.1:" + gateway.port() + "/api/history/r:lobby")
                .responseSingle((response, body) -> Mono.just(response.status().code()))
                .block(Duration.ofSeconds(10));
        assertThat(bad).isEqualTo(200); // the echo service answered: it would have checked the token itself
        assertThat(served).hasValue(1);
    }
}
