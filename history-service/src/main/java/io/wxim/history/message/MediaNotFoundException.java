package io.wxim.history.message;

/** The media of a message does not exist, or the sender did not upload it (indistinguishable on purpose): 404. */
public class MediaNotFoundException extends RuntimeException {
    public MediaNotFoundException() {
        super("no such media", null, false, false);
    }
}
