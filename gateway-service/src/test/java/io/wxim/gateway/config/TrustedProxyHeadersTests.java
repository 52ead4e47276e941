package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/** What a real Reactor Netty server reports as the client's address, scheme, host and prefix behind a proxy. */
@Timeout(30)
class TrustedProxyHeadersTests {
    private DisposableServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.disposeNow();
        }
    }

    /** A server like the gateway's with {@code server.forward-headers-strategy=native}, hardened or not. */
    private void start(boolean forwarded, boolean hardened) {
        HttpServer http = HttpServer.create().host("127.0.0.1").port(0).forwarded(forwarded);
        if (hardened) {
            http = new TrustedProxyHeaders().apply(http);
        }
        server = http.handle((request, response) -> response.sendString(Mono.just(
                        request.remoteAddress().getHostString() + " " + (request.remoteAddress().getAddress() != null)
                                + " " + request.scheme() + " " + request.hostName() + " " + request.forwardedPrefix())))
                .bindNow();
    }

    private String seen(Map<String, String> headers) {
        return HttpClient.create().headers(h -> headers.forEach(h::add))
                .get().uri("http://127.0.0.1:" + server.port() + "/api/x")
                .responseContent().aggregate().asString().block(Duration.ofSeconds(10));
    }

    @Test
    void aClientsForwardedHeaderIsIgnored_theProxysXForwardedForCounts() {
        start(true, true);
        assertThat(seen(Map.of("Forwarded", "for=198.51.100.7", "X-Forwarded-For", "203.0.113.5")))
                .startsWith("203.0.113.5 true ");
        assertThat(seen(Map.of("Forwarded", "for=198.51.100.7"))).startsWith("127.0.0.1 true ");
    }

    @Test
    void withoutTheHardening_aClientCouldPickItsAddress_orLeaveItWithoutOne() {
        start(true, false); // what Reactor Netty does on its own: the reason for TrustedProxyHeaders
        assertThat(seen(Map.of("Forwarded", "for=198.51.100.7", "X-Forwarded-For", "203.0.113.5")))
                .startsWith("198.51.100.7 ");
        assertThat(seen(Map.of("Forwarded", "for=_x"))).contains(" false ");
    }

    @Test
    void aForwardedValueThatIsNotAnAddress_leavesTheSocketsAddress() {
        start(true, true);
        assertThat(seen(Map.of("Forwarded", "for=_x"))).startsWith("127.0.0.1 true ");
        assertThat(seen(Map.of("X-Forwarded-For", "not-an-ip.example"))).startsWith("127.0.0.1 true ");
        assertThat(seen(Map.of("X-Forwarded-For", "[2001:db8::1]"))).startsWith("2001:db8:0:0:0:0:0:1 true ");
    }

    @Test
    void theLastEntryIsTheOneTheNearestProxyWrote() {
        start(true, true);
        assertThat(seen(Map.of("X-Forwarded-For", "10.9.9.9, 203.0.113.5"))).startsWith("203.0.113.5 true ");
    }

    @Test
    void aProxyThatAddsItsOwnLine_countsByItsLine_andAPortIsNotPartOfTheAddress() {
        start(true, true);
        String seen = HttpClient.create()
                .headers(h -> h.add("X-Forwarded-For", "198.51.100.7").add("X-Forwarded-For", "203.0.113.5:4711"))
                .get().uri("http://127.0.0.1:" + server.port() + "/api/x")
                .responseContent().aggregate().asString().block(Duration.ofSeconds(10));
        assertThat(seen).startsWith("203.0.113.5 true ");
        assertThat(seen(Map.of("X-Forwarded-For", "[2001:db8::1]:4711"))).startsWith("2001:db8:0:0:0:0:0:1 true ");
    }

    @Test
    void protoAndHostAreStillRead_aPrefixIsNot() {
        start(true, true);
        assertThat(seen(Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "chat.example.com",
                "X-Forwarded-Prefix", "/other")))
                .endsWith(" https chat.example.com null");
    }

    @Test
    void theHostsPort_orThePortHeader_orTheSchemesDefault() {
        start(true, true);
        assertThat(seen(Map.of("X-Forwarded-Host", "chat.example.com:8443"))).endsWith(" http chat.example.com null");
        assertThat(seen(Map.of("X-Forwarded-Proto", "https", "X-Forwarded-Host", "[2001:db8::1]:8443",
                "X-Forwarded-Port", "9443"))).endsWith(" https [2001:db8::1] null");
        assertThat(seen(Map.of("X-Forwarded-Host", "bad host/x"))).doesNotContain("bad");
    }

    @Test
    void withoutTheStrategy_noForwardedHeaderIsRead() {
        start(false, true);
        assertThat(seen(Map.of("Forwarded", "for=198.51.100.7", "X-Forwarded-For", "203.0.113.5",
                "X-Forwarded-Proto", "https"))).startsWith("127.0.0.1 true http ");
    }
}
