package io.wxim.auth.token;

import java.time.Instant;

/** A signed access token (compact JWS) and its validity window. */
public record AccessToken(String value, Instant issuedAt, Instant expiresAt) {
}
