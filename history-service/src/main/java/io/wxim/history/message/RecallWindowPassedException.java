package io.wxim.history.message;

/** The message is older than the recall window allows and was not recalled before (410). */
public class RecallWindowPassedException extends RuntimeException {
    public RecallWindowPassedException() {
        super("recall window has passed", null, false, false);
    }
}
