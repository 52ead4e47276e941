package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

@Timeout(10)
class ConnectionCapacityTests {
    private static final long GIB = 1L << 30;

    @Test
    void aConfiguredCap_isTaken_asItIs() {
        assertThat(ConnectionCapacity.resolve(500, 20_000, GIB)).isEqualTo(500);
        assertThat(ConnectionCapacity.resolve(50_000, 20_000, GIB)).isEqualTo(50_000);
    }

    @Test
    void unset_itIsTheOpenFileLimit_lessATenth_orLess256() {
        assertThat(ConnectionCapacity.resolve(0, 20_000, -1)).isEqualTo(18_000);
        assertThat(ConnectionCapacity.resolve(0, 1_048_576, -1)).isEqualTo(943_719);
        assertThat(ConnectionCapacity.resolve(0, 1_024, -1)).isEqualTo(768);
        assertThat(ConnectionCapacity.resolve(0, 100, -1)).isEqualTo(1); // never zero: the gateway still serves someone
        assertThat(ConnectionCapacity.resolve(0, Long.MAX_VALUE, -1)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void unset_theHeapBoundsIt_too_at16KiBAConnection() {
        assertThat(ConnectionCapacity.resolve(0, 1_048_576, 512L << 20)).isEqualTo(32_768);
        assertThat(ConnectionCapacity.resolve(0, 20_000, GIB)).isEqualTo(18_000); // the descriptors are the lower bound
        assertThat(ConnectionCapacity.resolve(0, -1, 64L << 20)).isEqualTo(4_096);
    }

    @Test
    void unset_withNeitherBoundKnown_thereIsNoCap() {
        assertThat(ConnectionCapacity.resolve(0, -1, -1)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void gatewaysSharingAJvm_getHalfOfItsDescriptorsAndHeap_splitEvenly_neverAboveTheirOwnDerivedCap() {
        assertThat(ConnectionCapacity.inSharedJvm(20_000, 6L * GIB, 2)).isEqualTo(5_000);
        assertThat(ConnectionCapacity.inSharedJvm(1_048_576, GIB, 1)).isEqualTo(32_768); // the heap is the lower bound
        assertThat(ConnectionCapacity.inSharedJvm(-1, -1, 2)).isEqualTo(-1);
        assertThat(ConnectionCapacity.exceedsDerived(ConnectionCapacity.inSharedJvm(1_048_576, GIB, 1), 1_048_576, GIB))
                .isFalse(); // no warning at a launcher's start
    }

    @Test
    void aConfiguredCapAboveTheDerivedOne_isFlagged() {
        assertThat(ConnectionCapacity.exceedsDerived(19_000, 20_000, GIB)).isTrue();
        assertThat(ConnectionCapacity.exceedsDerived(18_000, 20_000, GIB)).isFalse();
        assertThat(ConnectionCapacity.exceedsDerived(40_000, 1_048_576, 512L << 20)).isTrue();
        assertThat(ConnectionCapacity.exceedsDerived(19_000, -1, -1)).isFalse();
    }

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void thisProcessesLimits_areKnown() {
        assertThat(ConnectionCapacity.openFileLimit()).isPositive();
        assertThat(ConnectionCapacity.maxHeap()).isPositive();
    }

    @Test
    void theProperty_bindsFromItsNameAndFromTheEnvironmentVariableForm() {
        assertThat(bind(Map.of("im.gateway.ws.max-connections", "12000")).ws().maxConnections()).isEqualTo(12_000);
        var env = new org.springframework.core.env.SystemEnvironmentPropertySource(
                org.springframework.core.env.StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                Map.<String, Object>of("IM_GATEWAY_WS_MAXCONNECTIONS", "30000")); // as compose and k8s set it
        assertThat(new Binder(org.springframework.boot.context.properties.source.ConfigurationPropertySources.from(env))
                .bindOrCreate("im.gateway", GatewayProperties.class).ws().maxConnections()).isEqualTo(30_000);
        assertThat(bind(Map.of()).ws().maxConnections()).isZero();
    }

    private static GatewayProperties bind(Map<String, String> config) {
        return new Binder(new MapConfigurationPropertySource(config)).bindOrCreate("im.gateway", GatewayProperties.class);
    }
}
