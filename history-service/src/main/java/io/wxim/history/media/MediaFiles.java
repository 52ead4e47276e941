package io.wxim.history.media;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

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

    MediaFiles(ReactiveGridFsTemplate gridFs) {
        this.gridFs = gridFs;
    }

    Mono<ObjectId> store(String mediaId, Flux<DataBuffer> content) {
        return gridFs.store(content, mediaId);
    }

    /** Deletes every GridFS file of the media id (also the remains of a failed upload). */
    Mono<Void> delete(String mediaId) {
        return gridFs.delete(query(where("filename").is(mediaId)));
    }

    /** The bytes {@code [start, start + length)} of a stored file, streamed; buffers outside the range are released. */
    Flux<DataBuffer> read(ObjectId fileId, long start, long length) {
        return gridFs.findOne(query(where("_id").is(fileId)))
                .flatMap(gridFs::getResource)
                .flatMapMany(resource -> slice(resource.getDownloadStream(), start, length));
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
