package io.wxim.history.media;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import reactor.core.publisher.Mono;

/**
 * What the file-driven sweep reads and deletes in GridFS ({@code fs.files}, {@code fs.chunks}, the bucket
 * {@link MediaFiles} writes): file entries in ascending {@code _id} order, whether a media record names them, and
 * chunks that no file entry owns. Only ObjectId ids are seen (the driver gives every upload one). Every call is bounded
 * by the Mongo timeout, and every read by a limit.
 */
class OrphanFileRepository {
    static final String FILES = "fs.files";
    static final String CHUNKS = "fs.chunks";

    private final ReactiveMongoTemplate mongo;
    private final Duration timeout;

    OrphanFileRepository(ReactiveMongoTemplate mongo, Duration timeout) {
        this.mongo = mongo;
        this.timeout = timeout;
    }

    /** A GridFS file entry: its id (made as its upload started) and its name (the media id). */
    record FileEntry(ObjectId id, String filename) {
    }

    /** At most {@code limit} file entries with {@code after < _id < before} ({@code after} null: from the first), ascending. */
    Mono<List<FileEntry>> files(ObjectId after, ObjectId before, int limit) {
        Criteria id = after == null ? where("_id").lt(before) : where("_id").gt(after).lt(before);
        Query q = query(id).with(Sort.by(Sort.Direction.ASC, "_id")).limit(limit);
        q.fields().include("_id").include("filename");
        return MediaRepository.bounded(mongo.find(q, Document.class, FILES)
                .map(d -> new FileEntry(d.getObjectId("_id"), d.getString("filename")))
                .collectList(), timeout);
    }

    /**
     * Those of {@code mediaIds} that have a media record, whatever its state (a released one is the record sweep's to
     * finish).
     */
    Mono<Set<String>> recorded(Collection<String> mediaIds) {
        List<String> ids = mediaIds.stream().filter(Objects::nonNull).distinct().toList();
        if (ids.isEmpty()) {
            return Mono.just(Set.of());
        }
        Query q = query(where("_id").in(ids)).limit(ids.size());
        q.fields().include("_id");
        return MediaRepository.bounded(mongo.find(q, Document.class, MediaDocument.COLLECTION)
                .map(d -> d.getString("_id"))
                .collect(Collectors.toSet()), timeout);
    }

    /**
     * Deletes a file entry, then its chunks (the driver's order: a reader finds no file rather than one without bytes;
     * chunks left by a cut between the two are found later as chunks without a file). Idempotent.
     */
    Mono<Void> deleteFile(ObjectId id) {
        return MediaRepository.bounded(mongo.remove(query(where("_id").is(id)), FILES), timeout)
                .then(MediaRepository.bounded(mongo.remove(query(where("files_id").is(id)), CHUNKS), timeout))
                .then();
    }

    /**
     * Deletes the chunks with {@code after < files_id <= upTo} ({@code < upTo} unless {@code inclusive}; {@code after}
     * null: from the first) that belong to none of {@code files}. The caller lists every file entry of that range in
     * {@code files}, so these chunks have no file entry. One delete on the server; emits how many chunks went.
     */
    Mono<Long> deleteChunksWithoutFile(ObjectId after, ObjectId upTo, boolean inclusive, Collection<ObjectId> files) {
        Criteria filesId = where("files_id");
        if (after != null) {
            filesId = filesId.gt(after);
        }
        filesId = (inclusive ? filesId.lte(upTo) : filesId.lt(upTo)).nin(files);
        return MediaRepository.bounded(mongo.remove(query(filesId), CHUNKS), timeout)
                .map(result -> result.getDeletedCount());
    }
}
