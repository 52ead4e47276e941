package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Runs in failsafe's JVM, apart from the other end-to-end suites: stopping a gateway context disposes the Reactor
 * Netty event loops every server in the JVM shares, so after it the shared system is gone (and surefire could not
 * rerun a flaky end-to-end test after it).
 */
class DrainEndToEndIT extends EndToEndTestBase {

    @Test
    void closesSocketsWithGoingAway_whenAGatewayShutsDown() {
        try (WsClient s = WsClient.connect(http, gw2, login("sam").token())) {
            s.await(ServerFrame.Welcome.class);
            system.stopGateway(1);
            assertThat(s.closeCode(Duration.ofSeconds(10))).isEqualTo(4001);
        }
    }

}
