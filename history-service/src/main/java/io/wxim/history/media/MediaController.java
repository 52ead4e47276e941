package io.wxim.history.media;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.multipart.FilePartEvent;
import org.springframework.http.codec.multipart.PartEvent;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code POST /api/media}: upload one file (multipart/form-data, part {@code file}, as {@code wx.uploadFile} sends it
 * with {@code name: 'file'}; other parts are ignored) with the bearer token; 201 with the media id and what was
 * detected. {@code GET /api/media/{id}/url?conv=}: fresh signed URLs (uploader, or a member of a conversation where it
 * was sent). {@code GET /api/media/{id}?[v=thumb&]exp=&sig=}: the bytes, by signature alone (no token), with
 * {@code nosniff}, caching and single byte ranges.
 */
@RestController
class MediaController {
    private static final Logger log = LoggerFactory.getLogger(MediaController.class);
    /** Room for multipart framing and small form fields on top of the largest file. */
    private static final long MULTIPART_OVERHEAD = 64 * 1024;
    private static final String FILE_PART = "file";

    private final MediaUploads uploads;
    private final MediaService media;
    private final MediaRepository repository;
    private final MediaFiles files;
    private final MediaProperties props;

    MediaController(MediaUploads uploads, MediaService media, MediaRepository repository, MediaFiles files,
                    MediaProperties props) {
        this.uploads = uploads;
        this.media = media;
        this.repository = repository;
        this.files = files;
        this.props = props;
    }

    @PostMapping(path = "/api/media", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    Mono<ResponseEntity<Map<String, Object>>> upload(@RequestBody Flux<PartEvent> body,
                                                     @RequestHeader(name = HttpHeaders.CONTENT_LENGTH, required = false) Long length,
                                                     @AuthenticationPrincipal Jwt jwt, ServerHttpRequest request) {
        if (length != null && length > props.maxAnySize() + MULTIPART_OVERHEAD) {
            return Mono.error(MediaRejectedException.tooLarge("file larger than " + props.maxAnySize() + " bytes"));
        }
        String owner = jwt.getSubject();
        Flux<PartEvent> parts = cancelledOnItsEventLoop(body, request);
        // The file's id is chosen first, so that whatever ends the request without an answer deletes what it stored:
        // usingWhen runs exactly one of its three callbacks, and a cancel cannot cut them short (a GridFS delete cut
        // between its file and its chunks would leave chunks that nothing finds). After the completion callback the
        // answer is handed on and a cancel deletes nothing: the client may have read the id.
        return Mono.usingWhen(Mono.fromSupplier(MediaUploads::newId),
                id -> store(id, owner, parts),
                id -> Mono.empty(),
                // a busy refusal stored nothing: no delete then (it would add MongoDB work just when there is too much)
                (id, e) -> e instanceof MediaRejectedException r && r.status() == HttpStatus.SERVICE_UNAVAILABLE
                        ? Mono.empty() : discard(id),
                id -> {
                    log.info("media upload cancelled: mediaId={} userId={}", id, owner);
                    return discard(id);
                });
    }

    /**
     * The request's parts, one after the other: the {@code file} part stored under {@code id}, the others released.
     * Every part event that is not passed on is released by the discard hook at the end, and only there: the other
     * parts' events (ignored, so discarded), a second file part's (refused unread), and whatever was queued or still
     * arriving when the upload was refused (the body's cancel reaches the event loop only after the events it is
     * parsing). Without it each of these kept a slice of a Netty read buffer, and the buffer leaked.
     */
    private Mono<ResponseEntity<Map<String, Object>>> store(String id, String owner, Flux<PartEvent> parts) {
        AtomicInteger fileParts = new AtomicInteger();
        AtomicReference<MediaDocument> stored = new AtomicReference<>();
        return parts.windowUntil(PartEvent::isLast)
                .concatMap(part -> part.switchOnFirst((first, events) -> {
                    if (first.get() instanceof FilePartEvent file && FILE_PART.equals(file.name())) {
                        if (fileParts.incrementAndGet() > 1) {
                            // refused before anything of the second file is stored; the first is deleted (discard)
                            return Flux.<MediaDocument>error(MediaRejectedException.badImage("one file per upload"));
                        }
                        return uploads.upload(id, owner, events.map(PartEvent::content)).doOnNext(stored::set).flux();
                    }
                    return events.thenMany(Flux.<MediaDocument>empty());
                }))
                .then(Mono.fromSupplier(stored::get))
                .map(doc -> ResponseEntity.status(HttpStatus.CREATED).body(describe(doc)))
                .switchIfEmpty(Mono.error(() -> MediaRejectedException.badImage("no file: send one multipart part named 'file'")))
                .doOnDiscard(PartEvent.class, event -> DataBufferUtils.release(event.content()));
    }

    /**
     * The request's parts, with a cancel (the upload refused or failed, often on a MongoDB or decoding thread) passed up
     * on the connection's own event loop. Spring's multipart parser releases its buffers when cancelled; from another
     * thread that raced with the event loop still parsing the rest of the body, and a buffer released twice killed the
     * connection (the next request on it failed "Connection prematurely closed"). Until the cancel runs, the parser
     * goes on emitting parts; {@link #store} releases them. Unchanged off Reactor Netty.
     */
    static Flux<PartEvent> cancelledOnItsEventLoop(Flux<PartEvent> parts, ServerHttpRequest request) {
        Object nativeRequest;
        try {
            nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request);
        } catch (IllegalArgumentException notFound) {
            return parts;
        }
        if (nativeRequest instanceof Connection connection) {
            return parts.cancelOn(Schedulers.fromExecutor(connection.channel().eventLoop()));
        }
        return parts;
    }

