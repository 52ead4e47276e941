package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * {@code WXIM_BIND}: loopback (the default) or every address; a single other address is refused before anything
 * starts, since the services call each other on 127.0.0.1.
 */
class BindAddressTests {
    @Test
    void takesLoopbackOrEveryAddress() {
        assertThat(LocalLauncher.bindAddress("127.0.0.1")).isEqualTo("127.0.0.1");
        assertThat(LocalLauncher.bindAddress("0.0.0.0")).isEqualTo("0.0.0.0");
        assertThat(LocalLauncher.bindAddress("::")).isEqualTo("::");
    }

    @Test
    void refusesASingleOtherAddress_sayingWhatItTakes() {
        for (String other : new String[] {"192.168.1.20", "::1", "localhost", ""}) {
            assertThatThrownBy(() -> LocalLauncher.bindAddress(other)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("WXIM_BIND=" + other + " is not supported")
                    .hasMessageContaining("127.0.0.1").hasMessageContaining("0.0.0.0");
        }
    }
}
