package io.wxim.history.media;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Duration;
import org.bson.types.ObjectId;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.data.mongodb.gridfs.ReactiveGridFsTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * File bytes in GridFS ({@code im_history.fs.files} / {@code fs.chunks}), streamed both ways. The GridFS file name is
 * the generated media id; a user's file name is never stored or used.
 */
class MediaFiles {
    private final ReactiveGridFsTemplate gridFs;
    private final Duration timeout;
    private final Duration idleTimeout;

    /**
     * @param timeout     bound on finding a file to read (the Mongo timeout)
     * @param idleTimeout a download's byte stream fails when no chunk comes for this long
     */
    MediaFiles(ReactiveGridFsTemplate gridFs, Duration timeout, Duration idleTimeout) {
        this.gridFs = gridFs;
        this.timeout = timeout;
        this.idleTimeout = idleTimeout;
    }

    Mono<ObjectId> store(String mediaId, Flux<DataBuffer> content) {
        return gridFs.store(content, mediaId);
    }

    /** Deletes every GridFS file of the media id (also the remains of a failed upload). */
    Mono<Void> delete(String mediaId) {
        return gridFs.delete(query(where("filename").is(mediaId)));
    }

    /**
     * The bytes {@code [start, start + length)} of a stored file: emits the stream once the file is found (bounded by
     * the Mongo timeout, so a store that does not answer fails with StoreUnavailableException before anything is sent),
     * or empty if it is not stored. The stream fails with a TimeoutException when no chunk comes for the idle timeout
     * (a stalled store; the server's writer asks ahead of the client, so a slow client does not start it); buffers outside the range are released.
     */
    Mono<Flux<DataBuffer>> read(ObjectId fileId, long start, long length) {
        return MediaRepository.bounded(gridFs.findOne(query(where("_id").is(fileId))).flatMap(gridFs::getResource), timeout)
                .map(resource -> slice(resource.getDownloadStream().timeout(idleTimeout), start, length));
    }

    static Flux<DataBuffer> slice(Flux<DataBuffer> source, long start, long length) {
        long end = start + length; // exclusive
        long[] position = {0};
        return source.<DataBuffer>handle((buffer, sink) -> {
                    long from = position[0];
                    long to = from + buffer.readableByteCount();
                    position[0] = to;
                    if (to <= start || from >= end) {
                        DataBufferUtils.release(buffer);
                        return;
                    }
                    int skip = (int) Math.max(0, start - from);
                    int keep = (int) (Math.min(to, end) - from) - skip;
                    if (skip == 0 && keep == buffer.readableByteCount()) {
                        sink.next(buffer);
                        return;
                    }
                    byte[] bytes = new byte[keep]; // only the two buffers at the edges of the range are copied
                    buffer.readPosition(buffer.readPosition() + skip);
                    buffer.read(bytes);
                    DataBufferUtils.release(buffer);
                    sink.next(DefaultDataBufferFactory.sharedInstance.wrap(bytes));
                })
                .takeUntil(buffer -> position[0] >= end);
    }
}
