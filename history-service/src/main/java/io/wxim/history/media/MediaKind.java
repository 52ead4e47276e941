package io.wxim.history.media;

/** The two kinds of media a user may upload. {@link #wire()} is the lower-case name used in JSON and storage. */
public enum MediaKind {
    IMAGE("image"),
    AUDIO("audio");

    private final String wire;

    MediaKind(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
