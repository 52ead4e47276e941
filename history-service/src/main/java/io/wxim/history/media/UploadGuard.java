package io.wxim.history.media;

import java.io.ByteArrayOutputStream;
import java.util.Optional;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

/**
 * Watches one upload as it streams: decides its type from the first bytes (refusing anything not allowed before more
 * is read), enforces the size cap of that type (of the larger cap until the type is known), and keeps the bytes an
 * image needs for its dimensions and thumbnail (an image is at most its cap; of audio only the head is kept). Not
 * thread-safe: one upload's buffers arrive in order.
 */
final class UploadGuard {
    private final MediaProperties props;
    private final ByteArrayOutputStream retained = new ByteArrayOutputStream();
    private DetectedType type;
    private long total;

    UploadGuard(MediaProperties props) {
        this.props = props;
    }

    /** Checks and passes on one buffer (as a copy; the original is released). */
    DataBuffer accept(DataBuffer buffer) {
        byte[] bytes = new byte[buffer.readableByteCount()];
        buffer.read(bytes);
        DataBufferUtils.release(buffer);
        total += bytes.length;
        long cap = type == null ? props.maxAnySize() : props.maxSize(type.kind());
        if (total > cap) {
            throw MediaRejectedException.tooLarge("file larger than " + cap + " bytes");
        }
        if (type == null || type.kind() == MediaKind.IMAGE) {
            retained.write(bytes, 0, bytes.length);
        }
        if (type == null && retained.size() >= MediaSniffer.HEAD_BYTES) {
            type = decide();
            if (total > props.maxSize(type.kind())) {
                throw MediaRejectedException.tooLarge("file larger than " + props.maxSize(type.kind()) + " bytes");
            }
        }
        return DefaultDataBufferFactory.sharedInstance.wrap(bytes);
    }

    /** After the last buffer: the type (also of files shorter than the sniffing head). */
    DetectedType finish() {
        if (total == 0) {
            throw MediaRejectedException.badImage("the file is empty");
        }
        if (type == null) {
            type = decide();
        }
        return type;
    }

    private DetectedType decide() {
        byte[] head = retained.toByteArray();
        Optional<DetectedType> detected = MediaSniffer.sniff(head, Math.min(head.length, MediaSniffer.HEAD_BYTES));
        return detected.orElseThrow(MediaRejectedException::unsupported);
    }

    long total() {
        return total;
    }

    /** The kept bytes: the whole file for an image, the first bytes for audio. */
    byte[] retained() {
        return retained.toByteArray();
    }
}
