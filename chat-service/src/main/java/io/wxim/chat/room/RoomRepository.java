package io.wxim.chat.room;

import io.wxim.chat.config.ChatProperties;
import java.time.Duration;
import java.util.Collection;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.index.Index;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Rooms and memberships in MongoDB (the durable part of chat-service's state). */
@Repository
public class RoomRepository {
    private final ReactiveMongoTemplate mongo;
    private final Duration timeout;

    public RoomRepository(ReactiveMongoTemplate mongo, ChatProperties props) {
        this.mongo = mongo;
        this.timeout = props.mongoTimeout();
    }

    /** Indexes documented in docs/storage.md; created at startup, idempotently. */
    public Mono<Void> ensureIndexes() {
        return mongo.indexOps(Membership.class).createIndex(new Index().on("userId", Sort.Direction.ASC))
                .then(mongo.indexOps(Room.class).createIndex(new Index().on("createdAt", Sort.Direction.ASC)))
                .timeout(timeout.multipliedBy(3))
                .then();
    }

    public Mono<Room> insertRoom(Room room) {
        return mongo.insert(room).timeout(timeout);
    }

    /** Deletes a room (one just made whose creator was then refused by the room limit). */
    public Mono<Void> deleteRoom(String roomId) {
        return mongo.remove(Query.query(Criteria.where("_id").is(roomId)), Room.class).timeout(timeout).then();
    }

    public Mono<Room> findRoom(String roomId) {
        return mongo.findById(roomId, Room.class).timeout(timeout);
    }

    public Flux<Room> findRooms(Collection<String> roomIds) {
        return mongo.find(Query.query(Criteria.where("_id").in(roomIds)), Room.class).timeout(timeout);
    }

    public Flux<Room> listRooms(int limit) {
        return mongo.find(new Query().with(Sort.by("createdAt")).limit(limit), Room.class).timeout(timeout);
    }

    /** Emits true if the membership was created, false if it already existed (idempotent join). */
    public Mono<Boolean> addMember(String conv, String userId, long now) {
        return mongo.insert(new Membership(Membership.idOf(conv, userId), conv, userId, now))
                .thenReturn(true)
                .onErrorResume(DuplicateKeyException.class, e -> Mono.just(false))
                .timeout(timeout);
    }

    /** Emits true if a membership was removed. */
    public Mono<Boolean> removeMember(String conv, String userId) {
        return mongo.remove(Query.query(Criteria.where("_id").is(Membership.idOf(conv, userId))), Membership.class)
                .map(r -> r.getDeletedCount() > 0)
                .timeout(timeout);
    }

    public Mono<Boolean> isMember(String conv, String userId) {
        return mongo.exists(Query.query(Criteria.where("_id").is(Membership.idOf(conv, userId))), Membership.class)
                .timeout(timeout);
    }

    /** Rooms the user is a member of (direct and pair conversations do not count). */
    public Mono<Long> countRoomMemberships(String userId) {
        Query query = Query.query(Criteria.where("userId").is(userId).and("conv").regex("^r:"));
        return mongo.count(query, Membership.class).timeout(timeout);
    }

    /** True if the two users share a conversation other than the lobby (a room, a direct or a pair conversation). */
    public Mono<Boolean> shareConversation(String userA, String userB) {
        return conversationsOf(userA).collectList().flatMap(convs -> convs.isEmpty() ? Mono.just(false)
                : mongo.exists(Query.query(Criteria.where("userId").is(userB).and("conv").in(convs)), Membership.class)
                        .timeout(timeout));
    }

    /** The user's rooms, oldest joined first (at most maxRoomsPerUser, the limit a join and a create hold to). */
    public Flux<String> roomsOf(String userId) {
        return roomMembershipsOf(userId).map(Membership::conv);
    }

    /** The user's room memberships, oldest joined first (unbounded read: joins and creates hold them to maxRoomsPerUser). */
    public Flux<Membership> roomMembershipsOf(String userId) {
        Query query = Query.query(Criteria.where("userId").is(userId).and("conv").regex("^r:")).with(Sort.by("joinedAt", "_id"));
        return mongo.find(query, Membership.class).timeout(timeout);
    }

    /** At most {@code limit} of the user's rooms, in no particular order (a join's "member already?" and "room for more?"). */
    public Flux<String> roomsOf(String userId, int limit) {
        Query query = Query.query(Criteria.where("userId").is(userId).and("conv").regex("^r:")).limit(limit);
        return mongo.find(query, Membership.class).map(Membership::conv).timeout(timeout);
    }

    /** The user's direct and pair conversations, newest joined first, at most {@code limit}. */
    public Flux<String> directsOf(String userId, int limit) {
        Query query = Query.query(Criteria.where("userId").is(userId).and("conv").regex("^[dp]:"))
                .with(Sort.by(Sort.Direction.DESC, "joinedAt", "_id")).limit(limit);
        return mongo.find(query, Membership.class).map(Membership::conv).timeout(timeout);
    }

    /** The user's conversations, oldest joined first. */
    public Flux<String> conversationsOf(String userId) {
        return membershipsOf(userId, 0).map(Membership::conv);
    }

    /** The user's oldest joined {@code limit} memberships (0: all), oldest first. */
    public Flux<Membership> membershipsOf(String userId, int limit) {
        Query query = Query.query(Criteria.where("userId").is(userId)).with(Sort.by("joinedAt", "_id")).limit(limit);
        return mongo.find(query, Membership.class).timeout(timeout);
    }
}
