package io.wxim.history.media;

/** Width and height of an image in pixels, both at least 1. */
public record Dimensions(int width, int height) {

    public Dimensions {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("dimensions must be positive");
        }
    }

    /** width x height, as a long so that two large edges cannot overflow. */
    public long pixels() {
        return (long) width * height;
    }
}
