package io.wxim.gateway.auth;

import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtException;

/** How the gateway tells a token found bad from one it could not check (the decoder's errors). */
public final class TokenChecks {
    private TokenChecks() {
    }

    /**
     * Whether {@code error} says the token could not be checked (the JWK set not fetched in time or not reachable)
     * rather than that it is invalid, expired or revoked ({@link BadJwtException}, {@link RevokedTokenException}): the
     * client should retry, not refresh its token or log in again.
     */
    public static boolean notChecked(Throwable error) {
        return error instanceof JwtException && !(error instanceof BadJwtException);
    }
}
