package io.wxim.history.message;

/** The conversation is too contended right now; the caller may retry the same request (503). */
public class HistoryBusyException extends RuntimeException {
    public HistoryBusyException(String message) {
        super(message, null, false, false);
    }
}
