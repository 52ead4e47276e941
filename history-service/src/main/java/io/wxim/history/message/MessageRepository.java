package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoServerException;
import org.bson.Document;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import reactor.core.publisher.Mono;

/**
 * The {@code messages} collection. Documents are
 * {@code {_id, conv, seq, from: {id, nickname, avatarUrl}, cmid, kind, body | media, ts}}; a recalled message has
 * {@code recalled: true} and no {@code body}. Two unique indexes make the
 * database the arbiter of ordering and idempotency: {@code conv_seq (conv, seq)} and
 * {@code conv_from_cmid (conv, from.id, cmid)}. Every call is bounded by the Mongo timeout; a timeout or an
 * unreachable server becomes {@link StoreUnavailableException}. Writes wait until the indexes exist.
 */
public class MessageRepository {
    public static final String COLLECTION = "messages";
    static final String SEQ_INDEX = "conv_seq";
    static final String CMID_INDEX = "conv_from_cmid";
    static final String MEDIA_INDEX = "media_id";
    private static final int DUPLICATE_KEY = 11000;
    private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);

    private final ReactiveMongoTemplate mongo;
    private final Duration timeout;
    private final Mono<Void> indexesReady;

    public MessageRepository(ReactiveMongoTemplate mongo, Duration timeout) {
        this.mongo = mongo;
        this.timeout = timeout;
        // Created once per instance; a failure is not cached, so the next write (or the readiness check) tries again.
        this.indexesReady = createIndexes().cache(ok -> FOREVER, error -> Duration.ZERO, () -> FOREVER);
    }

    /** Completes once both unique indexes exist (idempotent: creating an existing index is a no-op). Writes wait for it. */
    public Mono<Void> ensureIndexes() {
        return indexesReady;
    }

    private Mono<Void> createIndexes() {
        var ops = mongo.indexOps(COLLECTION);
        Mono<String> seq = ops.createIndex(new Index().on("conv", Sort.Direction.ASC).on("seq", Sort.Direction.ASC)
                .unique().named(SEQ_INDEX));
        Mono<String> cmid = ops.createIndex(new Index().on("conv", Sort.Direction.ASC)
                .on("from.id", Sort.Direction.ASC).on("cmid", Sort.Direction.ASC).unique().named(CMID_INDEX));
        return bounded(seq.then(cmid)).then();
    }

    /**
     * Creates the index a recall's "is this file still shown?" read uses. Not awaited by writes: on a large collection
     * it may take a while to build, and the read works without it (slower). Unbounded on purpose; the caller logs.
     */
    public Mono<Void> ensureMediaIndex() {
        return mongo.indexOps(COLLECTION)
                .createIndex(new Index().on("media.id", Sort.Direction.ASC).sparse().named(MEDIA_INDEX)).then();
    }

    /** The id of the file {@code by}'s message {@code (conv, seq)} shows or showed (kept after a recall), or empty. */
    Mono<String> mediaIdOf(String conv, long seq, String by) {
        Query query = Query.query(Criteria.where("conv").is(conv).and("seq").is(seq).and("from.id").is(by));
        query.fields().include("media.id");
        return bounded(mongo.findOne(query, Document.class, COLLECTION))
                .mapNotNull(d -> d.get("media", Document.class))
                .mapNotNull(m -> m.getString("id"));
    }

    /** Whether a message that is not recalled shows file {@code mediaId} (one may be sent in several messages). */
    Mono<Boolean> mediaShown(String mediaId) {
        return bounded(mongo.exists(Query.query(Criteria.where("media.id").is(mediaId).and("recalled").ne(true)),
                COLLECTION));
    }

    /**
     * Whether a message of {@code conv} that is not recalled shows file {@code mediaId}: what lets the conversation's
     * members fetch links to it ({@code media_id} index, then the few messages of the file).
     */
    public Mono<Boolean> mediaShownIn(String conv, String mediaId) {
        return bounded(mongo.exists(Query.query(Criteria.where("media.id").is(mediaId).and("conv").is(conv)
                .and("recalled").ne(true)), COLLECTION));
    }

    /**
     * The messages that show file {@code mediaId}, recalled or not, by {@link MediaClaims#claimKey} -> recalled; at most
     * {@code limit} of them (the sparse {@code media_id} index answers).
     */
    Mono<Map<String, Boolean>> showing(String mediaId, int limit) {
        Query query = Query.query(Criteria.where("media.id").is(mediaId)).limit(limit);
        query.fields().include("conv").include("from.id").include("cmid").include("recalled");
        return bounded(mongo.find(query, Document.class, COLLECTION)
                .collectMap(d -> MediaClaims.claimKey(d.getString("conv"), d.get("from", Document.class).getString("id"),
                        d.getString("cmid")), d -> Boolean.TRUE.equals(d.getBoolean("recalled"))));
    }

    /** Inserts; a unique-index conflict surfaces as {@link org.springframework.dao.DuplicateKeyException}. */
    Mono<StoredMessage> insert(StoredMessage message) {
        return indexesReady.then(bounded(mongo.insert(toDocument(message), COLLECTION))).thenReturn(message);
    }

    /**
     * Inserts the messages in order with one {@code insertMany}; any unique-index conflict (possibly after some of
     * them were written) surfaces as {@link DuplicateKeyException}, whichever way the driver reports it.
     */
    Mono<List<StoredMessage>> insertAll(List<StoredMessage> messages) {
        List<Document> docs = messages.stream().map(MessageRepository::toDocument).toList();
        return indexesReady.then(bounded(mongo.insert(docs, COLLECTION).then()
                        .onErrorMap(MessageRepository::isDuplicateKey,
                                e -> new DuplicateKeyException("batch insert refused by a unique index", e))))
                .thenReturn(messages);
    }

    private static boolean isDuplicateKey(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof DuplicateKeyException) {
                return false; // already the right type
            }
            if (e instanceof MongoBulkWriteException bulk
                    && bulk.getWriteErrors().stream().anyMatch(w -> w.getCode() == DUPLICATE_KEY)) {
                return true;
            }
            if (e instanceof MongoServerException server && server.getCode() == DUPLICATE_KEY) {
                return true;
            }
        }
        return false;
    }

    /** The highest seq of the conversation, 0 if it has no message. */
    public Mono<Long> lastSeq(String conv) {
        Query query = Query.query(Criteria.where("conv").is(conv)).with(Sort.by(Sort.Direction.DESC, "seq")).limit(1);
        query.fields().include("seq");
        return bounded(mongo.findOne(query, Document.class, COLLECTION))
                .map(doc -> ((Number) doc.get("seq")).longValue())
                .defaultIfEmpty(0L);
    }

    Mono<StoredMessage> findByClientId(String conv, String fromId, String cmid) {
        Query query = Query.query(Criteria.where("conv").is(conv).and("from.id").is(fromId).and("cmid").is(cmid));
        return bounded(mongo.findOne(query, Document.class, COLLECTION)).map(MessageRepository::fromDocument);
    }

    /** The message {@code (conv, seq)}, or empty. */
    Mono<StoredMessage> findBySeq(String conv, long seq) {
        Query query = Query.query(Criteria.where("conv").is(conv).and("seq").is(seq));
        return bounded(mongo.findOne(query, Document.class, COLLECTION)).map(MessageRepository::fromDocument);
    }

    /** The newest message of the conversation (one indexed read: sort seq desc, limit 1), or empty. */
    Mono<StoredMessage> newest(String conv) {
        Query query = Query.query(Criteria.where("conv").is(conv)).with(Sort.by(Sort.Direction.DESC, "seq")).limit(1);
        return bounded(mongo.findOne(query, Document.class, COLLECTION)).map(MessageRepository::fromDocument);
    }

    /**
     * Atomically marks {@code (conv, seq)} recalled and drops its body, if {@code by} sent it and it is not older than
     * {@code notBefore} (epoch ms) and it is not a recall notice, and only while MongoDB's own clock ({@code $$NOW}) is
     * before {@code appliesBefore}: an update the server applies late (long after the client gave up) changes nothing.
     * With {@code withoutMedia}, only a message that shows no file (its recall took no hold on one). Answers the
     * updated message, or empty when no document matched all of that.
     */
    Mono<StoredMessage> markRecalled(String conv, long seq, String by, long notBefore, Instant appliesBefore,
                                     boolean withoutMedia) {
        Criteria criteria = Criteria.where("conv").is(conv).and("seq").is(seq).and("from.id").is(by)
                .and("ts").gte(notBefore).and("kind").ne(NewMessage.RECALL);
        if (withoutMedia) {
            criteria = criteria.and("media").exists(false);
        }
        Query query = Query.query(criteria)
                .addCriteria(Criteria.expr(() -> new Document("$lt", List.of("$$NOW", Date.from(appliesBefore)))));
        Update update = new Update().set("recalled", true).unset("body");
        return bounded(mongo.findAndModify(query, update, FindAndModifyOptions.options().returnNew(true),
                Document.class, COLLECTION)).map(MessageRepository::fromDocument);
    }

    /** Reads one page; fetches one extra row to know whether there is more in that direction. */
    public Mono<MessagePage> page(String conv, PageQuery page) {
        Criteria criteria = Criteria.where("conv").is(conv);
        Sort.Direction order = Sort.Direction.DESC;
        switch (page.direction()) {
            case AFTER -> {
                criteria = criteria.and("seq").gt(page.bound());
                order = Sort.Direction.ASC;
            }
            case BEFORE -> criteria = criteria.and("seq").lt(page.bound());
            case NEWEST -> { }
        }
        Query query = Query.query(criteria).with(Sort.by(order, "seq")).limit(page.limit() + 1);
        boolean descending = order == Sort.Direction.DESC;
        return bounded(mongo.find(query, Document.class, COLLECTION).map(MessageRepository::fromDocument).collectList())
                .map(rows -> {
                    boolean more = rows.size() > page.limit();
                    List<StoredMessage> kept = more ? rows.subList(0, page.limit()) : rows;
                    List<StoredMessage> ascending = new ArrayList<>(kept);
                    if (descending) {
                        Collections.reverse(ascending);
                    }
                    return new MessagePage(conv, ascending.stream().map(StoredMessage::toFrame).toList(), more);
                });
    }

    private <T> Mono<T> bounded(Mono<T> call) {
        return call.timeout(timeout)
                .onErrorMap(TimeoutException.class, e -> new StoreUnavailableException("mongo call timed out", e))
                .onErrorMap(DataAccessResourceFailureException.class,
                        e -> new StoreUnavailableException("mongo unreachable", e));
    }

    static Document toDocument(StoredMessage m) {
        Document from = new Document("id", m.from().id());
        if (m.from().nickname() != null) {
            from.append("nickname", m.from().nickname());
        }
        if (m.from().avatarUrl() != null) {
            from.append("avatarUrl", m.from().avatarUrl());
        }
        Document doc = new Document("_id", m.id())
                .append("conv", m.conv())
                .append("seq", m.seq())
                .append("from", from)
                .append("cmid", m.cmid())
                .append("kind", m.kind());
        if (m.recalled()) {
            doc.append("recalled", true);
        } else if (m.media() != null) {
            doc.append("media", mediaDocument(m.media()));
        } else {
            doc.append("body", m.body());
        }
        return doc.append("ts", m.ts());
    }

    static StoredMessage fromDocument(Document d) {
        Document from = d.get("from", Document.class);
        UserRef sender = new UserRef(from.getString("id"), from.getString("nickname"), from.getString("avatarUrl"));
        boolean recalled = Boolean.TRUE.equals(d.get("recalled"));
        Document media = d.get("media", Document.class);
        return new StoredMessage(d.getString("conv"), ((Number) d.get("seq")).longValue(), d.getString("_id"), sender,
                d.getString("cmid"), d.getString("kind"), recalled ? null : d.getString("body"),
                ((Number) d.get("ts")).longValue(), false, recalled, media == null ? null : media(media));
    }

    /** {@code {id, contentType, size, width?, height?, duration?}}: what a message keeps of its file (no URLs). */
    private static Document mediaDocument(ServerFrame.Media m) {
        Document doc = new Document("id", m.id()).append("contentType", m.contentType()).append("size", m.size());
        if (m.width() != null) {
            doc.append("width", m.width()).append("height", m.height());
        }
        if (m.duration() != null) {
            doc.append("duration", m.duration());
        }
        return doc;
    }

    private static ServerFrame.Media media(Document d) {
        return new ServerFrame.Media(d.getString("id"), d.getString("contentType"), ((Number) d.get("size")).longValue(),
                d.getInteger("width"), d.getInteger("height"), d.getInteger("duration"), null, null, null);
    }
}