    /**
     * Deletes whatever a request that failed (refused, a second file part, a malformed rest, MongoDB) or was cancelled
     * (the client went away) stored under {@code id}, bytes and record (nothing if it stored nothing), so nothing is
     * left for the orphan sweep; a failure's answer waits for it. A failed delete is logged (the sweep deletes the
     * file after {@code orphan-ttl} if its record was written).
     */
    private Mono<Void> discard(String id) {
        return media.deleteReleased(id)
                .onErrorResume(e -> {
                    log.warn("upload not deleted, left to the orphan sweep: mediaId={} error={}", id, e.toString());
                    return Mono.empty();
                });
    }

    @GetMapping("/api/media/{id}/url")
    Mono<MediaLinks> url(@PathVariable String id, @RequestParam(required = false) String conv,
                                     @AuthenticationPrincipal Jwt jwt) {
        return media.issue(id, jwt.getSubject(), conv).map(MediaLinks::of);
    }

    /** The answer of {@code /url}: the signed links and their expiry. */
    record MediaLinks(String id, String url, String thumbUrl, long expiresAt) {
        static MediaLinks of(io.wxim.protocol.ServerFrame.Media m) {
            return new MediaLinks(m.id(), m.url(), m.thumbUrl(), m.expiresAt());
        }
    }

