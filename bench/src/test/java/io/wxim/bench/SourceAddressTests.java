package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** {@code --source-addresses}: the WebSockets of a fleet leave from the given loopback addresses in turn. */
@Timeout(30)
class SourceAddressTests {

    @Test
    void theWebSocketsBindTheSourceAddressesInTurn() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                .doOnConnection(c -> seen.add(((InetSocketAddress) c.channel().remoteAddress()).getAddress().getHostAddress()))
                .route(r -> r.ws("/ws", (in, out) -> out.sendString(Mono.just("hi")).then(Mono.never())))
                .bindNow();
        List<WsConnection> open = new ArrayList<>();
        try (Fleet fleet = new Fleet(Fleet.Target.SOCKETIO, List.of("http://127.0.0.1:" + server.port()), 1, "t")
                .sourceAddresses(List.of("127.0.0.1", "127.0.0.2"))) {
            CountDownLatch greeted = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) {
                open.add(WsConnection.open(fleet.socketClient(i), "ws://127.0.0.1:" + server.port() + "/ws", h -> { },
                        () -> { }, frame -> greeted.countDown(), code -> { }));
            }
            assertThat(greeted.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(seen).containsExactlyInAnyOrder("127.0.0.1", "127.0.0.2", "127.0.0.1", "127.0.0.2");
        } finally {
            open.forEach(WsConnection::close);
            server.disposeNow();
        }
    }

    @Test
    void withoutSourceAddresses_everyConnectionUsesTheOneClient() {
        try (Fleet fleet = new Fleet(Fleet.Target.SOCKETIO, List.of("http://127.0.0.1:1"), 1, "t").sourceAddresses(List.of())) {
            assertThat(fleet.socketClient(0)).isSameAs(fleet.socketClient(1)).isSameAs(fleet.http);
        }
    }
}
