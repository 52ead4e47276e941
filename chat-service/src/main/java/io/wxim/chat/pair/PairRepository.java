package io.wxim.chat.pair;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.RedisScripts;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.Limit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Pairing state in Redis. Every transition is one Lua script, so it is atomic across gateways and chat-service
 * instances: two concurrent accepts cannot pair a user twice, and the accept that pairs two users removes all their
 * other waiting requests in the same step. Keys: {@link RedisNames#pairIncoming}, {@link RedisNames#pairOutgoing},
 * {@link RedisNames#pairOf}, {@link RedisNames#pairSession}, {@link RedisNames#PAIR_EXPIRIES},
 * {@link RedisNames#PAIR_LOST}, {@link RedisNames#PAIR_UNRECORDED}.
 */
@Repository
public class PairRepository {
    private static final RedisScript<String> REQUEST = RedisScripts.load("redis/pair_request.lua", String.class);
    private static final RedisScript<Long> REMOVE = RedisScripts.load("redis/pair_remove.lua", Long.class,
            Deliveries.TO_USERS_LIBRARY);
    private static final RedisScript<Long> EXPIRE = RedisScripts.load("redis/pair_expire.lua", Long.class,
            Deliveries.TO_USERS_LIBRARY);
    private static final RedisScript<String> ACCEPT = RedisScripts.load("redis/pair_accept.lua", String.class,
            Deliveries.TO_USERS_LIBRARY);
    private static final RedisScript<String> END = RedisScripts.load("redis/pair_end.lua", String.class,
            Deliveries.TO_USERS_LIBRARY);
    private static final RedisScript<Long> CLAIM_UNRECORDED = RedisScripts.load("redis/pair_unrecorded_claim.lua", Long.class);
    private static final RedisScript<Long> ANNOUNCE_UNRECORDED = RedisScripts.load("redis/pair_unrecorded_announce.lua",
            Long.class, Deliveries.TO_USERS_LIBRARY);

    /** Outcome of a request: {@code status} is created, pending (already), busy_self, busy_peer, too_many_out or too_many_in. */
    public record RequestResult(String status, long expiresAt, String conv) {
    }

    /** A waiting request to this user. */
    public record Incoming(String from, long expiresAt) {
    }

    /**
     * Outcome of an accept: {@code status} is started, already (idempotent retry), none, busy_self or busy_peer;
     * {@code closed} the other waiting requests ({requester, target}) a started one removed.
     */
    public record AcceptResult(String status, String conv, List<String[]> closed) {
    }

    private final ReactiveStringRedisTemplate redis;
    private final Duration timeout;
    /**
     * How long after an accept's step a sweep may record and announce its session instead ({@link RedisNames#PAIR_UNRECORDED}):
     * past the accept's deadline, so an accept still running is not told twice.
     */
    private final long recordAfterMillis;

    public PairRepository(ReactiveStringRedisTemplate redis, ChatProperties props) {
        this.redis = redis;
        this.timeout = props.redisTimeout();
        this.recordAfterMillis = props.commandDeadline().plusSeconds(2).toMillis();
    }

    public Mono<RequestResult> request(String from, String to, long expiresAt, String conv, int maxOut, int maxIn, long now) {
        List<String> keys = List.of(RedisNames.pairIncoming(to), RedisNames.pairOutgoing(from), RedisNames.pairOf(from),
                RedisNames.pairOf(to), RedisNames.PAIR_EXPIRIES);
        List<String> args = List.of(from, to, String.valueOf(expiresAt), conv, String.valueOf(maxOut),
                String.valueOf(maxIn), String.valueOf(now));
        return redis.execute(REQUEST, keys, args).next().timeout(timeout).map(r -> {
            String[] parts = r.split("\\|");
            if (parts.length == 3) {
                return new RequestResult("1".equals(parts[0]) ? "created" : "pending", Long.parseLong(parts[1]), parts[2]);
            }
            return new RequestResult(r, 0, null);
        });
    }

    /** Removes the request {@code from -> to}; emits true if there was one. */
    public Mono<Boolean> remove(String from, String to) {
        return remove(from, to, List.of(), List.of());
    }

    /**
     * {@link #remove(String, String)}, and {@code told} (the other side's entry, then the actor's for their other
     * connections) is delivered in the same step if this call removed the request: a failure after the step cannot
     * lose it (a retried cancel or decline finds no request, answers not_found and tells no one).
     */
    public Mono<Boolean> remove(String from, String to, Deliveries.InScript told) {
        List<String> args = new ArrayList<>(List.of(told.prefix()));
        args.addAll(told.messages());
        return remove(from, to, told.nodeKeys(), args);
    }

    private Mono<Boolean> remove(String from, String to, List<String> nodeKeys, List<String> telling) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.pairIncoming(to), RedisNames.pairOutgoing(from),
                RedisNames.PAIR_EXPIRIES));
        keys.addAll(nodeKeys);
        List<String> args = new ArrayList<>(List.of(from, to));
        args.addAll(telling);
        return redis.execute(REMOVE, keys, args).next().timeout(timeout).map(r -> r == 1L);
    }

    /** Requests waiting for {@code userId}'s answer that have not expired, oldest first. */
    public Flux<Incoming> incoming(String userId, long now) {
        return redis.<String, String>opsForHash().entries(RedisNames.pairIncoming(userId))
                .map(e -> new Incoming(e.getKey(), Long.parseLong(e.getValue().substring(0, e.getValue().indexOf('|')))))
                .filter(in -> in.expiresAt() > now)
                .sort((a, b) -> Long.compare(a.expiresAt(), b.expiresAt()))
                .timeout(timeout);
    }

    /**
     * {@code target} accepts {@code from}'s request. Either user offline at that moment gets a grace period ending at
     * {@code graceDeadline}, as if they had just gone offline. Tells no one of the other requests it closes (a
     * pairAccept tells them in the step: the overload with {@link BusyNews}).
     */
    public Mono<AcceptResult> accept(String target, String from, long now, long graceDeadline) {
        return accept(target, from, now, graceDeadline, List.of());
    }

    /**
     * {@link #accept(String, String, long, long)}, and both sides of every other waiting request a started accept
     * removes get {@code pairRequestClosed busy} (put together from {@code busy}) in the same step: a failure after
     * the step cannot lose it (a retried accept answers already and closes nothing).
     */
    Mono<AcceptResult> accept(String target, String from, long now, long graceDeadline, BusyNews busy) {
        return accept(target, from, now, graceDeadline, List.of(busy.to().channelPrefix(), busy.to().connectionsPrefix(),
                busy.to().connectingPrefix(), busy.head(), busy.beforeRequester(), busy.beforeTarget(), busy.tail()));
    }

    private Mono<AcceptResult> accept(String target, String from, long now, long graceDeadline, List<String> telling) {
        List<String> keys = List.of(RedisNames.pairIncoming(target), RedisNames.pairOf(target), RedisNames.pairOf(from),
                RedisNames.PAIR_EXPIRIES, RedisNames.connections(target), RedisNames.connections(from),
                RedisNames.PAIR_LOST, RedisNames.PAIR_UNRECORDED);
        List<String> args = new ArrayList<>(List.of(target, from, String.valueOf(now), RedisNames.PAIR_PREFIX,
                String.valueOf(graceDeadline), String.valueOf(now + recordAfterMillis)));
        args.addAll(telling);
        return redis.execute(ACCEPT, keys, args).next().timeout(timeout).map(PairRepository::acceptResult);
    }

    private static AcceptResult acceptResult(String r) {
        String[] parts = r.split("\\|", -1);
        if ("1".equals(parts[0]) || "2".equals(parts[0])) {
            List<String[]> closed = new ArrayList<>();
            if (parts.length > 2 && !parts[2].isEmpty()) {
                Arrays.stream(parts[2].split(",")).forEach(c -> closed.add(c.split(">")));
            }
            return new AcceptResult("1".equals(parts[0]) ? "started" : "already", parts[1], closed);
        }
        return new AcceptResult(r, null, List.of());
    }

    /** The pair session the user is in now, or empty. */
    public Mono<String> sessionOf(String userId) {
        return redis.opsForValue().get(RedisNames.pairOf(userId)).timeout(timeout);
    }

    /** Ends the session because the user left; emits the peer, or empty if the user is not in that session. */
    public Mono<String> leave(String userId, String conv, long now) {
        return end(userId, conv, "leave", now);
    }

    /** Ends the session if the user's grace period passed and they are still offline; emits the peer if it ended. */
    public Mono<String> endIfLost(String userId, String conv, long now) {
        return end(userId, conv, "lost", now, List.of(), List.of());
    }

    /**
     * {@link #endIfLost}, and {@code peer} (read from the session before) gets {@code toPeer} (one entry, for
     * {@code peer}) in the same step if this call ended the session: a failure after the step cannot lose it.
     */
    public Mono<String> endIfLost(String userId, String conv, long now, String peer, Deliveries.InScript toPeer) {
        return end(userId, conv, "lost", now, toPeer.nodeKeys(), peerArgs(peer, toPeer));
    }

    /**
     * {@link #leave}, and {@code told} (the peer's entry unless {@code peer} is "", then the leaver's for their other
     * connections) is delivered in the same step if this call ended the session and its peer is {@code peer} (read
     * from the session before, "" if none was): a failure after the step cannot lose it (a retried leave answers
     * not_found and tells no one).
     */
    public Mono<String> leave(String userId, String conv, long now, String peer, Deliveries.InScript told) {
        return end(userId, conv, "leave", now, told.nodeKeys(), peerArgs(peer, told));
    }

    private static List<String> peerArgs(String peer, Deliveries.InScript told) {
        List<String> args = new ArrayList<>(List.of(told.prefix(), peer));
        args.addAll(told.messages());
        return args;
    }

    private Mono<String> end(String userId, String conv, String mode, long now) {
        return end(userId, conv, mode, now, List.of(), List.of());
    }

    private Mono<String> end(String userId, String conv, String mode, long now, List<String> moreKeys, List<String> moreArgs) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.pairOf(userId), RedisNames.PAIR_LOST, RedisNames.connections(userId)));
        keys.addAll(moreKeys);
        List<String> args = new ArrayList<>(List.of(userId, conv, RedisNames.PAIR_PREFIX, mode, String.valueOf(now)));
        args.addAll(moreArgs);
        return redis.execute(END, keys, args)
                .next().timeout(timeout)
                .filter(r -> r.startsWith("1|"))
                .map(r -> r.substring(2));
    }

    /** Drops the user from the lost set (the sweeper, for a user in no session any more; a connect does it in its own script). */
    public Mono<Void> clearLost(String userId) {
        return redis.opsForZSet().remove(RedisNames.PAIR_LOST, userId).timeout(timeout).then();
    }

    /** Up to {@code max} requests ("from|to") whose expiry has passed. */
    public Flux<String> dueRequests(long now, int max) {
        return redis.opsForZSet().rangeByScore(RedisNames.PAIR_EXPIRIES, Range.closed(0.0, (double) now),
                Limit.limit().count(max)).timeout(timeout);
    }

    /**
     * Expires one due request; emits true if this call claimed it. The claim also publishes {@code events} (two entries:
     * the requester's, then the target's) in the same step, so a failure after it cannot lose them.
     */
    public Mono<Boolean> expire(String from, String to, long now, Deliveries.InScript events) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.PAIR_EXPIRIES, RedisNames.pairIncoming(to), RedisNames.pairOutgoing(from)));
        keys.addAll(events.nodeKeys());
        List<String> args = new ArrayList<>(List.of(from, to, String.valueOf(now), events.prefix()));
        args.addAll(events.messages());
        return redis.execute(EXPIRE, keys, args).next().timeout(timeout).map(r -> r == 1L);
    }

    /** Up to {@code max} started sessions whose accept may not have recorded and announced them by {@code now}. */
    public Flux<String> dueUnrecorded(long now, int max) {
        return redis.opsForZSet().rangeByScore(RedisNames.PAIR_UNRECORDED, Range.closed(0.0, (double) now),
                Limit.limit().count(max)).timeout(timeout);
    }

    /** Claims a due unrecorded session for this sweep until {@code retryAt} (then due again); true if claimed. */
    public Mono<Boolean> claimUnrecorded(String conv, long now, long retryAt) {
        return redis.execute(CLAIM_UNRECORDED, List.of(RedisNames.PAIR_UNRECORDED),
                List.of(conv, String.valueOf(now), String.valueOf(retryAt))).next().timeout(timeout).map(r -> r == 1L);
    }

    /**
     * The session {@code conv} (requester {@code a}, accepter {@code b}) is recorded in MongoDB (by its accept or a sweep):
     * in one step, if it is still active for both, {@code told} (both users' {@code pairStarted}, requester first) is
     * published, and its entry leaves the sweep's list either way. Emits true if told.
     */
    public Mono<Boolean> announceRecorded(String conv, String a, String b, Deliveries.InScript told) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.PAIR_UNRECORDED, RedisNames.pairOf(a), RedisNames.pairOf(b)));
        keys.addAll(told.nodeKeys());
        List<String> args = new ArrayList<>(List.of(conv, told.prefix()));
        args.addAll(told.messages());
        return redis.execute(ANNOUNCE_UNRECORDED, keys, args).next().timeout(timeout).map(r -> r == 1L);
    }

    /** No sweep for the session {@code conv} (it ended, or it names no users). */
    public Mono<Void> forgetUnrecorded(String conv) {
        return redis.opsForZSet().remove(RedisNames.PAIR_UNRECORDED, conv).timeout(timeout).then();
    }

    /** Up to {@code max} users whose grace period has passed. */
    public Flux<String> dueLost(long now, int max) {
        return redis.opsForZSet().rangeByScore(RedisNames.PAIR_LOST, Range.closed(0.0, (double) now),
                Limit.limit().count(max)).timeout(timeout);
    }

    /** The other user of a {@link #session} than {@code user} ("" if it names none). */
    public static String peerOf(Map<String, String> session, String user) {
        return user.equals(session.get("a")) ? session.getOrDefault("b", "") : session.getOrDefault("a", "");
    }

    /** The two users of an active session ({@code a} requested, {@code b} accepted), or empty once it ended. */
    public Mono<Map<String, String>> session(String conv) {
        return redis.<String, String>opsForHash().entries(RedisNames.pairSession(conv))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .filter(m -> !m.isEmpty())
                .timeout(timeout);
    }
}
