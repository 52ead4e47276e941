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

    /**
     * The one revocation rule, applied by gateways and auth-service alike: a token is revoked if its session has a
     * revocation marker, or its user was revoked at or after the second it was issued.
     *
     * @param sessionMarker  the value of the session's (or family's) revocation key, or null
     * @param userRevokedAt  the value of {@link RedisNames#revokedUser} (an epoch second), or null
     * @param issuedAtSecond when the token was issued (epoch second)
     */
    public static boolean revoked(String sessionMarker, String userRevokedAt, long issuedAtSecond) {
        return sessionMarker != null || (userRevokedAt != null && issuedAtSecond <= Long.parseLong(userRevokedAt));
    }
}
