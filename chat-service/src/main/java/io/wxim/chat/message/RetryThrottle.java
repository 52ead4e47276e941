package io.wxim.chat.message;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Retry throttling as gRPC specifies it (gRFC A6, "retry throttling"): a token count starts at {@code maxTokens};
 * every failed call takes one token, every successful call gives back {@code tokenRatio}; a retry is allowed only
 * while more than half the tokens are left. While history-service answers, a failure is retried as before; once most
 * calls fail (overloaded or down), retries stop, so chat-service does not double or triple the load on a service
 * that is already behind, and they resume as successes refill the count. Thread-safe, lock-free.
 */
final class RetryThrottle {
    private static final long MILLI = 1000;

    private final long max;
    private final long ratio;
    /** Tokens in thousandths. */
    private final AtomicLong tokens;

    RetryThrottle(int maxTokens, double tokenRatio) {
        if (maxTokens < 1 || tokenRatio <= 0 || tokenRatio > 1) {
            throw new IllegalArgumentException("maxTokens >= 1 and 0 < tokenRatio <= 1");
        }
        this.max = maxTokens * MILLI;
        this.ratio = Math.round(tokenRatio * MILLI);
        this.tokens = new AtomicLong(max);
    }

    void succeeded() {
        tokens.accumulateAndGet(ratio, (t, r) -> Math.min(max, t + r));
    }

    void failed() {
        tokens.accumulateAndGet(MILLI, (t, one) -> Math.max(0, t - one));
    }

    /** Whether a failed call may be retried now. */
    boolean retryAllowed() {
        return tokens.get() > max / 2;
    }

    /** The tokens left (for metrics and tests). */
    double tokens() {
        return tokens.get() / (double) MILLI;
    }
}
