package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs after the other end-to-end suites (it stops gateway 2; see junit-platform.properties). */
@org.junit.jupiter.api.Order(Integer.MAX_VALUE)
class DrainEndToEndIntegrationTests extends EndToEndTestBase {

    @Test
    void closesSocketsWithGoingAway_whenAGatewayShutsDown() {
        try (WsClient s = WsClient.connect(http, gw2, login("sam").token())) {
            s.await(ServerFrame.Welcome.class);
            system.stopGateway(1);
            assertThat(s.closeCode(Duration.ofSeconds(10))).isEqualTo(4001);
        }
    }

}
