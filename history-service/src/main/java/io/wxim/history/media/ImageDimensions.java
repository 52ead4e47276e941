package io.wxim.history.media;

import static io.wxim.history.media.MediaSniffer.ascii;
import static io.wxim.history.media.MediaSniffer.startsWith;
import static io.wxim.history.media.MediaSniffer.u32be;
import static io.wxim.history.media.MediaSniffer.u8;

import java.util.Objects;
import java.util.Optional;

/**
 * Reads an image's width and height from its header without decoding any pixels, so that an upload can be refused
 * before a decoder allocates memory for it. This is the guard against decompression bombs: a PNG of a few hundred
 * bytes may claim 100000 x 100000 pixels, which would need 40 GB once decoded.
 *
 * <p>Every read is bounds-checked against {@code length}; garbage, a truncated header, a zero dimension or a malformed
 * structure gives {@link Optional#empty()}, never an exception. The caller should treat empty as "refuse".
 */
public final class ImageDimensions {

    /** SOFn markers that carry the frame size. C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but do not. */
    private static final int[] JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF};

    private ImageDimensions() {
    }

    /**
     * The dimensions stated in the header of an image of the given (sniffed) type.
     *
     * @param type   the type from {@link MediaSniffer}; audio types give empty
     * @param data   the file's bytes; for JPEG enough of them to reach the frame header, which may follow up to several
     *               64 KB APPn segments (EXIF, ICC profile, XMP), so pass the whole upload
     * @param length how many bytes of {@code data} are valid
     */
    public static Optional<Dimensions> read(DetectedType type, byte[] data, int length) {
        Objects.requireNonNull(type, "type");
        if (data == null || length <= 0) {
            return Optional.empty();
        }
        int n = Math.min(length, data.length);
        return switch (type.contentType()) {
            case "image/png" -> png(data, n);
            case "image/gif" -> gif(data, n);
            case "image/jpeg" -> jpeg(data, n);
            case "image/webp" -> webp(data, n);
            default -> Optional.empty();
        };
    }

    /**
     * PNG: the first chunk must be IHDR (length 13) right after the signature; width and height are big-endian
     * 32-bit values at offsets 16 and 20, limited to 2^31-1 by the PNG spec.
     */
    private static Optional<Dimensions> png(byte[] b, int n) {
        if (n < 24 || !startsWith(b, n, 0, MediaSniffer.PNG_SIGNATURE) || u32be(b, 8) != 13
                || !ascii(b, n, 12, "IHDR")) {
            return Optional.empty();
        }
        return of(u32be(b, 16), u32be(b, 20));
    }

    /**
     * GIF: the logical screen descriptor right after the 6-byte signature, little-endian 16-bit width and height.
     * Frames must lie within the logical screen; the decoder's own reported size is checked again before decoding.
     */
    private static Optional<Dimensions> gif(byte[] b, int n) {
        if (n < 10 || !(ascii(b, n, 0, "GIF87a") || ascii(b, n, 0, "GIF89a"))) {
            return Optional.empty();
        }
        return of(u16le(b, 6), u16le(b, 8));
    }

    /**
     * JPEG: walks the marker segments from SOI by their length fields (so APPn segments of any size, e.g. several
     * 64 KB EXIF/ICC blocks, are skipped without being parsed) until a SOFn frame header, which holds precision (1
     * byte), then big-endian height and width. Fill bytes (repeated 0xFF) and standalone markers are stepped over; a
     * byte that is not a marker, a segment length below 2, SOS or EOI before any SOFn, or a second SOI is malformed.
     * Every step advances at least one byte, so the walk ends within {@code n} steps.
     */
    private static Optional<Dimensions> jpeg(byte[] b, int n) {
        if (n < 4 || u8(b, 0) != 0xFF || u8(b, 1) != 0xD8) {
            return Optional.empty();
        }
        int pos = 2;
        while (pos < n) {
            if (u8(b, pos) != 0xFF) {
                return Optional.empty();
            }
            while (pos < n && u8(b, pos) == 0xFF) {
                pos++;
            }
            if (pos >= n) {
                return Optional.empty();
            }
            int marker = u8(b, pos);
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                pos++; // TEM, RSTn: no length field
                continue;
            }
            if (marker == 0x00 || marker == 0xD8 || marker == 0xD9 || marker == 0xDA) {
                return Optional.empty(); // stuffed byte, second SOI, EOI or scan data before any frame header
            }
            if (n - pos < 3) {
                return Optional.empty();
            }
            int segmentLength = u16be(b, pos + 1);
            if (segmentLength < 2) {
                return Optional.empty();
            }
            if (isSof(marker)) {
                // length(2) precision(1) height(2) width(2) components(1) + 3 per component: at least 11.
                if (segmentLength < 11 || n - pos < 8) {
                    return Optional.empty();
                }
                return of(u16be(b, pos + 6), u16be(b, pos + 4));
            }
            if (segmentLength > n - pos - 1) {
                return Optional.empty(); // the segment runs past the given bytes: the frame header is not in them
            }
            pos += 1 + segmentLength;
        }
        return Optional.empty();
    }

    private static boolean isSof(int marker) {
        for (int sof : JPEG_SOF) {
            if (sof == marker) {
                return true;
            }
        }
        return false;
    }

    /**
     * WebP (RFC 9649): a RIFF "WEBP" file whose first chunk (fourcc at 12, payload at 20) is one of
     * <ul>
     *   <li>{@code VP8 } lossy: a key-frame tag (3 bytes, bit 0 clear), start code 9D 01 2A, then 14-bit
     *       little-endian width and height (the top 2 bits of each are a scaling hint);</li>
     *   <li>{@code VP8L} lossless: signature 0x2F, then 14 bits width-1, 14 bits height-1, 1 alpha bit and a 3-bit
     *       version that must be 0, packed little-endian;</li>
     *   <li>{@code VP8X} extended: flags (1 byte), 3 reserved bytes, then 24-bit little-endian canvas width-1 and
     *       height-1 (the canvas bounds every frame of an animation).</li>
     * </ul>
     */
    private static Optional<Dimensions> webp(byte[] b, int n) {
        if (n < 21 || !ascii(b, n, 0, "RIFF") || !ascii(b, n, 8, "WEBP")) {
            return Optional.empty();
        }
        if (ascii(b, n, 12, "VP8 ")) {
            if (n < 30 || (u8(b, 20) & 0x01) != 0 || u8(b, 23) != 0x9D || u8(b, 24) != 0x01 || u8(b, 25) != 0x2A) {
                return Optional.empty();
            }
            return of(u16le(b, 26) & 0x3FFF, u16le(b, 28) & 0x3FFF);
        }
        if (ascii(b, n, 12, "VP8L")) {
            if (n < 25 || u8(b, 20) != 0x2F) {
                return Optional.empty();
            }
            long bits = u32le(b, 21);
            if ((bits >>> 29) != 0) {
                return Optional.empty();
            }
            return of((bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1);
        }
        if (ascii(b, n, 12, "VP8X")) {
            if (n < 30) {
                return Optional.empty();
            }
            return of(u24le(b, 24) + 1L, u24le(b, 27) + 1L);
        }
        return Optional.empty();
    }

    private static Optional<Dimensions> of(long width, long height) {
        if (width < 1 || height < 1 || width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new Dimensions((int) width, (int) height));
    }

    private static int u16be(byte[] b, int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }

    private static int u16le(byte[] b, int i) {
        return u8(b, i) | (u8(b, i + 1) << 8);
    }

    private static int u24le(byte[] b, int i) {
        return u8(b, i) | (u8(b, i + 1) << 8) | (u8(b, i + 2) << 16);
    }

    private static long u32le(byte[] b, int i) {
        return u24le(b, i) | ((long) u8(b, i + 3) << 24);
    }
}
