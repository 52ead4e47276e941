package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.UserRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gateway-wide cap and what a refused connection is told (no Redis: opening touches no subscription). */
@Timeout(10)
class ConnectionRegistryCapacityTests {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ConnectionRegistry registry = new ConnectionRegistry(onFrame -> null, meters, "{}", 2);

    @Test
    void atCapacity_noConnectionOpens_andTheRefusalIsTryAgain_untilOneCloses() {
        Connection a = registry.open("c1", new UserRef("u1", null, null), 8, 10);
        assertThat(registry.open("c2", new UserRef("u2", null, null), 8, 10)).isNotNull();
        assertThat(registry.isFull()).isTrue();

        assertThat(registry.open("c3", new UserRef("u3", null, null), 8, 10)).isNull();
        assertThat(registry.admit("c3", new UserRef("u3", null, null), 8, 10).refusal()).isEqualTo(CloseCode.TRY_AGAIN);
        assertThat(registry.size()).isEqualTo(2);
        assertThat(meters.get("im.gateway.connections.capacity").gauge().value()).isEqualTo(2.0);

        registry.close(a);
        assertThat(registry.isFull()).isFalse();
        assertThat(registry.open("c3", new UserRef("u3", null, null), 8, 10)).isNotNull();
    }

    @Test
    void aUserAtTheirOwnMaximum_isToldTooManyConnections_evenWhenFull_andADrainingGateway_goingAway() {
        assertThat(registry.open("c1", new UserRef("u1", null, null), 8, 1)).isNotNull();
        assertThat(registry.open("c2", new UserRef("u1", null, null), 8, 1)).isNull();
        assertThat(registry.admit("c2", new UserRef("u1", null, null), 8, 1).refusal()).isEqualTo(CloseCode.TOO_MANY_CONNECTIONS);

        assertThat(registry.open("c3", new UserRef("u2", null, null), 8, 1)).isNotNull(); // now full as well
        assertThat(registry.admit("c4", new UserRef("u1", null, null), 8, 1).refusal())
                .as("a user at their maximum is told so even when the gateway is full: retrying cannot help")
                .isEqualTo(CloseCode.TOO_MANY_CONNECTIONS);
        assertThat(registry.admit("c4", new UserRef("u3", null, null), 8, 1).refusal()).isEqualTo(CloseCode.TRY_AGAIN);

        registry.startDraining();
        assertThat(registry.open("c5", new UserRef("u4", null, null), 8, 1)).isNull();
        assertThat(registry.admit("c5", new UserRef("u4", null, null), 8, 1).refusal()).isEqualTo(CloseCode.GOING_AWAY);
    }
}
