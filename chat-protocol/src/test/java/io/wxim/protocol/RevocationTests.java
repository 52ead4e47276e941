package io.wxim.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RevocationTests {
    @Test
    void aSessionMarkerRevokes_andAUserRevocationCoversTokensIssuedUpToItsSecond() {
        assertThat(Revocation.revoked(null, null, 100)).isFalse();
        assertThat(Revocation.revoked("u1", null, 100)).isTrue();
        assertThat(Revocation.revoked(null, "100", 99)).isTrue();
        assertThat(Revocation.revoked(null, "100", 100)).isTrue();
        assertThat(Revocation.revoked(null, "100", 101)).isFalse();
    }
}
