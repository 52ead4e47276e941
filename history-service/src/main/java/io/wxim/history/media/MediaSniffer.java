package io.wxim.history.media;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * Decides what an upload is from its first bytes (magic numbers) only. File names and the declared
 * {@code Content-Type} are chosen by the client and are never consulted: no parameter for them exists.
 *
 * <p>Only a short allow-list is accepted. Anything else, in particular SVG, HTML, XML, PDF, text and ZIP, is refused,
 * because those can carry script or active content that a browser or WebView would run from our origin (stored XSS),
 * or could be used to host arbitrary files on our domain. A file that passes is later served with the content type
 * found here plus {@code X-Content-Type-Options: nosniff}, so a client cannot reinterpret it.
 *
 * <p>The sniffer only checks the container or stream header; it does not prove the rest of the file is well formed.
 * Images are decoded again when thumbnailed ({@link Thumbnailer}); audio is served as-is.
 */
public final class MediaSniffer {

    /** How many leading bytes a caller should pass; every check here needs at most the first 16. */
    public static final int HEAD_BYTES = 64;

    static final DetectedType JPEG = new DetectedType(MediaKind.IMAGE, "image/jpeg", "jpg");
    static final DetectedType PNG = new DetectedType(MediaKind.IMAGE, "image/png", "png");
    static final DetectedType GIF = new DetectedType(MediaKind.IMAGE, "image/gif", "gif");
    static final DetectedType WEBP = new DetectedType(MediaKind.IMAGE, "image/webp", "webp");
    static final DetectedType MP3 = new DetectedType(MediaKind.AUDIO, "audio/mpeg", "mp3");
    static final DetectedType AAC = new DetectedType(MediaKind.AUDIO, "audio/aac", "aac");
    static final DetectedType M4A = new DetectedType(MediaKind.AUDIO, "audio/mp4", "m4a");
    static final DetectedType WAV = new DetectedType(MediaKind.AUDIO, "audio/wav", "wav");

    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** ISO BMFF major brands of audio-only MP4 (M4A/M4B) and the generic MP4 brands phones write for voice notes. */
    private static final Set<String> MP4_AUDIO_BRANDS = Set.of("M4A ", "M4B ", "mp42", "isom", "iso2", "mp41");

    private MediaSniffer() {
    }

    /**
     * The type of an upload judged from its first bytes.
     *
     * @param head   the first bytes of the file, ideally {@link #HEAD_BYTES} of them
     * @param length how many bytes of {@code head} are valid (less than {@link #HEAD_BYTES} for a tiny file); nothing
     *               at or after this index is read
     * @return the type, or empty when the bytes match none of the allowed types (also for empty or too short input)
     */
    public static Optional<DetectedType> sniff(byte[] head, int length) {
        if (head == null || length <= 0) {
            return Optional.empty();
        }
        int n = Math.min(length, head.length);
        if (isJpeg(head, n)) {
            return Optional.of(JPEG);
        }
        if (startsWith(head, n, 0, PNG_SIGNATURE)) {
            return Optional.of(PNG);
        }
        if (isGif(head, n)) {
            return Optional.of(GIF);
        }
        if (ascii(head, n, 0, "RIFF")) {
            return riff(head, n);
        }
        if (ascii(head, n, 4, "ftyp")) {
            return isMp4Audio(head, n) ? Optional.of(M4A) : Optional.empty();
        }
        if (isId3(head, n) || isMpegLayer3Frame(head, n)) {
            return Optional.of(MP3);
        }
        if (isAdts(head, n)) {
            return Optional.of(AAC);
        }
        return Optional.empty();
    }

    /** SOI marker followed by the start of the next marker. Protects against anything else named .jpg. */
    private static boolean isJpeg(byte[] b, int n) {
        return n >= 3 && u8(b, 0) == 0xFF && u8(b, 1) == 0xD8 && u8(b, 2) == 0xFF;
    }

    /** Only the two GIF versions that exist; "GIF8" alone would also match text that starts like it. */
    private static boolean isGif(byte[] b, int n) {
        return ascii(b, n, 0, "GIF87a") || ascii(b, n, 0, "GIF89a");
    }

