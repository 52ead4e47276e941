package io.wxim.gateway.auth;

import org.springframework.security.oauth2.jwt.BadJwtException;

/** A token whose session or user was revoked (a 401 at the handshake, 4501 for an open connection). */
public class RevokedTokenException extends BadJwtException {
    RevokedTokenException() {
        super("token revoked");
    }
}
