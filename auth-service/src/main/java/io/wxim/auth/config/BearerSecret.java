package io.wxim.auth.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * A shared secret that callers of an internal endpoint present as {@code Authorization: Bearer <secret>}, compared
 * in constant time. Unset (null or blank) means the endpoint is off. At least 32 characters when set.
 */
public final class BearerSecret {
    public static final int MIN_CHARS = 32;
    private final byte[] secret;

    private BearerSecret(byte[] secret) {
        this.secret = secret;
    }

    /** @param property the property that holds it, for the message if it is too short */
    public static BearerSecret of(String value, String property) {
        if (value == null || value.isBlank()) {
            return new BearerSecret(null);
        }
        String token = value.strip();
        if (token.length() < MIN_CHARS) {
            throw new IllegalArgumentException(property + " must be at least " + MIN_CHARS + " characters");
        }
        return new BearerSecret(token.getBytes(StandardCharsets.UTF_8));
    }

    public boolean isSet() {
        return secret != null;
    }

    /** Whether the Authorization header carries this secret; false when unset. */
    public boolean matches(String authorization) {
        if (secret == null || authorization == null || !authorization.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(secret, authorization.substring(7).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return secret == null ? "unset" : "<redacted>";
    }
}
