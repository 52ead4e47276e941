package io.wxim.history.media;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;
import java.util.ServiceLoader;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Makes a small baseline JPEG preview of an uploaded JPEG, PNG, GIF (first frame) or WebP image.
 *
 * <p>Defences, in order: the type is sniffed from the bytes and must be an allowed image (the decoder is chosen by
 * that type, so no other ImageIO plugin, e.g. BMP/TIFF/WBMP, ever parses an upload); the header's dimensions
 * ({@link ImageDimensions}) and then the decoder's reported dimensions must be within {@code maxPixels} (decompression
 * bombs); decoding uses source subsampling so the decoded raster is a small multiple of the thumbnail, not of the
 * source; streams are memory-backed, never ImageIO's temp-file cache. Every refusal is an
 * {@link IllegalArgumentException} with a short fixed message that is safe to show to a client.
 *
 * <p>Known limit: the JDK's JPEG, PNG and GIF readers and TwelveMonkeys' lossy WebP (VP8) reader honour subsampling
 * while decoding, but TwelveMonkeys' lossless WebP (VP8L) decoder (3.14.0) first allocates a full-resolution raster,
 * 4 bytes per source pixel. For lossless WebP the memory bound is therefore {@code 4 * maxPixels} bytes per call:
 * choose {@code maxPixels} (and the number of concurrent calls) with that in mind.
 *
 * <p>This is blocking CPU work (tens of milliseconds for a phone photo): call it off the event loop, on a bounded
 * scheduler. Instances are immutable and thread-safe.
 */
public final class Thumbnailer {

    static final String CANNOT_DECODE = "image cannot be decoded";
    static final String TOO_LARGE = "image too large";

    static {
        registerPlugins();
    }

    private final int maxEdge;
    private final long maxPixels;
    private final float jpegQuality;

    /**
     * @param maxEdge     the longest edge of a thumbnail, in pixels; smaller images keep their size
     * @param maxPixels   the largest source (width x height) that is decoded at all
     * @param jpegQuality JPEG quality in (0, 1], e.g. 0.8
     */
    public Thumbnailer(int maxEdge, long maxPixels, float jpegQuality) {
        if (maxEdge < 1 || maxPixels < 1 || !(jpegQuality > 0f && jpegQuality <= 1f)) {
            throw new IllegalArgumentException("invalid thumbnailer settings");
        }
        this.maxEdge = maxEdge;
        this.maxPixels = maxPixels;
        this.jpegQuality = jpegQuality;
    }

    /** A baseline JPEG and its size in pixels. */
    public record Thumbnail(byte[] jpeg, int width, int height) {

        public Thumbnail {
            jpeg = jpeg.clone();
        }

        @Override
        public byte[] jpeg() {
            return jpeg.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Thumbnail t && width == t.width && height == t.height && Arrays.equals(jpeg, t.jpeg);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(jpeg) + width) + height;
        }

