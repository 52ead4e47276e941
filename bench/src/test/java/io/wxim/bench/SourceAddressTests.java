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
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** {@code --source-addresses}: the WebSockets of a fleet leave from the given loopback addresses in turn. */
@Timeout(30)
@EnabledOnOs(OS.LINUX) // all of 127.0.0.0/8 is local on Linux; other systems answer only 127.0.0.1 by default
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
    void theFleetsClientsAreGivenTheSourceAddressesClients_inTurn() {
        try (Fleet fleet = new Fleet(Fleet.Target.SOCKETIO, List.of("http://127.0.0.1:1"), 1, "t")
                .sourceAddresses(List.of("127.0.0.2", "127.0.0.3"))) {
            fleet.prepare(4); // Socket.IO clients need no login: nothing is contacted
            List<BenchClient> made = fleet.prepared();
            assertThat(made).hasSize(4);
            assertThat(made.get(0).http).isSameAs(made.get(2).http).isNotSameAs(made.get(1).http).isNotSameAs(fleet.http);
            assertThat(made.get(1).http).isSameAs(made.get(3).http).isNotSameAs(fleet.http);
        }
    }

    @Test
    void anAddressThatDoesNotResolve_failsAtOnce() {
        try (Fleet fleet = new Fleet(Fleet.Target.SOCKETIO, List.of("http://127.0.0.1:1"), 1, "t")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> fleet.sourceAddresses(List.of("no-such-host.invalid")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-host.invalid");
        }
    }

    @Test
    void withoutSourceAddresses_everyConnectionUsesTheOneClient() {
        try (Fleet fleet = new Fleet(Fleet.Target.SOCKETIO, List.of("http://127.0.0.1:1"), 1, "t").sourceAddresses(List.of())) {
            assertThat(fleet.socketClient(0)).isSameAs(fleet.socketClient(1)).isSameAs(fleet.http);
        }
    }
}
