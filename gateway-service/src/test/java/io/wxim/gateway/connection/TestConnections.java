package io.wxim.gateway.connection;

import io.wxim.protocol.CloseCode;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Test access to a {@link Connection}'s session side for tests of other packages (the session handler's view). */
public final class TestConnections {
    private TestConnections() {
    }

    public static void markWelcomed(Connection connection) {
        connection.markWelcomed();
    }

    public static Flux<String> outbound(Connection connection) {
        return connection.outbound();
    }

    public static Mono<CloseCode> closeRequested(Connection connection) {
        return connection.closeRequested();
    }
}
