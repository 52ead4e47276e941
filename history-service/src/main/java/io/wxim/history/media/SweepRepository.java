package io.wxim.history.media;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Mono;

/**
 * Where a sweep that walks by ascending {@code _id} over several runs goes on, and which run walks now, shared by every
 * instance: one document per sweep in {@code im_history.sweeps}, keyed by the sweep's name. A run claims a lease on it
 * (its owner token and an expiry), moves the place and extends the lease after each batch while it still holds it, and
 * gives the lease up at its end; a lease that lapsed (its instance died, or stalled past it) can be claimed by
 * another. Expiries come from the instances' clocks. Every call is bounded by the Mongo timeout.
 */
class SweepRepository {
    static final String COLLECTION = "sweeps";

    private final ReactiveMongoTemplate mongo;
    private final Duration timeout;

    SweepRepository(ReactiveMongoTemplate mongo, Duration timeout) {
        this.mongo = mongo;
        this.timeout = timeout;
    }

    /**
     * A run's hold on a sweep.
     *
     * @param sweep the sweep's name (the document's {@code _id})
     * @param owner the run's token; only the run with it moves the place or ends the lease
     * @param after where the walk goes on: after this {@code _id}, or from the first if null
     */
    record Lease(String sweep, String owner, ObjectId after) {
    }

    /**
     * Claims {@code sweep} for {@code owner} until {@code until}, unless a lease still holds it at {@code now}; creates
     * the document on first use. Emits the lease with the stored place, or nothing while another run holds it.
     */
    Mono<Lease> claim(String sweep, String owner, Instant now, Instant until) {
        Query free = query(where("_id").is(sweep)
                .orOperator(where("until").exists(false), where("until").lte(Date.from(now))));
        Update take = new Update().set("owner", owner).set("until", Date.from(until));
        // no upsert here: while held, its insert of the same _id would fail (an error the embedded store logs loudly)
        return create(sweep).then(MediaRepository.bounded(mongo.findAndModify(free, take,
                        FindAndModifyOptions.options().returnNew(true), Document.class, COLLECTION), timeout))
                .map(doc -> new Lease(sweep, owner, doc.getObjectId("after")));
    }

    /** The sweep's document, unless it exists: no place, no lease. Two first runs at once may both try; one inserts. */
    private Mono<Void> create(String sweep) {
        return MediaRepository.bounded(mongo.upsert(query(where("_id").is(sweep)),
                        new Update().setOnInsert("_id", sweep), COLLECTION), timeout)
                .onErrorResume(DuplicateKeyException.class, createdByAnother -> Mono.empty())
                .then();
    }

    /**
     * Moves the place to {@code after} (null: the pass is complete and the next run starts from the first) and extends
     * the lease to {@code until}, only while {@code lease} holds it. Emits false if another run took it over.
     */
    Mono<Boolean> advance(Lease lease, ObjectId after, Instant until) {
        Update update = new Update().set("until", Date.from(until));
        if (after == null) {
            update.unset("after");
        } else {
            update.set("after", after);
        }
        return MediaRepository.bounded(mongo.updateFirst(held(lease), update, COLLECTION), timeout)
                .map(result -> result.getMatchedCount() > 0);
    }

    /** Ends the lease if {@code lease} still holds it, so the next run of any instance can claim it; the place stays. */
    Mono<Void> release(Lease lease) {
        return MediaRepository.bounded(mongo.updateFirst(held(lease), new Update().unset("owner").unset("until"),
                COLLECTION), timeout).then();
    }

    private static Query held(Lease lease) {
        return query(where("_id").is(lease.sweep()).and("owner").is(lease.owner()));
    }
}
