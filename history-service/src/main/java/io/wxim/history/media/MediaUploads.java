package io.wxim.history.media;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One upload, end to end: streamed into GridFS through an {@link UploadGuard} (type from the content, size cap while
 * streaming), then for images the dimensions read from the header and checked against the pixel cap before anything
 * is decoded, then a thumbnail (decoding off the event loop), then the metadata document. The caller deletes what was
 * stored under the id when the upload is refused, fails or is cancelled (one delete that a cancel cannot cut short: see
 * {@link MediaController}). At most {@code maxConcurrentUploads} run at once per instance (beyond: 503), each bounded by
 * {@code uploadTimeout}.
 */
class MediaUploads {
    private static final Logger log = LoggerFactory.getLogger(MediaUploads.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MediaFiles files;
    private final MediaRepository repository;
    private final MediaProperties props;
    /**
     * Lossless WebP decodes at full size even when subsampled (about 4 bytes per pixel), so WebP images get a lower
     * pixel cap: 16 megapixels is 64 MB at most while decoding.
     */
    static final long WEBP_MAX_PIXELS = 16_000_000;
    /** Thumbnails decoded at once by this instance: decoding is CPU-bound, and each decode holds memory. */
    private static final int MAX_CONCURRENT_DECODES = 2;

    private final Thumbnailer thumbnailer;
    private final Thumbnailer webpThumbnailer;
    private final Semaphore decodes = new Semaphore(MAX_CONCURRENT_DECODES);
    private final Semaphore permits;
    private final Clock clock;

    MediaUploads(MediaFiles files, MediaRepository repository, MediaProperties props, Clock clock) {
        this.files = files;
        this.repository = repository;
        this.props = props;
        this.clock = clock;
        this.thumbnailer = new Thumbnailer(props.thumbnailEdge(), props.maxImagePixels(), 0.8f);
        this.webpThumbnailer = new Thumbnailer(props.thumbnailEdge(), Math.min(props.maxImagePixels(), WEBP_MAX_PIXELS), 0.8f);
        this.permits = new Semaphore(props.maxConcurrentUploads());
    }

    /** Stores {@code content} under the media id {@code id} (from {@link #newId()}). */
    Mono<MediaDocument> upload(String id, String owner, Flux<DataBuffer> content) {
        if (!permits.tryAcquire()) {
            return content.doOnNext(org.springframework.core.io.buffer.DataBufferUtils::release)
                    .then(Mono.error(MediaRejectedException::busy));
        }
        UploadGuard guard = new UploadGuard(props);
        return files.store(id, content.map(guard::accept))
                .flatMap(fileId -> {
                    DetectedType type = guard.finish();
                    Mono<Inspected> inspected = type.kind() == MediaKind.IMAGE
                            ? Mono.fromCallable(() -> inspectImage(type, guard.retained())).subscribeOn(Schedulers.boundedElastic())
                            : Mono.just(new Inspected(null, null, null));
                    return inspected.map(i -> new MediaDocument(id, owner, type.kind().wire(), type.contentType(),
                            guard.total(), i.width(), i.height(), fileId, i.thumbnail(), false, List.of(), clock.instant()));
                })
                .flatMap(repository::insert)
                .timeout(props.uploadTimeout())
                .doOnNext(doc -> log.info("media stored: mediaId={} userId={} kind={} size={}", doc.id(), owner, doc.kind(), doc.size()))
                .doOnError(e -> log.info("media refused: mediaId={} userId={} reason={}", id, owner,
                        e instanceof MediaRejectedException ? e.getMessage() : e.toString()))
                .doFinally(signal -> permits.release());
    }

    private record Inspected(Integer width, Integer height, byte[] thumbnail) {
    }

    /** Dimensions from the header and the pixel cap first; only then decode for the thumbnail. */
    private Inspected inspectImage(DetectedType type, byte[] bytes) {
        Dimensions dims = ImageDimensions.read(type, bytes, bytes.length)
                .orElseThrow(() -> MediaRejectedException.badImage("the image's dimensions cannot be read"));
        boolean webp = "image/webp".equals(type.contentType());
        long maxPixels = webp ? Math.min(props.maxImagePixels(), WEBP_MAX_PIXELS) : props.maxImagePixels();
        if (dims.pixels() > maxPixels) {
            throw MediaRejectedException.tooLarge("image has more than " + maxPixels + " pixels");
        }
        decodes.acquireUninterruptibly(); // on a boundedElastic thread: waiting here blocks no event loop
        try {
            Thumbnailer.Thumbnail thumb = (webp ? webpThumbnailer : thumbnailer).create(bytes, bytes.length);
            return new Inspected(dims.width(), dims.height(), thumb.jpeg());
        } catch (IllegalArgumentException e) {
            throw "image too large".equals(e.getMessage())
                    ? MediaRejectedException.tooLarge("image has more than " + maxPixels + " pixels")
                    : MediaRejectedException.badImage("the image cannot be decoded");
        } finally {
            decodes.release();
        }
    }

    /** A fresh media id: 128 random bits, URL-safe. */
    static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
