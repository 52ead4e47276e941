package io.wxim.auth.wechat;

import java.time.Duration;
import java.util.Optional;
import org.springframework.http.HttpStatus;

/**
 * A WeChat login that failed for a known reason, answered by {@code ApiExceptionHandler} as a ProblemDetail with
 * this status, a stable {@code code} and {@code retryable}. Carries no cause and no stack trace: what led to it may
 * hold the AppSecret (in a request URL) or a session_key (in a response body), and none of that may reach a log.
 * Every message is a fixed text.
 */
public final class WeChatLoginException extends RuntimeException {
    /** How long a client should wait after WeChat's per-minute quota was hit (WeChat: "retry next minute"). */
    static final Duration RATE_LIMIT_RETRY_AFTER = Duration.ofSeconds(60);
    /** How long a client should wait after WeChat or the network failed: a new attempt soon is reasonable. */
    static final Duration UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(1);

    private final HttpStatus status;
    private final String code;
    private final boolean retryable;

    public WeChatLoginException(HttpStatus status, String code, boolean retryable, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.retryable = retryable;
    }

    static WeChatLoginException busy() {
        return new WeChatLoginException(HttpStatus.SERVICE_UNAVAILABLE, "wechat_busy", true,
                "WeChat is busy; log in again (with a new wx.login code) in a moment.");
    }

    static WeChatLoginException unavailable() {
        return new WeChatLoginException(HttpStatus.SERVICE_UNAVAILABLE, "wechat_unavailable", true,
                "WeChat could not be reached; log in again (with a new wx.login code) in a moment.");
    }

    static WeChatLoginException misconfigured() {
        return new WeChatLoginException(HttpStatus.BAD_GATEWAY, "wechat_misconfigured", false,
                "WeChat login is not configured correctly on the server.");
    }

    static WeChatLoginException invalidCode() {
        return new WeChatLoginException(HttpStatus.BAD_REQUEST, "invalid_code", false,
                "The login code is invalid or expired; call wx.login for a new one.");
    }

    static WeChatLoginException codeUsed() {
        return new WeChatLoginException(HttpStatus.BAD_REQUEST, "code_used", false,
                "The login code was already used; call wx.login for a new one.");
    }

    static WeChatLoginException rateLimited() {
        return new WeChatLoginException(HttpStatus.TOO_MANY_REQUESTS, "rate_limited", true,
                "Too many logins; try again in a minute.");
    }

    static WeChatLoginException userBlocked() {
        return new WeChatLoginException(HttpStatus.FORBIDDEN, "user_blocked", false,
                "WeChat blocked this login (high-risk account).");
    }

    static WeChatLoginException badSignature() {
        return new WeChatLoginException(HttpStatus.BAD_REQUEST, "bad_signature", false,
                "signature does not match rawData.");
    }

    static WeChatLoginException badWatermark() {
        return new WeChatLoginException(HttpStatus.BAD_REQUEST, "bad_watermark", false,
                "encryptedData was not issued for this mini-program.");
    }

    static WeChatLoginException badEncryptedData() {
        return new WeChatLoginException(HttpStatus.BAD_REQUEST, "bad_encrypted_data", false,
                "encryptedData cannot be decrypted with this login's session.");
    }

    public HttpStatus status() {
        return status;
    }

    /** Stable, machine-readable reason, e.g. {@code code_used}. */
    public String code() {
        return code;
    }

    /** Whether logging in again (with a new code) may succeed without anything else changing. */
    public boolean retryable() {
        return retryable;
    }

    /** The {@code Retry-After} to send: for 429 and 503 only. */
    public Optional<Duration> retryAfter() {
        if (status == HttpStatus.TOO_MANY_REQUESTS) {
            return Optional.of(RATE_LIMIT_RETRY_AFTER);
        }
        if (status == HttpStatus.SERVICE_UNAVAILABLE) {
            return Optional.of(UNAVAILABLE_RETRY_AFTER);
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "WeChatLoginException[" + status.value() + " " + code + "]";
    }
}