    /**
     * RIFF is a generic container (AVI, WAVE, WEBP, ...): only the WEBP and WAVE form types are accepted, and WEBP only
     * with one of the three image chunk types that open a valid WebP file (simple lossy, lossless, extended).
     */
    private static Optional<DetectedType> riff(byte[] b, int n) {
        if (ascii(b, n, 8, "WAVE")) {
            return Optional.of(WAV);
        }
        if (ascii(b, n, 8, "WEBP")
                && (ascii(b, n, 12, "VP8 ") || ascii(b, n, 12, "VP8L") || ascii(b, n, 12, "VP8X"))) {
            return Optional.of(WEBP);
        }
        return Optional.empty();
    }

    /**
     * An ISO BMFF file whose first box is a well-sized {@code ftyp} with an audio or generic MP4 major brand. Other
     * brands (QuickTime {@code qt  }, HEIF {@code heic}, 3GP ...) are refused. An MP4 that holds video also passes
     * this container check; it is then served as {@code audio/mp4} with nosniff, which is harmless.
     */
    private static boolean isMp4Audio(byte[] b, int n) {
        if (n < 12) {
            return false;
        }
        long boxSize = u32be(b, 0);
        // size(4) type(4) major brand(4) minor version(4): a shorter ftyp box is malformed.
        return boxSize >= 16 && MP4_AUDIO_BRANDS.contains(new String(b, 8, 4, StandardCharsets.ISO_8859_1));
    }

    /**
     * An ID3v2 tag: "ID3", major version 2..4, revision not 0xFF, and a sync-safe size (high bit of each of the
     * four size bytes clear). Protects against text that happens to start with "ID3".
     */
    private static boolean isId3(byte[] b, int n) {
        if (n < 10 || !ascii(b, n, 0, "ID3")) {
            return false;
        }
        int version = u8(b, 3);
        return version >= 2 && version <= 4 && u8(b, 4) != 0xFF
                && (u8(b, 6) | u8(b, 7) | u8(b, 8) | u8(b, 9)) < 0x80;
    }

    /**
     * An MPEG audio frame header: 11 sync bits set, version not the reserved value, layer III (MP3; layers I and II
     * are not accepted), bitrate index neither 0000 (free format) nor 1111 (invalid), sample-rate index not 11
     * (reserved). Random bytes starting with 0xFF rarely pass all of these.
     */
    private static boolean isMpegLayer3Frame(byte[] b, int n) {
        if (n < 4 || u8(b, 0) != 0xFF || (u8(b, 1) & 0xE0) != 0xE0) {
            return false;
        }
        int version = (u8(b, 1) >> 3) & 0x03;
        int layer = (u8(b, 1) >> 1) & 0x03;
        int bitrateIndex = u8(b, 2) >> 4;
        int sampleRateIndex = (u8(b, 2) >> 2) & 0x03;
        return version != 0x01 && layer == 0x01 && bitrateIndex != 0x0 && bitrateIndex != 0xF
                && sampleRateIndex != 0x03;
    }

    /**
     * An ADTS (raw AAC) frame header: 12 sync bits 0xFFF, layer bits 00, sampling-frequency index below 13 (13 and 14
     * are reserved, 15 means an explicit frequency, which ADTS does not allow). The header is 7 bytes long.
     */
    private static boolean isAdts(byte[] b, int n) {
        if (n < 7 || u8(b, 0) != 0xFF || (u8(b, 1) & 0xF0) != 0xF0 || (u8(b, 1) & 0x06) != 0) {
            return false;
        }
        return ((u8(b, 2) >> 2) & 0x0F) < 13;
    }

    // Byte readers shared with ImageDimensions. u8/u32be trust the caller's bounds check; startsWith and ascii check
    // against n, the number of valid bytes in b.

    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    static long u32be(byte[] b, int i) {
        return ((long) u8(b, i) << 24) | (u8(b, i + 1) << 16) | (u8(b, i + 2) << 8) | u8(b, i + 3);
    }

    static boolean startsWith(byte[] b, int n, int offset, byte[] expected) {
        if (offset < 0 || n - offset < expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (b[offset + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    static boolean ascii(byte[] b, int n, int offset, String expected) {
        if (offset < 0 || n - offset < expected.length()) {
            return false;
        }
        for (int i = 0; i < expected.length(); i++) {
            if (b[offset + i] != (byte) expected.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
