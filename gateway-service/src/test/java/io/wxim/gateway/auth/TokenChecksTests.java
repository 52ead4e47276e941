package io.wxim.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;

class TokenChecksTests {

    @Test
    void aTokenThatCouldNotBeChecked_isToldApartFromABadOne() {
        assertThat(TokenChecks.notChecked(new JwtException("the token could not be checked within 5000 ms"))).isTrue();
        assertThat(TokenChecks.notChecked(new BadJwtException("bad signature"))).isFalse();
        assertThat(TokenChecks.notChecked(new JwtValidationException("expired", List.of(new OAuth2Error("invalid_token")))))
                .isFalse();
        assertThat(TokenChecks.notChecked(new RevokedTokenException())).isFalse();
        assertThat(TokenChecks.notChecked(new TimeoutException())).isFalse();
    }
}
