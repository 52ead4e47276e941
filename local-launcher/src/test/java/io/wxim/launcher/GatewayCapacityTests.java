package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.gateway.config.ConnectionCapacity;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The launcher's gateways share half of the one JVM's open files and heap (the services and the store need the rest). */
@Timeout(10)
class GatewayCapacityTests {

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void theGatewaysShareHalfOfTheJvm_asADefaultProperty() {
        int expected = ConnectionCapacity.inSharedJvm(ConnectionCapacity.openFileLimit(), ConnectionCapacity.maxHeap(), 2);
        assertThat(expected).isPositive();
        assertThat(LocalSystem.gatewayDefaults(2)).isEqualTo(Map.of("im.gateway.ws.max-connections", expected));
    }
}
