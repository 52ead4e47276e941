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
        start(tokens, "history", "media");
    }

    /** The same, as each of {@code routes}. */
    private void start(org.springframework.security.oauth2.jwt.ReactiveJwtDecoder tokens, String... routes) {
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
        Map<String, String> config = new java.util.HashMap<>();
        for (String route : routes) {
            config.put("im.gateway.routes." + route, "http://127.0.0.1:" + service.port());
        }
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(config))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        var api = new ApiProxyRouter().apiRoutes(WebClient.builder(), props, tokens, new SimpleMeterRegistry());
        gateway = HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(api))).bindNow();
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

    /** GET {@code path} with {@code Authorization: Bearer token}: "status WWW-Authenticate Retry-After". */
    private String get(String path, String token) {
        return HttpClient.create().headers(h -> h.add("Authorization", "Bearer " + token))
                .get().uri("http://127.0.0.1:" + gateway.port() + path)
                .responseSingle((response, body) -> Mono.just(response.status().code() + " "
                        + response.responseHeaders().get("WWW-Authenticate") + " "
                        + response.responseHeaders().get("Retry-After")))
                .block(Duration.ofSeconds(10));
    }

    @Test
    void aTokenThatCouldNotBeChecked_is503_andAnInvalidOne401_neitherPassedOn() {
        start(token -> token.equals("slow")
                ? Mono.error(new org.springframework.security.oauth2.jwt.JwtException("not checked within 5000 ms"))
                : token.equals("bad") ? Mono.error(new org.springframework.security.oauth2.jwt.BadJwtException("bad signature"))
                : Mono.empty());

        assertThat(get("/api/history/r:lobby", "slow")).isEqualTo("503 null 1");
        // a revoked token must not reach a service that checks signatures only; a made-up key id must not make it
        // fetch auth-service's keys: the same answer the service gives, from the edge
        assertThat(get("/api/history/r:lobby", "bad")).startsWith("401 Bearer error=\"invalid_token\"");
        assertThat(get("/api/media/m1/url?conv=r:lobby", "bad")).startsWith("401 Bearer error=\"invalid_token\"");
        assertThat(served).hasValue(0);

        assertThat(get("/api/history/r:lobby", "good")).isEqualTo("200 null null");
        assertThat(served).hasValue(1);
    }

    @Test
    void onTheAuthRoute_theGatewayDoesNotLookAtTheToken_authServiceChecksItsOwn() {
        java.util.concurrent.atomic.AtomicInteger decoded = new java.util.concurrent.atomic.AtomicInteger();
        start(token -> {
            decoded.incrementAndGet();
            return Mono.error(new org.springframework.security.oauth2.jwt.JwtException("not checked within 5000 ms"));
        }, "auth");

        // a login or refresh with an old access token along is auth-service's call, even while the keys are unreachable
        assertThat(get("/api/auth/refresh", "stale")).isEqualTo("200 null null");
        assertThat(served).hasValue(1);
        assertThat(decoded).hasValue(0);
    }
}
