package io.wxim.history.message;

/** Only the sender may recall a message (403). */
public class NotYourMessageException extends RuntimeException {
    public NotYourMessageException() {
        super("not your message", null, false, false);
    }
}
