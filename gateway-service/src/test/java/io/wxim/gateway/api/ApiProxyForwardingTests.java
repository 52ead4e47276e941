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

    @Test
    void aClientsOwnForwardingHeadersAreNotPassedOn_theGatewayStatesTheAddressItSaw() {
        service = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> response.sendString(Mono.just(
                        request.requestHeaders().getAll("X-Forwarded-For") + " forwarded="
                                + request.requestHeaders().get("Forwarded") + " real="
                                + request.requestHeaders().get("X-Real-IP") + " host="
                                + request.requestHeaders().get("X-Forwarded-Host") + " kept="
                                + request.requestHeaders().get("X-Custom"))))
                .bindNow();
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of(
                "im.gateway.routes.history", "http://127.0.0.1:" + service.port())))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        var routes = new ApiProxyRouter().apiRoutes(WebClient.builder(), props, token -> Mono.empty(),
                new SimpleMeterRegistry());
        gateway = HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes))).bindNow();

        String seen = HttpClient.create()
                .headers(h -> h.add("Forwarded", "for=198.51.100.7").add("X-Forwarded-For", "203.0.113.9")
                        .add("X-Real-IP", "203.0.113.10").add("X-Forwarded-Host", "evil.example")
                        .add("X-Custom", "yes"))
                .get().uri("http://127.0.0.1:" + gateway.port() + "/api/history/r:lobby")
                .responseContent().aggregate().asString().block(Duration.ofSeconds(10));

        assertThat(seen).isEqualTo("[127.0.0.1] forwarded=null real=null host=null kept=yes");
    }
}
