package io.wxim.history.media;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import io.wxim.history.message.MediaClaims.Claims;
import io.wxim.history.message.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.bson.types.ObjectId;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
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

    /** Marks of recalls that hold the file for a release decision (a set of ObjectIds). */
    static final String HOLDS = "releaseHolds";
    /** A hold written by the build of 2026-12-05 (one string; older instances may still write it while a rollout runs). */
    static final String LEGACY_HOLD = "releasePending";

    /**
     * The sweep's indexes: unused uploads by age, released files and held files (sparse: only such records have the
     * field). Unbounded on purpose (a build may take a while); the caller logs.
     */
    Mono<Void> ensureIndexes() {
        var ops = mongo.indexOps(MediaDocument.COLLECTION);
        return ops.createIndex(new Index().on("used", Sort.Direction.ASC).on("createdAt", Sort.Direction.ASC).named("used_createdAt"))
                .then(ops.createIndex(new Index().on("released", Sort.Direction.ASC).sparse().named("released")))
                .then(ops.createIndex(new Index().on(HOLDS, Sort.Direction.ASC).sparse().named(HOLDS)))
                .then(ops.createIndex(new Index().on(LEGACY_HOLD, Sort.Direction.ASC).sparse().named(LEGACY_HOLD)))
                .then();
    }

    Mono<MediaDocument> insert(MediaDocument doc) {
        return bounded(mongo.insert(doc, MediaDocument.COLLECTION));
    }

    /** Without the thumbnail bytes; a released file (being deleted) is not found. */
    Mono<MediaDocument> find(String id) {
        Query q = stored(id);
        q.fields().exclude("thumbnail");
        return bounded(mongo.findOne(q, MediaDocument.class, MediaDocument.COLLECTION));
    }

    /** Whether the file is stored (and not released). */
    Mono<Boolean> exists(String id) {
        return bounded(mongo.exists(stored(id), MediaDocument.COLLECTION));
    }

    /** With the thumbnail bytes; a released file (being deleted) is not found. */
    Mono<MediaDocument> findWithThumbnail(String id) {
        return bounded(mongo.findOne(stored(id), MediaDocument.class,
                MediaDocument.COLLECTION));
    }

    /** The file's claims (none recorded: claimed before claims were), or empty if it is not found (or released). */
    Mono<Claims> claimsOf(String id) {
        Query q = stored(id);
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

    /**
     * A file held for a release decision ({@link io.wxim.history.message.MediaClaims#hold}): those of its marks that a
     * sweep may settle (older than the cutoff it was read with: younger ones belong to recalls still in progress), and
     * the hold an older build wrote ({@link #LEGACY_HOLD}, or null).
     */
    record Pending(String id, List<ObjectId> marks, String legacyMark) {
    }

    /** Adds a new mark to the file's holds; emits it, or empty if the file is not found (or released). */
    Mono<ObjectId> addHold(String id) {
        ObjectId mark = new ObjectId();
        return bounded(mongo.updateFirst(stored(id),
                new Update().addToSet(HOLDS, mark), MediaDocument.COLLECTION))
                .filter(result -> result.getMatchedCount() > 0)
                .map(result -> mark);
    }

    /**
     * Removes {@code pending}'s marks (others added meanwhile stay), the field once no mark is left, and its older
     * build's hold unless that was written again since it was read.
     */
    Mono<Void> removeHolds(Pending pending) {
        Mono<Void> marks = pending.marks().isEmpty() ? Mono.empty()
                : bounded(mongo.updateFirst(query(where("_id").is(pending.id())),
                        new Update().pullAll(HOLDS, pending.marks().toArray()), MediaDocument.COLLECTION))
                .then(bounded(mongo.updateFirst(query(where("_id").is(pending.id()).and(HOLDS).size(0)),
                        new Update().unset(HOLDS), MediaDocument.COLLECTION)))
                .then();
        Mono<Void> legacy = pending.legacyMark() == null ? Mono.empty()
                : bounded(mongo.updateFirst(query(where("_id").is(pending.id()).and(LEGACY_HOLD).is(pending.legacyMark())),
                        new Update().unset(LEGACY_HOLD), MediaDocument.COLLECTION)).then();
        return marks.then(legacy);
    }

    /** Files held by a mark made before {@code cutoff}, or by an older build's hold, a bounded batch. */
    Flux<Pending> held(Instant cutoff, int limit) {
        ObjectId before = ObjectId.getSmallestWithDate(Date.from(cutoff));
        Query q = query(new Criteria().orOperator(where(HOLDS).lt(before), where(LEGACY_HOLD).exists(true))
                .and("released").ne(true)).limit(limit);
        q.fields().include("_id").include(HOLDS).include(LEGACY_HOLD);
        return mongo.find(q, org.bson.Document.class, MediaDocument.COLLECTION).timeout(timeout)
                .map(d -> new Pending(d.getString("_id"), d.getList(HOLDS, ObjectId.class, List.of()).stream()
                        .filter(mark -> mark.compareTo(before) < 0).toList(),
                        d.get(LEGACY_HOLD) == null ? null : String.valueOf(d.get(LEGACY_HOLD))));
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
        return bounded(mongo.updateFirst(stored(id),
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

    /** The file's record, unless it is released (being deleted: not found from then on). */
    private static Query stored(String id) {
        return query(where("_id").is(id).and("released").ne(true));
    }

    /** Bounds a Mongo call by the Mongo timeout (an unreachable or slow store becomes StoreUnavailableException). */
    <T> Mono<T> bounded(Mono<T> call) {
        return bounded(call, timeout);
    }

    /** Bounds a Mongo call by {@code timeout} (an unreachable or slow store becomes StoreUnavailableException). */
    static <T> Mono<T> bounded(Mono<T> call, Duration timeout) {
        return call.timeout(timeout)
                .onErrorMap(TimeoutException.class, e -> new StoreUnavailableException("mongo call timed out", e))
                .onErrorMap(DataAccessResourceFailureException.class, e -> new StoreUnavailableException("mongo unreachable", e));
    }
}
