package io.wxim.history.message;

/** MongoDB did not answer in time or is unreachable; the caller may retry the same request (503). */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
