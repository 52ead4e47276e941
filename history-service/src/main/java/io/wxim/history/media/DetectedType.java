package io.wxim.history.media;

import java.util.Objects;

/**
 * A media type decided from the bytes of an upload (see {@link MediaSniffer}), never from its name or declared type.
 *
 * @param kind        image or audio
 * @param contentType the MIME type the file is served with, e.g. {@code image/png}
 * @param extension   the file extension to store it under, without the dot, e.g. {@code png}
 */
public record DetectedType(MediaKind kind, String contentType, String extension) {

    public DetectedType {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(extension, "extension");
    }
}
