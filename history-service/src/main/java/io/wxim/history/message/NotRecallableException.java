package io.wxim.history.message;

/** A recall notice cannot itself be recalled (409). */
public class NotRecallableException extends RuntimeException {
    public NotRecallableException() {
        super("a recall notice cannot be recalled", null, false, false);
    }
}
