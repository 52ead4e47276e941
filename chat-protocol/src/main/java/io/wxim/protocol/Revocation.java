package io.wxim.protocol;

/**
 * Published by auth-service on {@link RedisNames#REVOCATIONS} when sessions end early: every gateway closes the
 * user's connections of session {@code sid} (all of the user's connections when {@code sid} is null) with
 * {@link CloseCode#SESSION_REVOKED}. Handshakes with such tokens are refused too (see {@link RedisNames#revokedSession}).
 */
public record Revocation(String user, String sid) {
    public Revocation {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("user is required");
        }
    }
}
