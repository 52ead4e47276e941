package io.wxim.history.media;

import static io.wxim.history.media.MediaFixtures.ascii;
import static io.wxim.history.media.MediaFixtures.be32;
import static io.wxim.history.media.MediaFixtures.bytes;
import static io.wxim.history.media.MediaFixtures.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.history.media.Thumbnailer.Thumbnail;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;

class ThumbnailerTests {
    private static final int MAX_EDGE = 320;

    private final Thumbnailer thumbnailer = new Thumbnailer(MAX_EDGE, 40_000_000, 0.8f);

    private Thumbnail create(byte[] data) {
        return thumbnailer.create(data, data.length);
    }

    /** Decodes the thumbnail again and checks it is a baseline JPEG of the stated size. */
    private static BufferedImage decodedJpeg(Thumbnail thumbnail) {
        byte[] jpeg = thumbnail.jpeg();
        assertThat(MediaSniffer.sniff(jpeg, MediaSniffer.HEAD_BYTES)).contains(MediaSniffer.JPEG);
        assertThat(ImageDimensions.read(MediaSniffer.JPEG, jpeg, jpeg.length))
                .contains(new Dimensions(thumbnail.width(), thumbnail.height()));
        assertThat(hasMarker(jpeg, 0xC0)).as("baseline SOF0").isTrue();
        assertThat(hasMarker(jpeg, 0xC2)).as("no progressive SOF2").isFalse();
        BufferedImage image = MediaFixtures.decode(jpeg);
        assertThat(image.getWidth()).isEqualTo(thumbnail.width());
        assertThat(image.getHeight()).isEqualTo(thumbnail.height());
        return image;
    }

    @Test
    void shrinksLargePngWithAlpha_toMaxEdgeKeepingAspectOnWhite() {
        Thumbnail thumbnail = create(MediaFixtures.png(2000, 1000));

        assertThat(thumbnail.width()).isEqualTo(MAX_EDGE);
        assertThat(thumbnail.height()).isEqualTo(160);
        BufferedImage image = decodedJpeg(thumbnail);
        assertNear(image.getRGB(40, 40), Color.RED);
        assertNear(image.getRGB(280, 40), Color.BLUE);
        assertNear(image.getRGB(40, 120), Color.GREEN);
        assertNear(image.getRGB(280, 120), Color.WHITE); // the transparent quarter, flattened on white
    }

    @Test
    void shrinksPortraitJpeg_alongItsLongerEdge() {
        Thumbnail thumbnail = create(MediaFixtures.jpeg(900, 1600));

        assertThat(thumbnail.height()).isEqualTo(MAX_EDGE);
        assertThat(thumbnail.width()).isEqualTo(180);
        assertNear(decodedJpeg(thumbnail).getRGB(40, 40), Color.RED);
    }

    @Test
    void keepsSize_whenImageIsAlreadySmall() {
        Thumbnail thumbnail = create(MediaFixtures.png(100, 50));

        assertThat(thumbnail.width()).isEqualTo(100);
        assertThat(thumbnail.height()).isEqualTo(50);
        assertNear(decodedJpeg(thumbnail).getRGB(90, 40), Color.WHITE);
    }

    @Test
    void keepsAtLeastOnePixel_whenImageIsAThinStrip() {
        Thumbnail thumbnail = create(MediaFixtures.png(3000, 2));

        assertThat(thumbnail.width()).isEqualTo(MAX_EDGE);
        assertThat(thumbnail.height()).isEqualTo(1);
        decodedJpeg(thumbnail);
    }

    @Test
    void decodesFirstFrame_whenGifIsStillOrAnimated() throws IOException {
        Thumbnail thumbnail = create(MediaFixtures.gif(800, 400));

        assertThat(thumbnail.width()).isEqualTo(MAX_EDGE);
        assertThat(thumbnail.height()).isEqualTo(160);
        assertNear(decodedJpeg(thumbnail).getRGB(40, 40), Color.RED);

        byte[] gif = MediaFixtures.animatedGif(640, 480, Color.RED, Color.BLUE, Color.GREEN);
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        reader.setInput(new MemoryCacheImageInputStream(new ByteArrayInputStream(gif)));
        assertThat(reader.getNumImages(true)).as("frames").isEqualTo(3);
        reader.dispose();
        Thumbnail animated = create(gif);
        assertThat(animated.width()).isEqualTo(MAX_EDGE);
        assertThat(animated.height()).isEqualTo(240);
        assertNear(decodedJpeg(animated).getRGB(160, 120), Color.RED);
    }

