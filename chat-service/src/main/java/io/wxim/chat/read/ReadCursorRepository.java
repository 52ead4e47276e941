package io.wxim.chat.read;

import io.wxim.chat.config.ChatProperties;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.BulkOperations;
import org.springframework.data.mongodb.core.FindAndModifyOptions;
import org.springframework.data.mongodb.core.ReactiveBulkOperations;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.mapping.Document;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.mongodb.core.query.Update;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/**
 * Read cursors in MongoDB ({@code im_chat.read_cursors}, id {@code conv|userId}): the highest seq a user has read in a
 * conversation, shared by all their devices. A cursor only moves forward ({@code $max}), so concurrent marks from
 * two devices and retried commands leave the highest.
 */
@Repository
public class ReadCursorRepository {
    @Document("read_cursors")
    record ReadCursor(@Id String id, String conv, String userId, long seq) {
    }

    private final ReactiveMongoTemplate mongo;
    private final Duration timeout;

    public ReadCursorRepository(ReactiveMongoTemplate mongo, ChatProperties props) {
        this.mongo = mongo;
        this.timeout = props.mongoTimeout();
    }

    /** Moves the cursor forward to {@code seq} (never back); emits the cursor now. */
    public Mono<Long> advance(String conv, String userId, long seq) {
        Query query = Query.query(Criteria.where("_id").is(conv + "|" + userId));
        Update update = new Update().max("seq", seq).setOnInsert("conv", conv).setOnInsert("userId", userId);
        return mongo.findAndModify(query, update, FindAndModifyOptions.options().upsert(true).returnNew(true), ReadCursor.class)
                .map(ReadCursor::seq)
                .timeout(timeout);
    }

    /** A cursor to move forward: {@code userId}'s cursor in {@code conv} to at least {@code seq}. */
    public record Move(String conv, String userId, long seq) {
        String id() {
            return conv + "|" + userId;
        }
    }

    /** Moves several cursors forward (never back) with one unordered bulk write of upserts. */
    public Mono<Void> advanceAll(Collection<Move> moves) {
        if (moves.isEmpty()) {
            return Mono.empty();
        }
        ReactiveBulkOperations bulk = mongo.bulkOps(BulkOperations.BulkMode.UNORDERED, ReadCursor.class);
        for (Move move : moves) {
            bulk.upsert(Query.query(Criteria.where("_id").is(move.id())), new Update().max("seq", move.seq())
                    .setOnInsert("conv", move.conv()).setOnInsert("userId", move.userId()));
        }
        return bulk.execute().timeout(timeout).then();
    }

    /** Cursors of the user in these conversations (0 when never read). */
    public Mono<Map<String, Long>> cursors(String userId, Collection<String> convs) {
        return mongo.find(Query.query(Criteria.where("userId").is(userId).and("conv").in(convs)), ReadCursor.class)
                .collectMap(ReadCursor::conv, ReadCursor::seq)
                .timeout(timeout);
    }
}