        @Override
        public String toString() {
            return "Thumbnail[" + width + "x" + height + ", " + jpeg.length + " bytes]";
        }
    }

    /**
     * Decodes the first image of {@code data[0, length)} and returns its thumbnail.
     *
     * @throws IllegalArgumentException {@value #CANNOT_DECODE} when the bytes are not an allowed, decodable image,
     *                                  {@value #TOO_LARGE} when it has more than {@code maxPixels} pixels
     */
    public Thumbnail create(byte[] data, int length) {
        Objects.checkFromIndexSize(0, length, data.length);
        DetectedType type = MediaSniffer.sniff(data, Math.min(length, MediaSniffer.HEAD_BYTES))
                .filter(t -> t.kind() == MediaKind.IMAGE)
                .orElseThrow(() -> new IllegalArgumentException(CANNOT_DECODE));
        if (ImageDimensions.read(type, data, length).map(d -> d.pixels() > maxPixels).orElse(false)) {
            throw new IllegalArgumentException(TOO_LARGE);
        }
        Decoded decoded = decode(type, data, length);
        BufferedImage scaled = scale(decoded.image(), targetSize(decoded));
        return new Thumbnail(writeJpeg(scaled), scaled.getWidth(), scaled.getHeight());
    }

    /** The first image, decoded at a reduced resolution: {@code image} is smaller than the source by subsampling. */
    private record Decoded(BufferedImage image, int sourceWidth, int sourceHeight) {
    }

    /**
     * Decodes with the reader registered for the sniffed MIME type. The size the reader reports (for GIF the first
     * frame's, which the logical screen check above does not cover) is checked before any pixel is read. The source
     * subsampling step is chosen so that the decoded longer edge is below 4 x maxEdge (and at least 2 x maxEdge when
     * subsampled): enough for a smooth downscale, and bounded by the thumbnail size instead of the source size.
     */
    private Decoded decode(DetectedType type, byte[] data, int length) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(type.contentType());
        if (!readers.hasNext()) {
            throw new IllegalArgumentException(CANNOT_DECODE);
        }
        ImageReader reader = readers.next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data, 0, length))) {
            reader.setInput(in, true, true);
            int width = decoding(() -> reader.getWidth(0));
            int height = decoding(() -> reader.getHeight(0));
            if (width < 1 || height < 1) {
                throw new IllegalArgumentException(CANNOT_DECODE);
            }
            if ((long) width * height > maxPixels) {
                throw new IllegalArgumentException(TOO_LARGE);
            }
            ImageReadParam param = reader.getDefaultReadParam();
            int step = (int) Math.max(1, Math.max(width, height) / (2L * maxEdge));
            param.setSourceSubsampling(step, step, 0, 0);
            BufferedImage image = decoding(() -> reader.read(0, param));
            if (image.getWidth() < 1 || image.getHeight() < 1) {
                throw new IllegalArgumentException(CANNOT_DECODE);
            }
            return new Decoded(image, width, height);
        } catch (IOException e) {
            throw new IllegalArgumentException(CANNOT_DECODE, e); // closing the in-memory stream; not expected
        } finally {
            reader.dispose();
        }
    }

    private interface DecodeStep<T> {
        T run() throws IOException;
    }

    /**
     * Runs one decoder call. Decoders signal malformed input with IIOException but also with unchecked exceptions
     * (ArrayIndexOutOfBounds, NegativeArraySize, IllegalState ...) or a null result: all mean "not decodable".
     */
    private static <T> T decoding(DecodeStep<T> step) {
        T result;
        try {
            result = step.run();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(CANNOT_DECODE, e);
        }
        if (result == null) {
            throw new IllegalArgumentException(CANNOT_DECODE);
        }
        return result;
    }

    /** Longer edge = maxEdge with the source's aspect ratio (at least 1 pixel), never larger than what was decoded. */
    private Dimensions targetSize(Decoded decoded) {
        int w = decoded.sourceWidth();
        int h = decoded.sourceHeight();
        int longer = Math.max(w, h);
        if (longer > maxEdge) {
            double factor = (double) maxEdge / longer;
            w = w == longer ? maxEdge : (int) Math.max(1, Math.round(w * factor));
            h = h == longer ? maxEdge : (int) Math.max(1, Math.round(h * factor));
        }
        return new Dimensions(Math.min(w, decoded.image().getWidth()), Math.min(h, decoded.image().getHeight()));
    }

    /**
     * Halves with bilinear filtering until the next halving would pass the target, then draws the last step; each
     * halving averages 2x2 pixels, so the result does not alias the way one big nearest or bilinear step would. Every
     * step draws onto an opaque white RGB image, which flattens any alpha (PNG, GIF, WebP transparency) on white.
     */
    private static BufferedImage scale(BufferedImage source, Dimensions target) {
        BufferedImage current = source;
        do {
            int w = Math.max(target.width(), current.getWidth() / 2);
            int h = Math.max(target.height(), current.getHeight() / 2);
            current = draw(current, w, h);
        } while (current.getWidth() != target.width() || current.getHeight() != target.height());
        return current;
    }

    private static BufferedImage draw(BufferedImage source, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_ALPHA_INTERPOLATION, RenderingHints.VALUE_ALPHA_INTERPOLATION_QUALITY);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.drawImage(source, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** A baseline (not progressive) JPEG at the configured quality, written in memory. */
    private byte[] writeJpeg(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DISABLED);
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(jpegQuality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new IllegalStateException("thumbnail could not be encoded", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * ImageIO's registry finds plugins through the thread context class loader when it is first used; inside a Spring
     * Boot fat jar, or when first touched from a thread with another context loader, it can miss the WebP reader.
     * Registering the readers visible to this class's own loader once makes WebP decoding independent of that.
     */
    private static void registerPlugins() {
        IIORegistry registry = IIORegistry.getDefaultInstance();
        for (ImageReaderSpi spi : ServiceLoader.load(ImageReaderSpi.class, Thumbnailer.class.getClassLoader())) {
            if (registry.getServiceProviderByClass(spi.getClass()) == null) {
                registry.registerServiceProvider(spi, ImageReaderSpi.class);
            }
        }
    }
}
