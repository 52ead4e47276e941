package io.wxim.history.media;

import static io.wxim.history.media.MediaFixtures.ascii;
import static io.wxim.history.media.MediaFixtures.be32;
import static io.wxim.history.media.MediaFixtures.bytes;
import static io.wxim.history.media.MediaFixtures.chunk;
import static io.wxim.history.media.MediaFixtures.concat;
import static io.wxim.history.media.MediaFixtures.le32;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MediaSnifferTests {

    private static Optional<DetectedType> sniff(byte[] file) {
        byte[] head = Arrays.copyOf(file, MediaSniffer.HEAD_BYTES); // what an upload handler reads first
        return MediaSniffer.sniff(head, Math.min(file.length, MediaSniffer.HEAD_BYTES));
    }

    private static void assertDetected(byte[] file, MediaKind kind, String contentType, String extension) {
        assertThat(sniff(file)).contains(new DetectedType(kind, contentType, extension));
    }

    private static byte[] padded(byte[] head) {
        return concat(head, new byte[32]);
    }

    // --- accepted types ---

    @Test
    void detectsJpeg_whenGeneratedByImageIo() {
        assertDetected(MediaFixtures.jpeg(16, 8), MediaKind.IMAGE, "image/jpeg", "jpg");
    }

    @Test
    void detectsPng_whenGeneratedByImageIo() {
        assertDetected(MediaFixtures.png(16, 8), MediaKind.IMAGE, "image/png", "png");
    }

    @Test
    void detectsGif_forBothVersions() {
        byte[] gif89 = MediaFixtures.gif(16, 8);
        assertThat(Arrays.copyOf(gif89, 6)).isEqualTo(ascii("GIF89a"));
        assertDetected(gif89, MediaKind.IMAGE, "image/gif", "gif");
        assertDetected(padded(ascii("GIF87a")), MediaKind.IMAGE, "image/gif", "gif");
    }

    @Test
    void detectsWebp_forLossyLosslessAndExtended() {
        assertThat(MediaFixtures.decode(MediaFixtures.WEBP_1X1_LOSSLESS).getWidth()).isEqualTo(1);
        assertDetected(MediaFixtures.WEBP_1X1_LOSSLESS, MediaKind.IMAGE, "image/webp", "webp");
        assertDetected(MediaFixtures.WEBP_320X200_LOSSY, MediaKind.IMAGE, "image/webp", "webp");
        assertDetected(MediaFixtures.solidWebpExtended(4, 4, 0xFF00FF00), MediaKind.IMAGE, "image/webp", "webp");
    }

    @Test
    void detectsMp3_whenItStartsWithAnId3Tag() {
        for (int version = 2; version <= 4; version++) {
            byte[] id3 = concat(ascii("ID3"), bytes(version, 0, 0, 0, 0, 0x02, 0x01));
            assertDetected(padded(id3), MediaKind.AUDIO, "audio/mpeg", "mp3");
        }
    }

    @Test
    void detectsMp3_whenItStartsWithALayer3FrameHeader() {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, and MPEG-2 layer III, 64 kbit/s, 22.05 kHz
        assertDetected(padded(bytes(0xFF, 0xFB, 0x90, 0x64)), MediaKind.AUDIO, "audio/mpeg", "mp3");
        assertDetected(padded(bytes(0xFF, 0xF3, 0x80, 0xC4)), MediaKind.AUDIO, "audio/mpeg", "mp3");
    }

    @Test
    void detectsAac_whenItStartsWithAnAdtsHeader() {
        // MPEG-4 AAC LC, 44.1 kHz (index 4), stereo, no CRC
        assertDetected(padded(bytes(0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC)), MediaKind.AUDIO, "audio/aac", "aac");
        // MPEG-2 ID bit set, with CRC, 8 kHz (index 11)
        assertDetected(padded(bytes(0xFF, 0xF8, 0x6C, 0x40, 0x02, 0x1F, 0xFC)), MediaKind.AUDIO, "audio/aac", "aac");
    }

    @ParameterizedTest
    @ValueSource(strings = {"M4A ", "M4B ", "mp42", "isom", "iso2", "mp41"})
    void detectsM4a_forAudioAndGenericMp4Brands(String brand) {
        assertDetected(ftyp(brand), MediaKind.AUDIO, "audio/mp4", "m4a");
    }

    @Test
    void detectsWav_whenRiffFormIsWave() {
        byte[] wav = concat(concat(ascii("RIFF"), le32(36)), concat(ascii("WAVE"), chunk("fmt ", new byte[16])));
        assertDetected(wav, MediaKind.AUDIO, "audio/wav", "wav");
    }

    @Test
    void detectsTinyFile_whenShorterThanHeadBytes() {
        assertThat(MediaSniffer.sniff(bytes(0xFF, 0xD8, 0xFF), 3)).contains(MediaSniffer.JPEG);
    }

    // --- refused types ---

    @ParameterizedTest
    @ValueSource(strings = {
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "<!DOCTYPE html><html><body>hi</body></html>",
            "<html><script>alert(document.cookie)</script></html>",
            "%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj",
            "just some plain text, not a picture",
            "PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000",
            "GIF8",
            "GIF88a and more bytes",
            "ID3 is a tag but this is text",
            "{\"json\": true}",
    })
    void refusesActiveOrUnknownContent(String content) {
        assertThat(sniff(ascii(content))).isEmpty();
    }

    @Test
    void refusesEmptyAndTooShortInput() {
        assertThat(MediaSniffer.sniff(new byte[0], 0)).isEmpty();
        assertThat(MediaSniffer.sniff(new byte[MediaSniffer.HEAD_BYTES], 0)).isEmpty();
        assertThat(MediaSniffer.sniff(null, 10)).isEmpty();
        assertThat(MediaSniffer.sniff(bytes(0xFF, 0xD8, 0xFF), -1)).isEmpty();
        assertThat(MediaSniffer.sniff(bytes(0xFF, 0xD8), 2)).isEmpty();
        assertThat(MediaSniffer.sniff(MediaSniffer.PNG_SIGNATURE, 7)).isEmpty();
        assertThat(sniff(new byte[MediaSniffer.HEAD_BYTES])).isEmpty();
    }

    @Test
    void neverReadsPastLength_whenHeadHoldsMoreBytes() {
        byte[] head = Arrays.copyOf(MediaFixtures.png(4, 4), MediaSniffer.HEAD_BYTES);
        assertThat(MediaSniffer.sniff(head, MediaSniffer.HEAD_BYTES)).contains(MediaSniffer.PNG);
        assertThat(MediaSniffer.sniff(head, 7)).isEmpty();
        byte[] riff = Arrays.copyOf(MediaFixtures.WEBP_1X1_LOSSLESS, MediaSniffer.HEAD_BYTES);
        assertThat(MediaSniffer.sniff(riff, 15)).isEmpty(); // chunk fourcc cut off
        assertThat(MediaSniffer.sniff(head, 1000)).contains(MediaSniffer.PNG); // length beyond the array is capped
    }

    @Test
    void refusesPngSignature_whenAnyByteIsChanged() {
        byte[] png = MediaFixtures.png(4, 4);
        for (int i = 0; i < 8; i++) {
            byte[] broken = png.clone();
            broken[i] ^= 0x01;
            assertThat(sniff(broken)).as("byte %d changed", i).isEmpty();
        }
    }

    @Test
    void judgesContentOnly_becauseNoNameOrDeclaredTypeCanBePassed() {
        // An HTML page uploaded as "photo.jpg" with Content-Type image/jpeg is still HTML: the API cannot even be told.
        for (Method m : MediaSniffer.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers())) {
                assertThat(m.getParameterTypes()).containsExactly(byte[].class, int.class);
            }
        }
        assertThat(sniff(ascii("<html><img src=x onerror=alert(1)></html>"))).isEmpty();
    }

    @Test
    void refusesMpegFrame_whenNotLayer3OrHeaderFieldsInvalid() {
        assertThat(sniff(padded(bytes(0xFF, 0xFF, 0x90, 0x64)))).as("layer I").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xFD, 0x90, 0x64)))).as("layer II").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xFB, 0x00, 0x64)))).as("free-format bitrate 0000").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xFB, 0xF0, 0x64)))).as("bad bitrate 1111").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xFB, 0x9C, 0x64)))).as("reserved sample rate 11").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xEB, 0x90, 0x64)))).as("reserved version 01").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xDB, 0x90, 0x64)))).as("sync bits incomplete").isEmpty();
        assertThat(MediaSniffer.sniff(bytes(0xFF, 0xFB, 0x90), 3)).as("header cut off").isEmpty();
    }

    @Test
    void refusesId3_whenVersionOrSizeInvalid() {
        assertThat(sniff(padded(concat(ascii("ID3"), bytes(1, 0, 0, 0, 0, 0, 1))))).isEmpty();
        assertThat(sniff(padded(concat(ascii("ID3"), bytes(5, 0, 0, 0, 0, 0, 1))))).isEmpty();
        assertThat(sniff(padded(concat(ascii("ID3"), bytes(3, 0xFF, 0, 0, 0, 0, 1))))).isEmpty();
        assertThat(sniff(padded(concat(ascii("ID3"), bytes(3, 0, 0, 0x80, 0, 0, 1))))).isEmpty();
    }

    @Test
    void refusesAdts_whenLayerOrSamplingIndexInvalid() {
        assertThat(sniff(padded(bytes(0xFF, 0xF5, 0x50, 0x80, 0x02, 0x1F, 0xFC)))).as("layer bits 10").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xF1, 0x34, 0x80, 0x02, 0x1F, 0xFC)))).as("index 13").isEmpty();
        assertThat(sniff(padded(bytes(0xFF, 0xF1, 0x3C, 0x80, 0x02, 0x1F, 0xFC)))).as("index 15").isEmpty();
        assertThat(MediaSniffer.sniff(bytes(0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F), 6)).as("cut off").isEmpty();
    }

    @Test
    void refusesRiff_whenFormIsNotWebpOrWave() {
        byte[] avi = concat(concat(ascii("RIFF"), le32(1000)), concat(ascii("AVI "), chunk("LIST", new byte[20])));
        assertThat(sniff(avi)).isEmpty();
        byte[] webpWithOtherChunk = MediaFixtures.riffWebp(chunk("ALPH", new byte[8]));
        assertThat(sniff(webpWithOtherChunk)).isEmpty();
    }

    @Test
    void refusesIsoMedia_whenBrandIsNotAudio() {
        assertThat(sniff(ftyp("qt  "))).as("QuickTime").isEmpty();
        assertThat(sniff(ftyp("heic"))).as("HEIF image").isEmpty();
        assertThat(sniff(ftyp("3gp4"))).as("3GPP").isEmpty();
        byte[] tooSmallBox = ftyp("M4A ");
        tooSmallBox[3] = 8;
        assertThat(sniff(tooSmallBox)).isEmpty();
    }

    /** An ISO BMFF ftyp box: size, "ftyp", major brand, minor version, two compatible brands. */
    private static byte[] ftyp(String majorBrand) {
        byte[] body = concat(concat(ascii("ftyp"), ascii(majorBrand)), concat(new byte[4], ascii("M4A mp42")));
        return padded(concat(be32(4 + body.length), body));
    }
}
