package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.gateway.config.ConnectionCapacity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The launcher's gateways share half of the one JVM's open files (the services and the store need the rest). */
@Timeout(10)
class GatewayCapacityTests {

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void theGatewaysShareHalfOfTheOpenFiles_unlessTheEnvironmentSetsACap() {
        long openFiles = ConnectionCapacity.openFileLimit();
        if (System.getenv("IM_GATEWAY_WS_MAXCONNECTIONS") != null) {
            assertThat(LocalSystem.gatewayCapacity(2)).isEmpty();
            return;
        }
        assertThat(LocalSystem.gatewayCapacity(2)).contains(Long.toString(openFiles / 4));
        assertThat(LocalSystem.gatewayCapacity(1)).contains(Long.toString(openFiles / 2));
    }
}
