package io.wxim.history.media;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Test media built in memory: real images from ImageIO, WebP from a fixed file or encoded by hand. */
final class MediaFixtures {

    /** A 1x1 lossless WebP with alpha (VP8L), as published in many WebP feature checks. */
    static final byte[] WEBP_1X1_LOSSLESS = Base64.getDecoder().decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==");

    /** A 320x200 lossy WebP (simple VP8) of a colour gradient, made once with libwebp's {@code cwebp -q 20}. */
    static final byte[] WEBP_320X200_LOSSY = Base64.getMimeDecoder().decode("""
            UklGRoQCAABXRUJQVlA4IHgCAADwFwCdASpAAcgAPzmcyV8vKqglICgB4CcJZ27g4J8CWA//4d5/9wDGZ8EIBf7a/ves/qAE+8/e
            eoqfvPUVP3OBGQ8Q6ybeVQ3eealYCrJy//3oRcVP4b39m2ygv3nqKrX+geP+oH7WQrKfvV9cQ5on6I6ybbAVZNtgEjR+iOsm3lUO
            L86vAaI6ybbAVZNtgKZr+iOne2wFWTbYBI0fojrF5sBVk214Vk22AqybbAVZNszNZNtgKsm2wFWTXkFWTbYCrJtsBVj2AAD+uGL/
            i779ffrzvcKrkDunvCQK/nhSMTsEzUJQukZyIdE/z7CNU7KoidKpkfnoSEOdq75wfSgdiMwXayKCHX3f/3vHk6NcLrcRUupKYeYS
            Dv2VBPLn/o88kvXSYFoFxA5t8Xo+mZq4+jwJQWYgaHdtEzDrLGX7ru3C1Qhew/1xJeOSiMHUyrPydEa0zDeB6corkCsUFzWovXnW
            Kocm6HtrkAgaU1Fd99SvNbcVsUGcVGkpiFGELMdQMfgCawcV+pZf0zmhD9NkfI7/0UPiVMs5exR8Q4nl6rBPoVy+uhyalRr1KOu4
            RNYtjiAcHFfurSJA377dmS1jb3HtMTRUFNFRQBthZGMUpQOstWtijJv9oVDzEVthTKDIGyvZO3Ft4ONBnz1tSERi4qgkM4bjtnSi
            j3TOudWtlQLkktxvLm8Gb/n3mDl5X8CffdrnIYAMEuo+p/CPrImuG+VWtJqMvro0Ym+MWddXf/w/kHxJ2i7p16zfjdx97QHuoN5U
            9l9wugZhQ6SpMYWCze3WPT/RLqmIxr7WuGTqNfS6aadx+qE5HhMEEIjDNy2RGZk9YwgAAA==
            """);

    private MediaFixtures() {
    }

