package io.wxim.protocol;

/**
 * WebSocket close codes. 4000-4499: the client should reconnect (with backoff). 4500+: the client must stop
 * (and fix the cause, e.g. log in again). 1009 (message too big) is the standard code for oversized frames.
 */
public enum CloseCode {
    /** The server could not start the session (a backend is unavailable); reconnect with backoff. */
    TRY_AGAIN(4000, "try again later", true),
    /** The gateway is shutting down; reconnect (to another node). */
    GOING_AWAY(4001, "going away", true),
    /** The client did not read fast enough and its outbound queue overflowed; reconnect and sync. */
    SLOW_CONSUMER(4002, "slow consumer", true),
    /** The access token expired; refresh it, then reconnect. */
    TOKEN_EXPIRED(4003, "token expired", true),
    /** No frame (not even a ping) within the idle timeout; reconnect. */
    IDLE_TIMEOUT(4004, "idle timeout", true),
    /**
     * On an encrypted connection, a frame failed to open (tampered, replayed, reordered, not sealed, or sealed with
     * another key); the reason is deliberately the same for all. Reconnect with a fresh key and resend what was not
     * acknowledged.
     */
    SECURE_CHANNEL_FAILED(4005, "invalid secure frame", true),
    /** The token is not valid; log in again, do not reconnect with it. */
    INVALID_TOKEN(4500, "invalid token", false),
    /** The session was revoked (logout, ban, or a reused refresh token): log in again, do not reconnect with it. */
    SESSION_REVOKED(4501, "session revoked", false),
    /** The user has too many open connections. */
    TOO_MANY_CONNECTIONS(4503, "too many connections", false),
    /** A single frame was larger than the limit (RFC 6455 code). Reconnecting is fine; resending that frame is not. */
    TOO_BIG(1009, "frame too big", true),
    /** A text frame was not valid UTF-8 (RFC 6455 code). */
    INVALID_PAYLOAD(1007, "invalid frame data", false),
    /** A WebSocket-level protocol error, e.g. a bad frame header (RFC 6455 code). */
    PROTOCOL_ERROR(1002, "protocol error", false);

    private final int code;
    private final String reason;
    private final boolean reconnect;

    CloseCode(int code, String reason, boolean reconnect) {
        this.code = code;
        this.reason = reason;
        this.reconnect = reconnect;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    public boolean reconnect() {
        return reconnect;
    }

    /** The constant for a numeric code, or {@link #PROTOCOL_ERROR} if none matches. */
    public static CloseCode of(int code) {
        for (CloseCode value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return PROTOCOL_ERROR;
    }
}
