package io.wxim.history.membership;

/** chat-service could not say whether the user is a member (timeout, unreachable, 5xx): 503, retry later. */
public class MembershipUnavailableException extends RuntimeException {
    public MembershipUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
