package io.wxim.history.media;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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

/**
 * {@code POST /api/media}: upload one file (multipart/form-data, part {@code file}, as {@code wx.uploadFile} sends it
 * with {@code name: 'file'}; other parts are ignored) with the bearer token; 201 with the media id and what was
 * detected. {@code GET /api/media/{id}/url?conv=}: fresh signed URLs (uploader, or a member of a conversation where it
 * was sent). {@code GET /api/media/{id}?[v=thumb&]exp=&sig=}: the bytes, by signature alone (no token), with
 * {@code nosniff}, caching and single byte ranges.
 */
@RestController
class MediaController {
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
    Mono<ResponseEntity<Map<String, Object>>> upload(@RequestBody Flux<PartEvent> parts,
                                                     @RequestHeader(name = HttpHeaders.CONTENT_LENGTH, required = false) Long length,
                                                     @AuthenticationPrincipal Jwt jwt) {
        if (length != null && length > props.maxAnySize() + MULTIPART_OVERHEAD) {
            return Mono.error(MediaRejectedException.tooLarge("file larger than " + props.maxAnySize() + " bytes"));
        }
        String owner = jwt.getSubject();
        return parts.windowUntil(PartEvent::isLast)
                .concatMap(part -> part.switchOnFirst((first, events) -> {
                    if (first.get() instanceof FilePartEvent file && FILE_PART.equals(file.name())) {
                        return uploads.upload(owner, events.map(PartEvent::content)).flux();
                    }
                    return events.doOnNext(e -> DataBufferUtils.release(e.content())).thenMany(Flux.<MediaDocument>empty());
                }))
                .collectList()
                .flatMap(stored -> switch (stored.size()) {
                    case 1 -> Mono.just(ResponseEntity.status(HttpStatus.CREATED).body(describe(stored.get(0))));
                    case 0 -> Mono.error(MediaRejectedException.badImage("no file: send one multipart part named 'file'"));
                    default -> Mono.error(MediaRejectedException.badImage("one file per upload"));
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
                                                    @RequestHeader(name = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch) {
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
                .map(doc -> {
                    ByteRange.Request request = ByteRange.parse(range, doc.size());
                    if (request instanceof ByteRange.Unsatisfiable) {
                        return ResponseEntity.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                                .header(HttpHeaders.CONTENT_RANGE, "bytes */" + doc.size())
                                .header("X-Content-Type-Options", "nosniff")
                                .<Flux<DataBuffer>>body(Flux.empty());
                    }
                    if (request instanceof ByteRange.Partial partial) {
                        ByteRange r = partial.range();
                        return headers(ResponseEntity.status(HttpStatus.PARTIAL_CONTENT), etag, maxAge, doc.contentType())
                                .header(HttpHeaders.CONTENT_RANGE, "bytes " + r.start() + "-" + r.end() + "/" + doc.size())
                                .contentLength(r.length())
                                .body(files.read(doc.fileId(), r.start(), r.length()));
                    }
                    return headers(ResponseEntity.ok(), etag, maxAge, doc.contentType())
                            .contentLength(doc.size())
                            .body(files.read(doc.fileId(), 0, doc.size()));
                });
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
