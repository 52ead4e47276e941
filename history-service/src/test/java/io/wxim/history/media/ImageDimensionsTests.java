package io.wxim.history.media;

import static io.wxim.history.media.MediaFixtures.ascii;
import static io.wxim.history.media.MediaFixtures.be32;
import static io.wxim.history.media.MediaFixtures.bytes;
import static io.wxim.history.media.MediaFixtures.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageDimensionsTests {

    private static Optional<Dimensions> read(DetectedType type, byte[] data) {
        return ImageDimensions.read(type, data, data.length);
    }

    @Test
    void readsPngGifAndJpeg_fromRealFiles() {
        assertThat(read(MediaSniffer.PNG, MediaFixtures.png(301, 7))).contains(new Dimensions(301, 7));
        assertThat(read(MediaSniffer.GIF, MediaFixtures.gif(123, 45))).contains(new Dimensions(123, 45));
        assertThat(read(MediaSniffer.JPEG, MediaFixtures.jpeg(640, 33))).contains(new Dimensions(640, 33));
    }

    @Test
    void readsJpeg_whenLargeExifSegmentsComeBeforeTheFrameHeader() {
        byte[] jpeg = MediaFixtures.jpeg(320, 240);
        byte[] withExif = concat(concat(Arrays.copyOf(jpeg, 2), concat(app1(60 * 1024), app1(60 * 1024))),
                Arrays.copyOfRange(jpeg, 2, jpeg.length));
        assertThat(withExif.length).isGreaterThan(120 * 1024);

        assertThat(read(MediaSniffer.JPEG, withExif)).contains(new Dimensions(320, 240));
        assertThat(MediaFixtures.decode(withExif).getWidth()).as("still a valid JPEG").isEqualTo(320);
        assertThat(ImageDimensions.read(MediaSniffer.JPEG, withExif, 100 * 1024))
                .as("frame header beyond the given bytes").isEmpty();
    }

    @Test
    void skipsDhtJpgAndDacSegments_whichShareTheSofMarkerRange() {
        byte[] decoy = bytes(0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0); // would read as 1x1 if taken for a frame
        byte[] jpeg = concat(bytes(0xFF, 0xD8), concat(
                concat(concat(bytes(0xFF, 0xC4), decoy), concat(bytes(0xFF, 0xC8), decoy)),
                concat(concat(bytes(0xFF, 0xCC), decoy), concat(bytes(0xFF, 0xFF, 0xD3), // fill bytes, RST3
                        bytes(0xFF, 0xC2, 0x00, 0x0B, 8, 0x01, 0x00, 0x02, 0x00, 1, 1, 0x11, 0)))));
        assertThat(read(MediaSniffer.JPEG, jpeg)).contains(new Dimensions(512, 256));
    }

    @Test
    void refusesJpeg_whenHeightIsZeroOrSegmentsAreMalformed() {
        byte[] zeroHeight = bytes(0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0, 0, 0x01, 0x00, 1, 1, 0x11, 0);
        assertThat(read(MediaSniffer.JPEG, zeroHeight)).as("height defined later by DNL").isEmpty();
        assertThat(read(MediaSniffer.JPEG, bytes(0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0, 0))).as("length < 2").isEmpty();
        assertThat(read(MediaSniffer.JPEG, bytes(0xFF, 0xD8, 0x12, 0x34, 0, 0))).as("not a marker").isEmpty();
        assertThat(read(MediaSniffer.JPEG, bytes(0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0, 0))).as("scan first").isEmpty();
        assertThat(read(MediaSniffer.JPEG, bytes(0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x08, 8, 0, 1, 0, 1, 0)))
                .as("frame header shorter than 11").isEmpty();
    }

    @Test
    void readsClaimedSize_whenPngHeaderIsABomb() {
        byte[] header = concat(MediaSniffer.PNG_SIGNATURE,
                concat(concat(be32(13), ascii("IHDR")), concat(concat(be32(100_000), be32(100_000)), new byte[9])));
        Optional<Dimensions> size = read(MediaSniffer.PNG, header);
        assertThat(size).contains(new Dimensions(100_000, 100_000));
        assertThat(size.get().pixels()).isEqualTo(10_000_000_000L);
    }

    @Test
    void refusesPng_whenIhdrIsMissingZeroOrOutOfRange() {
        byte[] png = MediaFixtures.png(10, 10);
        assertThat(read(MediaSniffer.PNG, patched(png, 16, be32(0)))).isEmpty();
        assertThat(read(MediaSniffer.PNG, patched(png, 20, be32(0x8000_0000L)))).isEmpty();
        assertThat(read(MediaSniffer.PNG, patched(png, 12, ascii("IDAT")))).isEmpty();
        assertThat(read(MediaSniffer.PNG, patched(png, 8, be32(14)))).isEmpty();
    }

    @Test
    void readsWebp_fromLosslessLossyAndExtendedHeaders() {
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.WEBP_1X1_LOSSLESS)).contains(new Dimensions(1, 1));
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.WEBP_320X200_LOSSY)).contains(new Dimensions(320, 200));
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.solidWebp(1234, 567, 0xFF000000)))
                .contains(new Dimensions(1234, 567));
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.solidWebp(16384, 16384, 0xFF000000)))
                .as("14-bit maximum").contains(new Dimensions(16384, 16384));
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.vp8Header(4000, 3000))).contains(new Dimensions(4000, 3000));
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.vp8Header(0xC000 | 100, 0x4000 | 50)))
                .as("scaling bits ignored").contains(new Dimensions(100, 50));
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.vp8xHeader(100_000, 16_777_216)))
                .as("24-bit canvas").contains(new Dimensions(100_000, 16_777_216));
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.solidWebpExtended(640, 480, 0xFF000000)))
                .contains(new Dimensions(640, 480));
    }

    @Test
    void refusesWebp_whenHeaderFieldsAreInvalid() {
        byte[] vp8 = MediaFixtures.vp8Header(40, 30);
        assertThat(read(MediaSniffer.WEBP, patched(vp8, 20, bytes(0x11)))).as("not a key frame").isEmpty();
        assertThat(read(MediaSniffer.WEBP, patched(vp8, 23, bytes(0x9C)))).as("bad start code").isEmpty();
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.vp8Header(0, 30))).as("zero width").isEmpty();
        byte[] vp8l = MediaFixtures.solidWebp(40, 30, 0);
        assertThat(read(MediaSniffer.WEBP, patched(vp8l, 20, bytes(0x2E)))).as("bad signature").isEmpty();
        assertThat(read(MediaSniffer.WEBP, patched(vp8l, 24, bytes(vp8l[24] | 0x20)))).as("version 1").isEmpty();
        assertThat(read(MediaSniffer.WEBP, patched(vp8l, 12, ascii("ALPH")))).as("other chunk").isEmpty();
    }

    @Test
    void givesEmpty_forAudioOrMismatchedType() {
        assertThat(read(MediaSniffer.MP3, MediaFixtures.png(10, 10))).isEmpty();
        assertThat(read(MediaSniffer.JPEG, MediaFixtures.png(10, 10))).isEmpty();
        assertThat(read(MediaSniffer.WEBP, MediaFixtures.gif(10, 10))).isEmpty();
        assertThat(ImageDimensions.read(MediaSniffer.PNG, null, 10)).isEmpty();
    }

    @Test
    void givesTheRightSizeOrEmpty_whenAValidFileIsTruncatedAnywhere() {
        Map<DetectedType, List<byte[]>> files = Map.of(
                MediaSniffer.PNG, List.of(MediaFixtures.png(33, 22)),
                MediaSniffer.GIF, List.of(MediaFixtures.gif(33, 22)),
                MediaSniffer.JPEG, List.of(MediaFixtures.jpeg(33, 22)),
                MediaSniffer.WEBP, List.of(MediaFixtures.solidWebp(33, 22, 0), MediaFixtures.solidWebpExtended(33, 22, 0),
                        MediaFixtures.vp8Header(33, 22)));
        Dimensions expected = new Dimensions(33, 22);
        files.forEach((type, list) -> list.forEach(file -> {
            for (int length = 0; length <= Math.min(file.length, 1024); length++) {
                Optional<Dimensions> result = ImageDimensions.read(type, file, length);
                assertThat(result.filter(d -> !d.equals(expected))).as("%s cut at %d", type.extension(), length)
                        .isEmpty();
            }
        }));
    }

    @Test
    void neverThrows_onRandomGarbageWithOrWithoutAValidSignature() {
        Random random = new Random(42);
        List<byte[]> prefixes = List.of(new byte[0], MediaSniffer.PNG_SIGNATURE, bytes(0xFF, 0xD8), ascii("GIF89a"),
                ascii("RIFF\0\0\0\0WEBPVP8 "), ascii("RIFF\0\0\0\0WEBPVP8L"), ascii("RIFF\0\0\0\0WEBPVP8X"));
        List<DetectedType> types = List.of(MediaSniffer.PNG, MediaSniffer.GIF, MediaSniffer.JPEG, MediaSniffer.WEBP);
        for (int i = 0; i < 3000; i++) {
            byte[] prefix = prefixes.get(i % prefixes.size());
            byte[] garbage = new byte[random.nextInt(200)];
            random.nextBytes(garbage);
            if (i % 3 == 0) {
                Arrays.fill(garbage, 0, garbage.length / 2, (byte) 0xFF); // fill-byte runs for the JPEG walk
            }
            byte[] data = concat(prefix, garbage);
            int length = random.nextInt(data.length + 10) - 5; // also negative and past the end
            for (DetectedType type : types) {
                assertThatCode(() -> ImageDimensions.read(type, data, length)).doesNotThrowAnyException();
            }
        }
    }

    /** An APP1 (EXIF) segment with {@code size} payload bytes full of bytes that look like markers. */
    private static byte[] app1(int size) {
        byte[] segment = new byte[4 + size];
        segment[0] = (byte) 0xFF;
        segment[1] = (byte) 0xE1;
        segment[2] = (byte) ((size + 2) >> 8);
        segment[3] = (byte) (size + 2);
        byte[] exif = ascii("Exif\0\0");
        System.arraycopy(exif, 0, segment, 4, exif.length);
        for (int i = 4 + exif.length; i + 1 < segment.length; i += 2) {
            segment[i] = (byte) 0xFF;
            segment[i + 1] = (byte) 0xC0; // a naive scanner would take these for frame headers
        }
        return segment;
    }

    private static byte[] patched(byte[] file, int offset, byte[] replacement) {
        byte[] copy = file.clone();
        System.arraycopy(replacement, 0, copy, offset, replacement.length);
        return copy;
    }
}
