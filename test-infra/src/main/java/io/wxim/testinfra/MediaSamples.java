package io.wxim.testinfra;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Files for media tests, made at run time: real PNGs, a PCM WAV, and a decompression bomb's PNG header. */
public final class MediaSamples {
    private MediaSamples() {
    }

    /** A real PNG: the top half filled, with a translucent fill when {@code alpha}. */
    public static byte[] png(int width, int height, boolean alpha) {
        BufferedImage image = new BufferedImage(width, height, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(30, 120, 200, alpha ? 128 : 255));
        g.fillRect(0, 0, width, height / 2);
        g.dispose();
        return encode(image);
    }

    /** Random pixels compress badly: a PNG of about 3 bytes per pixel. */
    public static byte[] noisePng(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(7);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt());
            }
        }
        return encode(image);
    }

    /** A PNG signature and a valid IHDR chunk claiming these dimensions, then a few zero bytes: a bomb's header. */
    public static byte[] hugePngHeader(int width, int height) {
        byte[] type = "IHDR".getBytes(StandardCharsets.US_ASCII);
        byte[] ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array();
        CRC32 crc = new CRC32();
        crc.update(type);
        crc.update(ihdr);
        return ByteBuffer.allocate(8 + 25 + 100)
                .put(new byte[]{(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A})
                .putInt(13).put(type).put(ihdr).putInt((int) crc.getValue())
                .array();
    }

    /** A PCM WAV (16 kHz, mono, 16 bit) with {@code dataBytes} bytes of deterministic samples. */
    public static byte[] wav(int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + dataBytes).put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(16000).putInt(32000).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataBytes);
        for (int i = 0; i < dataBytes; i++) {
            b.put((byte) (i * 31 + (i >> 8)));
        }
        return b.array();
    }

    private static byte[] encode(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
