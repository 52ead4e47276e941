package io.wxim.history.media;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.wxim.history.message.MediaClaims.Claims;
import io.wxim.history.message.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Upload metadata in {@code im_history.media}; every call bounded in time (503 when MongoDB does not answer). */
class MediaRepository {
    private final ReactiveMongoTemplate mongo;
    private final Duration timeout;

    MediaRepository(ReactiveMongoTemplate mongo, Duration timeout) {
        this.mongo = mongo;
        this.timeout = timeout;
    }

    Mono<MediaDocument> insert(MediaDocument doc) {
        return bounded(mongo.insert(doc, MediaDocument.COLLECTION));
    }

    /** Without the thumbnail bytes; a released file (being deleted) is not found. */
    Mono<MediaDocument> find(String id) {
        Query q = query(where("_id").is(id).and("released").ne(true));
        q.fields().exclude("thumbnail");
        return bounded(mongo.findOne(q, MediaDocument.class, MediaDocument.COLLECTION));
    }

    /** With the thumbnail bytes; a released file (being deleted) is not found. */
    Mono<MediaDocument> findWithThumbnail(String id) {
        return bounded(mongo.findOne(query(where("_id").is(id).and("released").ne(true)), MediaDocument.class,
                MediaDocument.COLLECTION));
    }

    /** The file's claims (none recorded: claimed before claims were), or empty if it is not found (or released). */
    Mono<Claims> claimsOf(String id) {
        Query q = query(where("_id").is(id).and("released").ne(true));
        q.fields().include("claims").include("lastClaimAt");
        return bounded(mongo.findOne(q, org.bson.Document.class, MediaDocument.COLLECTION))
                .map(d -> new Claims(d.getList("claims", String.class, List.of()),
                        d.get("lastClaimAt") instanceof Number at ? at.longValue() : 0L));
    }

    /**
     * Marks the file released (every message that showed it was recalled): from then on it is not found, whatever
     * happens to the deletion of its bytes and record, which the orphan sweep finishes if it was interrupted. Only if
     * it was not claimed since {@code seen} was read (claims are only ever added, and each moves {@code lastClaimAt}
     * on: a message that claimed it since may still be being stored); emits whether it was marked (or already was).
     */
    Mono<Boolean> markReleased(String id, Claims seen) {
        Criteria unchanged = seen.lastClaimAt() > 0
                ? where("claims").size(seen.keys().size()).and("lastClaimAt").is(seen.lastClaimAt())
                : new Criteria().orOperator(where("claims").exists(false), where("claims").size(0));
        return bounded(mongo.updateFirst(query(where("_id").is(id).andOperator(unchanged)), new Update().set("released", true),
                MediaDocument.COLLECTION)).map(result -> result.getMatchedCount() > 0);
    }

    /** A file waiting for a release the orphan sweep retries, and the mark it was given (unique to each marking). */
    record Pending(String id, String mark) {
    }

    /** Marks the file as waiting for a release the orphan sweep retries (a recall could not release it yet). */
    Mono<Void> markReleasePending(String id) {
        return bounded(mongo.updateFirst(query(where("_id").is(id).and("released").ne(true)),
                new Update().set("releasePending", new org.bson.types.ObjectId().toHexString()), MediaDocument.COLLECTION)).then();
    }

    /** Clears the mark, unless the file was marked again since {@code pending} was read. */
    Mono<Void> clearReleasePending(Pending pending) {
        return bounded(mongo.updateFirst(query(where("_id").is(pending.id()).and("releasePending").is(pending.mark())),
                new Update().unset("releasePending"), MediaDocument.COLLECTION)).then();
    }

    /** Files waiting for a release the orphan sweep retries, a bounded batch. */
    Flux<Pending> releasePending(int limit) {
        Query q = query(where("releasePending").exists(true).and("released").ne(true)).limit(limit);
        q.fields().include("_id").include("releasePending");
        return mongo.find(q, org.bson.Document.class, MediaDocument.COLLECTION).timeout(timeout)
                .map(d -> new Pending(d.getString("_id"), String.valueOf(d.get("releasePending"))));
    }

    /** Released files whose deletion was interrupted, a bounded batch (ids only). */
    Flux<String> released(int limit) {
        Query q = query(where("released").is(true)).limit(limit);
        q.fields().include("_id");
        return mongo.find(q, org.bson.Document.class, MediaDocument.COLLECTION).timeout(timeout)
                .map(d -> d.getString("_id"));
    }

    /**
     * Records that the file was sent to {@code conv} by the message {@code claimKey} names (kept with every other claim,
     * and the time of the latest: a recall deletes the file only once each claim's message is stored and recalled, or
     * all claims are old enough that one never stored was given up), unless it was released meanwhile; emits whether it
     * was (a retry of the same message adds no claim).
     */
    Mono<Boolean> markUsed(String id, String conv, String claimKey, long now) {
        return bounded(mongo.updateFirst(query(where("_id").is(id).and("released").ne(true)),
                new Update().set("used", true).addToSet("usedIn", conv).addToSet("claims", claimKey).max("lastClaimAt", now),
                MediaDocument.COLLECTION)).map(result -> result.getMatchedCount() > 0);
    }

    /** Uploads never sent in a message and older than {@code cutoff}, a bounded batch. */
    Flux<MediaDocument> orphans(Instant cutoff, int limit) {
        Query q = query(where("used").is(false).and("createdAt").lt(cutoff)).limit(limit);
        q.fields().exclude("thumbnail");
        return mongo.find(q, MediaDocument.class, MediaDocument.COLLECTION).timeout(timeout);
    }

    /** Deletes the document, used or not (a released file, once its bytes are gone). */
    Mono<Void> delete(String id) {
        return bounded(mongo.remove(query(where("_id").is(id)), MediaDocument.COLLECTION)).then();
    }

    /** Deletes the document if it is still unused (a message may have claimed it meanwhile). */
    Mono<Boolean> deleteIfUnused(String id) {
        return bounded(mongo.remove(query(where("_id").is(id).and("used").is(false)), MediaDocument.COLLECTION))
                .map(result -> result.getDeletedCount() > 0);
    }

    /** Bounds a Mongo call by the Mongo timeout (an unreachable or slow store becomes StoreUnavailableException). */
    <T> Mono<T> bounded(Mono<T> call) {
        return call.timeout(timeout)
                .onErrorMap(TimeoutException.class, e -> new StoreUnavailableException("mongo call timed out", e))
                .onErrorMap(DataAccessResourceFailureException.class, e -> new StoreUnavailableException("mongo unreachable", e));
    }
}
