package io.wxim.history.message;

/** No message with that {@code (conv, seq)} (404). */
public class MessageNotFoundException extends RuntimeException {
    public MessageNotFoundException() {
        super("message not found", null, false, false);
    }
}
