package io.wxim.history.message;

/** A request that can never succeed as sent (400). The message is safe to show: it never echoes input. */
public class InvalidRequestException extends RuntimeException {
    public InvalidRequestException(String message) {
        super(message, null, false, false);
    }
}