    @GetMapping("/api/media/{id}")
    Mono<ResponseEntity<Flux<DataBuffer>>> download(@PathVariable String id,
                                                    @RequestParam(name = "v", required = false) String variant,
                                                    @RequestParam(required = false) Long exp,
                                                    @RequestParam(required = false) String sig,
                                                    @RequestHeader(name = HttpHeaders.RANGE, required = false) String range,
                                                    @RequestHeader(name = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch,
                                                    ServerHttpResponse response) {
        boolean thumb = MediaUrls.THUMB.equals(variant);
        if ((variant != null && !thumb) || exp == null
                || !media.urls().verify(id, thumb ? MediaUrls.THUMB : MediaUrls.FILE, exp, sig)) {
            return Mono.error(MediaRejectedException.forbidden());
        }
        String etag = "\"" + id + (thumb ? "-t" : "") + "\"";
        Duration maxAge = Duration.ofMillis(Math.max(0, exp * 1000 - System.currentTimeMillis()));
        if (etag.equals(ifNoneMatch)) {
            // only while the file is there: a copy of a recalled (deleted) file must not be confirmed
            return repository.exists(id)
                    .filter(Boolean::booleanValue)
                    .switchIfEmpty(Mono.error(MediaRejectedException::notFound))
                    .map(present -> ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag)
                            .cacheControl(CacheControl.maxAge(maxAge).cachePrivate()).<Flux<DataBuffer>>build());
        }
        if (thumb) {
            return repository.findWithThumbnail(id)
                    .filter(doc -> doc.thumbnail() != null)
                    .switchIfEmpty(Mono.error(MediaRejectedException::notFound))
                    .map(doc -> headers(ResponseEntity.ok(), etag, maxAge, "image/jpeg")
                            .contentLength(doc.thumbnail().length)
                            .body(Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(doc.thumbnail()))));
        }
        return repository.find(id)
                .switchIfEmpty(Mono.error(MediaRejectedException::notFound))
                .flatMap(doc -> {
                    ByteRange.Request request = ByteRange.parse(range, doc.size());
                    if (request instanceof ByteRange.Unsatisfiable) {
                        return Mono.just(ResponseEntity.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                                .header(HttpHeaders.CONTENT_RANGE, "bytes */" + doc.size())
                                .header("X-Content-Type-Options", "nosniff")
                                .<Flux<DataBuffer>>body(Flux.empty()));
                    }
                    if (request instanceof ByteRange.Partial partial) {
                        ByteRange r = partial.range();
                        return bytes(id, doc, r.start(), r.length(), response).map(body ->
                                headers(ResponseEntity.status(HttpStatus.PARTIAL_CONTENT), etag, maxAge, doc.contentType())
                                        .header(HttpHeaders.CONTENT_RANGE, "bytes " + r.start() + "-" + r.end() + "/" + doc.size())
                                        .contentLength(r.length())
                                        .body(body));
                    }
                    return bytes(id, doc, 0, doc.size(), response).map(body -> headers(ResponseEntity.ok(), etag, maxAge, doc.contentType())
                            .contentLength(doc.size())
                            .body(body));
                });
    }

    /**
     * The file's bytes, found before any header is sent: 503 if MongoDB does not answer within its timeout, 404 if the
     * bytes are gone (a deletion under way). Once the headers are out, bytes that stop for the idle timeout abort the
     * response (the client sees it cut short of its Content-Length).
     */
    private Mono<Flux<DataBuffer>> bytes(String id, MediaDocument doc, long start, long length, ServerHttpResponse response) {
        return files.read(doc.fileId(), start, length)
                .switchIfEmpty(Mono.error(MediaRejectedException::notFound))
                .map(body -> body.onErrorResume(TimeoutException.class, e -> {
                    log.warn("media download aborted, no bytes for {}: mediaId={}", props.downloadIdleTimeout(), id);
                    return abort(response, e);
                }));
    }

    /**
     * Ends a response whose headers are out by closing its connection (the client sees the body cut short of its
     * Content-Length). Quietly: an error passed on would reach the error handler, which can no longer answer,
     * and be logged as ERRORs with stack traces. On a server other than Reactor Netty, the error is passed on.
     */
    private static Flux<DataBuffer> abort(ServerHttpResponse response, Throwable cause) {
        Object nativeResponse;
        try {
            nativeResponse = ServerHttpResponseDecorator.getNativeResponse(response);
        } catch (IllegalArgumentException notFound) {
            nativeResponse = null;
        }
        if (nativeResponse instanceof HttpServerResponse netty) {
            netty.withConnection(Connection::dispose);
            return Flux.empty();
        }
        return Flux.error(cause);
    }

    private static ResponseEntity.BodyBuilder headers(ResponseEntity.BodyBuilder builder, String etag, Duration maxAge,
                                                      String contentType) {
        return builder.contentType(MediaType.parseMediaType(contentType))
                .eTag(etag)
                .cacheControl(CacheControl.maxAge(maxAge).cachePrivate())
                .header(HttpHeaders.ACCEPT_RANGES, "bytes")
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "default-src 'none'; sandbox")
                .header(HttpHeaders.CONTENT_DISPOSITION, "inline");
    }

    private Map<String, Object> describe(MediaDocument doc) {
        io.wxim.protocol.ServerFrame.Media signed = media.urls().present(new io.wxim.protocol.ServerFrame.Media(doc.id(),
                doc.contentType(), doc.size(), doc.width(), doc.height(), null, null, null, null));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", doc.id());
        body.put("kind", doc.kind());
        body.put("contentType", doc.contentType());
        body.put("size", doc.size());
        if (doc.width() != null) {
            body.put("width", doc.width());
            body.put("height", doc.height());
        }
        body.put("url", signed.url());
        if (signed.thumbUrl() != null) {
            body.put("thumbUrl", signed.thumbUrl());
        }
        body.put("expiresAt", signed.expiresAt());
        return body;
    }
}