    @Test
    void flattensPaletteTransparency_whenPngIsIndexed() {
        IndexColorModel palette = new IndexColorModel(8, 2, bytes(255, 0), bytes(0, 0), bytes(0, 0), 1);
        BufferedImage indexed = new BufferedImage(400, 200, BufferedImage.TYPE_BYTE_INDEXED, palette);
        for (int y = 0; y < 200; y++) {
            for (int x = 200; x < 400; x++) {
                indexed.getRaster().setSample(x, y, 0, 1); // left half red (index 0), right half transparent
            }
        }
        Thumbnail thumbnail = create(MediaFixtures.encode(indexed, "png"));

        BufferedImage image = decodedJpeg(thumbnail);
        assertThat(thumbnail.width()).isEqualTo(MAX_EDGE);
        assertNear(image.getRGB(40, 80), Color.RED);
        assertNear(image.getRGB(280, 80), Color.WHITE);
    }

    @Test
    void decodesWebp_whenLossyLosslessOrExtended() {
        Thumbnail lossy = new Thumbnailer(160, 40_000_000, 0.8f).create(MediaFixtures.WEBP_320X200_LOSSY,
                MediaFixtures.WEBP_320X200_LOSSY.length);
        assertThat(lossy.width()).isEqualTo(160);
        assertThat(lossy.height()).isEqualTo(100);
        decodedJpeg(lossy);

        Thumbnail lossless = create(MediaFixtures.solidWebp(1000, 500, 0x80FF0000)); // half-transparent red
        assertThat(lossless.width()).isEqualTo(MAX_EDGE);
        assertThat(lossless.height()).isEqualTo(160);
        assertNear(decodedJpeg(lossless).getRGB(100, 100), new Color(255, 127, 127));

        Thumbnail extended = create(MediaFixtures.solidWebpExtended(640, 640, 0xFF0000FF));
        assertThat(extended.width()).isEqualTo(MAX_EDGE);
        assertThat(extended.height()).isEqualTo(MAX_EDGE);
        assertNear(decodedJpeg(extended).getRGB(100, 100), Color.BLUE);

        Thumbnail tiny = create(MediaFixtures.WEBP_1X1_LOSSLESS);
        assertThat(tiny.width()).isEqualTo(1);
        assertThat(tiny.height()).isEqualTo(1);
        decodedJpeg(tiny);
    }

    @Test
    void refuses_whenHeaderClaimsMoreThanMaxPixels() {
        Thumbnailer small = new Thumbnailer(MAX_EDGE, 1_000_000, 0.8f);
        byte[] pngBomb = concat(MediaSniffer.PNG_SIGNATURE,
                concat(concat(be32(13), ascii("IHDR")), concat(concat(be32(100_000), be32(100_000)), new byte[9])));
        byte[] webpBomb = MediaFixtures.solidWebp(16_384, 16_384, 0xFF000000);
        byte[] png = MediaFixtures.png(2000, 1000);

        for (byte[] image : new byte[][] {pngBomb, webpBomb, png}) {
            assertThatThrownBy(() -> small.create(image, image.length))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("image too large");
        }
    }

    @Test
    void refuses_whenDecoderReportsMoreThanMaxPixels_thoughTheGifScreenIsSmall() {
        byte[] gif = MediaFixtures.gif(1200, 1000);
        byte[] smallScreen = gif.clone();
        System.arraycopy(bytes(10, 0, 10, 0), 0, smallScreen, 6, 4); // logical screen 10x10, frame still 1200x1000
        assertThat(ImageDimensions.read(MediaSniffer.GIF, smallScreen, smallScreen.length))
                .contains(new Dimensions(10, 10));

        Thumbnailer small = new Thumbnailer(MAX_EDGE, 1_000_000, 0.8f);
        assertThatThrownBy(() -> small.create(smallScreen, smallScreen.length))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("image too large");
    }

