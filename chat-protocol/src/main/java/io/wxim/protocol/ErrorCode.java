package io.wxim.protocol;

/**
 * Error codes carried by {@code error} frames. Each says whether the client may retry the same request
 * (possibly after a delay) or must change it. One enum for the whole system; documented in docs/protocol.md.
 */
public enum ErrorCode {
    /** Not JSON, or a field is missing, has the wrong type or is out of range. Fix the frame; do not retry. */
    BAD_REQUEST("bad_request", false),
    /** The {@code type} is not one this server knows. Do not retry. */
    UNKNOWN_TYPE("unknown_type", false),
    /** The conversation does not exist or the user is not a member (the two are indistinguishable on purpose). */
    NOT_FOUND("not_found", false),
    /** A field is too long (message body, room name). Do not retry unchanged. */
    TOO_LARGE("too_large", false),
    /**
     * The request contradicts the current state: a pair request to or from someone already in a pair session, or a
     * message to a pair session that has ended. Do not retry unchanged.
     */
    CONFLICT("conflict", false),
    /** The user may not do this to this object (recalling someone else's message). Do not retry. */
    FORBIDDEN("forbidden", false),
    /** Too late: the recall window of the message has passed. Do not retry. */
    EXPIRED("expired", false),
    /**
     * The token in an {@code auth} frame was refused (invalid, expired, revoked, or another user's). The connection
     * keeps its current token until that expires; get a new token (refresh or log in) and send {@code auth} again.
     */
    UNAUTHORIZED("unauthorized", false),
    /**
     * The key id in a {@code secure} frame is unknown or retired (keys rotate). Fetch {@code GET /api/auth/keys}
     * again and retry with the current key.
     */
    UNKNOWN_KEY("unknown_key", true),
    /** This server does not offer the requested feature (payload encryption switched off). Do not retry. */
    UNSUPPORTED("unsupported", false),
    /** The user sends faster than allowed. Retry after a delay. */
    RATE_LIMITED("rate_limited", true),
    /** A backend did not answer in time or is down. Retry (sends are idempotent by cmid). */
    UNAVAILABLE("unavailable", true),
    /** Unexpected server fault. Retry later; it is logged and counted server-side. */
    INTERNAL("internal", true);

    private final String wire;
    private final boolean retryable;

    ErrorCode(String wire, boolean retryable) {
        this.wire = wire;
        this.retryable = retryable;
    }

    public String wire() {
        return wire;
    }

    public boolean retryable() {
        return retryable;
    }
}
