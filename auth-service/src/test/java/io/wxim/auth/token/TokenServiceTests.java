package io.wxim.auth.token;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenServiceTests {

    @Test
    void hashesRefreshTokenAsLowercaseSha256Hex() {
        // SHA-256("abc") from FIPS 180-2
        assertThat(TokenService.sha256Hex("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