    @Test
    void refusesWithFixedMessage_whenBytesAreNotADecodableImage() {
        Random random = new Random(7);
        byte[] png = MediaFixtures.png(200, 100);
        byte[] brokenPixels = png.clone();
        for (int i = 60; i < brokenPixels.length - 12; i++) {
            brokenPixels[i] = (byte) random.nextInt();
        }
        byte[] noise = new byte[4096];
        random.nextBytes(noise);
        byte[][] refused = {
                noise,
                new byte[0],
                ascii("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>"),
                concat(bytes(0xFF, 0xFB, 0x90, 0x64), new byte[400]), // MP3 frame: audio is not an image
                Arrays.copyOf(png, 100), // truncated inside the pixel data
                brokenPixels,
        };
        for (byte[] data : refused) {
            assertThatThrownBy(() -> thumbnailer.create(data, data.length))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("image cannot be decoded");
        }
    }

    @Test
    void refusesWithOneOfTheFixedMessages_whenAValidSignatureIsFollowedByNoise() {
        Random random = new Random(11);
        byte[][] signatures = {ascii("GIF89a"), MediaSniffer.PNG_SIGNATURE, bytes(0xFF, 0xD8, 0xFF),
                ascii("RIFF\0\0\0\0WEBPVP8L"), ascii("RIFF\0\0\0\0WEBPVP8 "), ascii("RIFF\0\0\0\0WEBPVP8X")};
        for (int i = 0; i < 60; i++) {
            byte[] noise = new byte[16 + random.nextInt(2048)];
            random.nextBytes(noise);
            byte[] data = concat(signatures[i % signatures.length], noise);
            // Noise may claim a huge size (refused as too large before decoding) or just fail to decode.
            assertThatThrownBy(() -> thumbnailer.create(data, data.length))
                    .isInstanceOf(IllegalArgumentException.class)
                    .extracting(Throwable::getMessage)
                    .isIn("image cannot be decoded", "image too large");
        }
    }

    @Test
    void readsOnlyTheGivenLength_whenTheBufferIsLarger() {
        byte[] png = MediaFixtures.png(400, 100);
        byte[] buffer = concat(png, ascii("trailing bytes of a reused buffer"));

        Thumbnail thumbnail = thumbnailer.create(buffer, png.length);
        assertThat(thumbnail.width()).isEqualTo(MAX_EDGE);
        assertThat(thumbnail.height()).isEqualTo(80);
        assertThatThrownBy(() -> thumbnailer.create(png, png.length + 1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> new Thumbnailer(0, 1, 0.8f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Thumbnailer(10, 0, 0.8f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Thumbnailer(10, 1, 0f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Thumbnailer(10, 1, 1.5f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Thumbnailer(10, 1, Float.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void thumbnailIsImmutable() {
        Thumbnail thumbnail = create(MediaFixtures.png(10, 10));
        byte[] copy = thumbnail.jpeg();
        copy[0] = 0;
        assertThat(thumbnail.jpeg()[0]).isEqualTo((byte) 0xFF);
        assertThat(thumbnail).isEqualTo(new Thumbnail(thumbnail.jpeg(), 10, 10));
    }

    /** Within JPEG and scaling error of the expected colour. */
    private static void assertNear(int rgb, Color expected) {
        Color actual = new Color(rgb);
        assertThat(Math.abs(actual.getRed() - expected.getRed())).as("red of %s", actual).isLessThan(24);
        assertThat(Math.abs(actual.getGreen() - expected.getGreen())).as("green of %s", actual).isLessThan(24);
        assertThat(Math.abs(actual.getBlue() - expected.getBlue())).as("blue of %s", actual).isLessThan(24);
    }

    private static boolean hasMarker(byte[] jpeg, int marker) {
        int pos = 2;
        while (pos + 3 < jpeg.length && (jpeg[pos] & 0xFF) == 0xFF) {
            int m = jpeg[pos + 1] & 0xFF;
            if (m == marker) {
                return true;
            }
            if (m == 0xDA) {
                return false; // entropy-coded data follows
            }
            pos += 2 + (((jpeg[pos + 2] & 0xFF) << 8) | (jpeg[pos + 3] & 0xFF));
        }
        return false;
    }
}
