package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ConnectionCapacityTests {

    @Test
    void aConfiguredCap_isTaken_asItIs() {
        assertThat(ConnectionCapacity.resolve(500, 20_000)).isEqualTo(500);
        assertThat(ConnectionCapacity.resolve(50_000, 20_000)).isEqualTo(50_000);
    }

    @Test
    void unset_itIsTheOpenFileLimit_lessATenth_orAtLeast256() {
        assertThat(ConnectionCapacity.resolve(0, 20_000)).isEqualTo(18_000);
        assertThat(ConnectionCapacity.resolve(0, 1_048_576)).isEqualTo(943_719);
        assertThat(ConnectionCapacity.resolve(0, 1_024)).isEqualTo(768);
        assertThat(ConnectionCapacity.resolve(0, 100)).isEqualTo(1); // never zero: the gateway still serves someone
        assertThat(ConnectionCapacity.resolve(0, Long.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void unset_withNoKnownLimit_thereIsNoCap() {
        assertThat(ConnectionCapacity.resolve(0, -1)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void aConfiguredCapAboveWhatTheDescriptorsAllow_isFlagged() {
        assertThat(ConnectionCapacity.exceedsDescriptors(19_000, 20_000)).isTrue();
        assertThat(ConnectionCapacity.exceedsDescriptors(18_000, 20_000)).isFalse();
        assertThat(ConnectionCapacity.exceedsDescriptors(19_000, -1)).isFalse();
    }

    @Test
    void thisProcessesLimit_isKnownOnLinux() {
        assertThat(ConnectionCapacity.openFileLimit()).isPositive();
    }
}