    /** An image of the given size and type with a few coloured areas (and a transparent quarter when it has alpha). */
    static BufferedImage picture(int width, int height, int imageType) {
        BufferedImage image = new BufferedImage(width, height, imageType);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.RED);
            g.fillRect(0, 0, width / 2, height / 2);
            g.setColor(Color.BLUE);
            g.fillRect(width / 2, 0, width - width / 2, height / 2);
            g.setColor(Color.GREEN);
            g.fillRect(0, height / 2, width / 2, height - height / 2);
            // the last quarter keeps the image's initial pixels: transparent black for ARGB, black otherwise
        } finally {
            g.dispose();
        }
        return image;
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] png(int width, int height) {
        return encode(picture(width, height, BufferedImage.TYPE_INT_ARGB), "png");
    }

    static byte[] jpeg(int width, int height) {
        return encode(picture(width, height, BufferedImage.TYPE_INT_RGB), "jpeg");
    }

    static byte[] gif(int width, int height) {
        return encode(picture(width, height, BufferedImage.TYPE_BYTE_INDEXED), "gif");
    }

    /** An animated GIF: one frame per colour, each filling the whole image. */
    static byte[] animatedGif(int width, int height, Color... frames) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (Color colour : frames) {
                BufferedImage frame = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED);
                Graphics2D g = frame.createGraphics();
                g.setColor(colour);
                g.fillRect(0, 0, width, height);
                g.dispose();
                writer.writeToSequence(new IIOImage(frame, null, null), null);
            }
            writer.endWriteSequence();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    static BufferedImage decode(byte[] bytes) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            if (image == null) {
                throw new IllegalStateException("not decodable by ImageIO");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A lossless WebP (RFC 9649, simple VP8L) of one colour: no transforms, no colour cache and five prefix codes that
     * each have a single symbol, so every pixel takes zero bits and any size encodes in a few dozen bytes.
     */
    static byte[] solidWebp(int width, int height, int argb) {
        return riffWebp(vp8lChunk(width, height, argb));
    }

    /** The same image in the extended format: a VP8X header (with the alpha flag) in front of the VP8L chunk. */
    static byte[] solidWebpExtended(int width, int height, int argb) {
        ByteArrayOutputStream vp8x = new ByteArrayOutputStream();
        vp8x.writeBytes(new byte[] {0x10, 0, 0, 0}); // flags: alpha; reserved
        vp8x.writeBytes(le24(width - 1));
        vp8x.writeBytes(le24(height - 1));
        return riffWebp(concat(chunk("VP8X", vp8x.toByteArray()), vp8lChunk(width, height, argb)));
    }

    private static byte[] vp8lChunk(int width, int height, int argb) {
        Bits bits = new Bits();
        bits.write(width - 1, 14);
        bits.write(height - 1, 14);
        bits.write(1, 1); // alpha is used
        bits.write(0, 3); // version 0
        bits.write(0, 1); // no transform
        bits.write(0, 1); // no colour cache
        bits.write(0, 1); // no meta prefix codes
        singleSymbolCode(bits, (argb >>> 8) & 0xFF); // green
        singleSymbolCode(bits, (argb >>> 16) & 0xFF); // red
        singleSymbolCode(bits, argb & 0xFF); // blue
        singleSymbolCode(bits, argb >>> 24); // alpha
        singleSymbolCode(bits, 0); // distance (unused)
        // Trailing zero bytes are ignored by decoders; TwelveMonkeys' bit reader needs 8 bytes of look-ahead.
        return chunk("VP8L", concat(new byte[] {0x2F}, concat(bits.toBytes(), new byte[8])));
    }

    /** Simple code length code with one symbol: 1, num_symbols-1 = 0, is_first_8bits, symbol. */
    private static void singleSymbolCode(Bits bits, int symbol) {
        bits.write(1, 1);
        bits.write(0, 1);
        if (symbol < 2) {
            bits.write(0, 1);
            bits.write(symbol, 1);
        } else {
            bits.write(1, 1);
            bits.write(symbol, 8);
        }
    }

    /** A hand-made 30-byte start of a simple lossy WebP: RIFF header, VP8 chunk header and key-frame header. */
    static byte[] vp8Header(int width, int height) {
        byte[] frame = new byte[10];
        frame[0] = 0x10; // key frame (bit 0 clear), version 0, shown; first partition size is irrelevant here
        frame[3] = (byte) 0x9D;
        frame[4] = 0x01;
        frame[5] = 0x2A;
        System.arraycopy(le16(width), 0, frame, 6, 2);
        System.arraycopy(le16(height), 0, frame, 8, 2);
        return riffWebp(chunk("VP8 ", frame));
    }

    /** A hand-made VP8X header chunk only (what a parser sees first in an extended WebP). */
    static byte[] vp8xHeader(int width, int height) {
        return riffWebp(chunk("VP8X", concat(new byte[4], concat(le24(width - 1), le24(height - 1)))));
    }

    static byte[] riffWebp(byte[] chunks) {
        return concat(concat(ascii("RIFF"), le32(4 + chunks.length)), concat(ascii("WEBP"), chunks));
    }

    /** A RIFF chunk: fourcc, little-endian payload size, payload, a pad byte when the size is odd. */
    static byte[] chunk(String fourcc, byte[] payload) {
        byte[] padded = payload.length % 2 == 0 ? payload : Arrays.copyOf(payload, payload.length + 1);
        return concat(concat(ascii(fourcc), le32(payload.length)), padded);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] le16(int v) {
        return bytes(v, v >>> 8);
    }

    static byte[] le24(int v) {
        return bytes(v, v >>> 8, v >>> 16);
    }

    static byte[] le32(int v) {
        return bytes(v, v >>> 8, v >>> 16, v >>> 24);
    }

    static byte[] be32(long v) {
        return bytes((int) (v >>> 24), (int) (v >>> 16), (int) (v >>> 8), (int) v);
    }

    /** Writes values least significant bit first, as VP8L reads them. */
    private static final class Bits {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long buffer;
        private int count;

        void write(int value, int width) {
            buffer |= ((long) value & ((1L << width) - 1)) << count;
            count += width;
            while (count >= 8) {
                out.write((int) (buffer & 0xFF));
                buffer >>>= 8;
                count -= 8;
            }
        }

        byte[] toBytes() {
            if (count > 0) {
                out.write((int) (buffer & 0xFF));
                buffer = 0;
                count = 0;
            }
            return out.toByteArray();
        }
    }
}
