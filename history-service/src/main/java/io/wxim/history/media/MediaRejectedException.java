package io.wxim.history.media;

import org.springframework.http.HttpStatus;

/**
 * An upload or download refused with a client-facing status and a fixed detail that never echoes the input:
 * 413 too large, 415 not an allowed type, 400 an image that cannot be read, 403 a bad or expired signature, 404 no
 * such media (or not yours), 503 too many uploads at once.
 */
public class MediaRejectedException extends RuntimeException {
    private final HttpStatus status;

    MediaRejectedException(HttpStatus status, String detail) {
        super(detail, null, false, false);
        this.status = status;
    }

    public HttpStatus status() {
        return status;
    }

    static MediaRejectedException tooLarge(String detail) {
        return new MediaRejectedException(HttpStatus.CONTENT_TOO_LARGE, detail);
    }

    static MediaRejectedException unsupported() {
        return new MediaRejectedException(HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                "not an allowed type: images JPEG, PNG, GIF, WebP; audio MP3, AAC, M4A, WAV (decided from the content)");
    }

    static MediaRejectedException badImage(String detail) {
        return new MediaRejectedException(HttpStatus.BAD_REQUEST, detail);
    }

    static MediaRejectedException notFound() {
        return new MediaRejectedException(HttpStatus.NOT_FOUND, "media not found");
    }

    static MediaRejectedException forbidden() {
        return new MediaRejectedException(HttpStatus.FORBIDDEN, "the link is invalid or has expired; ask for a new one");
    }

    static MediaRejectedException busy() {
        return new MediaRejectedException(HttpStatus.SERVICE_UNAVAILABLE, "too many uploads in progress, retry shortly");
    }
}
