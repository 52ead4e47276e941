package io.wxim.chat.presence;

import io.wxim.chat.command.CommandDeadline;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.RedisScripts;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Presence in Redis: each user's open connections (connId -> node), each conversation's online members, and the
 * display profile of users who connected. Owned by chat-service.
 */
@Repository
public class PresenceRepository {
    /** The Lua function that announces a presence change in the step that makes it ({@link PresenceFrames}). */
    private static final String ANNOUNCE = "redis/lib/announce.lua";
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> PREPARE = RedisScripts.load("redis/connect_prepare.lua", List.class);
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> CONNECT = RedisScripts.load("redis/connect.lua", List.class, ANNOUNCE);
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> DISCONNECT = RedisScripts.load("redis/disconnect.lua", List.class, ANNOUNCE);
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> MARK_ONLINE = RedisScripts.load("redis/mark_online.lua", List.class, ANNOUNCE);
    private static final RedisScript<Long> CROWD_FLUSH = RedisScripts.load("redis/crowd_flush.lua", Long.class, ANNOUNCE);
    @SuppressWarnings("rawtypes")
    private static final RedisScript<List> ROOM_LEAVE = RedisScripts.load("redis/room_leave.lua", List.class, ANNOUNCE,
            Deliveries.TO_USERS_LIBRARY);
    /**
     * How long a record of a join or leave told counts ({@link RedisNames#joinsTold}; {@code lib/announce.lua}'s
     * {@code TOLD_TTL}): longer than a command's attempts can come.
     */
    static final long TOLD_MILLIS = 600_000;
    /**
     * How long after its membership's {@code joinedAt} a connect may tell a join ({@link #recentJoins}): a minute less
     * than its record counts, so a join told by its step is still recorded told at the window's end though the
     * membership's time comes from one chat instance's clock and the record's from Redis's (clocks a minute apart
     * would tell it twice); one whose step never came 9 to 10 minutes ago is not told.
     */
    static final long RECENT_JOIN_MILLIS = TOLD_MILLIS - 60_000;
    /**
     * How long Redis keeps a user's cached profile ({@link RedisNames#profile}) after their last connect, and their last
     * seen time ({@link RedisNames#lastSeen}) after their last disconnect: what Redis holds of users grows with the users
     * active lately, not with every user who ever connected. The profile is durable in MongoDB (a connect after it
     * lapsed stores it again); {@code status} of a user offline longer has no {@code lastSeen}.
     */
    public static final Duration USER_RETENTION = Duration.ofDays(30);
    /** Longer than a command can be redelivered (claim idle x max deliveries), so late CONNECTs are recognized. */
    private static final long TOMBSTONE_SECONDS = 600;

    /** How a leave step runs ({@code room_leave.lua}'s ARGV[4]). */
    private enum LeaveMode { MEMBER, FINISH, UNDO_JOIN }

    /**
     * Outcome of registering a connection. MEMBERSHIPS_CHANGED: nothing was registered, because the user left a room
     * since their last leave given was read (the memberships read after it may list that room: read them again).
     */
    public enum Connect { CAME_ONLINE, ALREADY_ONLINE, ALREADY_CLOSED, MEMBERSHIPS_CHANGED }

    /**
     * A registered connection: the outcome and, if registered, the user's active pair session ("" when none), the
     * online count of each conversation given and the user's last leave as given (0 when none; the welcome states it).
     */
    public record Connected(Connect outcome, String pairSession, List<Long> counts, long leaves) {
        public Connected {
            counts = List.copyOf(counts);
        }

        public Connected(Connect outcome, String pairSession, List<Long> counts) {
            this(outcome, pairSession, counts, 0);
        }
    }

    /**
     * A {@link #markOnline(String, String, boolean, PresenceFrames)}: the room's online count, and whether the join was
     * announced with the user (not in a crowded room: there the step marked it for the {@link CrowdPresence} count).
     */
    public record MarkedOnline(long online, boolean announced) {
    }

    /** A leave: the room's online count after it and the user's last leave now (0: nothing was done). */
    public record Left(long online, long leaves) {
    }

    /**
     * What a CONNECT needs before its memberships: whether the connection already closed, the user's cached profile
     * (fields of the profile hash; empty strings when absent) and the user's last room leave ({@link RedisNames#leaves};
     * "" when none), which {@link #connect} is given back.
     */
    public record Prepared(boolean closed, Map<String, String> cachedProfile, String leaves) {
    }

    private final ReactiveStringRedisTemplate redis;
    private final Duration timeout;
    private final long pairGraceMillis;
    private final int crowdThreshold;
    /**
     * How long a connection being set up stays reachable if its connect never completes, and a user's last leave is kept:
     * well past a command's deadline (a connect takes less).
     */
    private final String connectingMillis;

    public PresenceRepository(ReactiveStringRedisTemplate redis, ChatProperties props) {
        this.redis = redis;
        this.timeout = props.redisTimeout();
        this.pairGraceMillis = props.pair().grace().toMillis();
        this.crowdThreshold = props.crowd().threshold();
        this.connectingMillis = Long.toString(Math.max(60_000, 4 * props.commandDeadline().toMillis()));
    }

    /**
     * One round trip: {@link Prepared} for a connection of this user; unless it already closed, the connection (on
     * {@code node}) is added to the user's connections being set up ({@link RedisNames#connecting}), which deliveries to
     * the user reach. Done before the user's memberships are read: a conversation created after that read (a first
     * direct message) reaches the connection, where it would otherwise reach neither the welcome nor the connection.
     */
    public Mono<Prepared> prepare(String userId, String node, String conn) {
        List<String> keys = List.of(RedisNames.closedConnection(conn), RedisNames.profile(userId), RedisNames.connecting(userId),
                RedisNames.leaves(userId));
        return redis.execute(PREPARE, keys, List.of(conn, node, connectingMillis, String.valueOf(USER_RETENTION.toMillis())))
                .next().timeout(timeout).map(r -> {
            List<?> l = (List<?>) r;
            return new Prepared("1".equals(l.get(0)), Map.of("stored", (String) l.get(1), "nickname", (String) l.get(2),
                    "avatarUrl", (String) l.get(3)), (String) l.get(4));
        });
    }

    /**
     * Registers a connection (it is no longer one being set up), puts the user in the online sets of {@code convs}
     * (recorded in {@link RedisNames#onlineIn}) and ends any grace period of the user's pair session, atomically; reads
     * the pair session and the online counts of {@code convs} in the same round trip. Only if the user's last leave is
     * still {@code leaves} (as {@link #prepare} read it before {@code convs} were), or {@code force}: else
     * MEMBERSHIPS_CHANGED and nothing changes. A forced registration leaves out of the online sets the rooms of
     * {@code convs} left after {@code leaves} (their counts are answered as -1).
     */
    public Mono<Connected> connect(UserRef user, String node, String conn, List<String> convs, String leaves, boolean force) {
        return connect(user, node, conn, convs, leaves, force, List.of());
    }

    /**
     * {@link #connect(UserRef, String, String, List, String, boolean)}, and if the user came online, announces it to each
     * conversation registered with at most {@code crowd.threshold} online, in the same step ({@code online}'s frames):
     * a failure after the step cannot lose the announcements, as one between the step and a separate announcement did
     * (a redelivered CONNECT finds the connection registered and announces nothing). A room of {@code joinedRecently}
     * ({@link #recentJoins}) may be one whose join has not reached its step yet, or failed before it (its retry then
     * finds the user in the room's online set, or offline, and tells nothing): unless its join was told already
     * ({@link RedisNames#joinsTold}; each join is told once), it is announced here as a join ({@code joined}'s room
     * frame, encoded only when such a room is given) when the user comes online with it, or is online already and
     * this connection puts them in it. The crowded ones are marked for the {@link CrowdPresence}
     * count ({@link RedisNames#CROWDED}) in the step.
     */
    public Mono<Connected> connect(UserRef user, String node, String conn, List<String> convs, String leaves, boolean force,
                                   PresenceFrames online, Set<String> joinedRecently, Supplier<PresenceFrames> joined) {
        List<String> announcing = new ArrayList<>(announcing(online));
        if (convs.stream().anyMatch(joinedRecently::contains)) { // the usual connect has none: no flags, no frames
            StringBuilder recent = new StringBuilder(convs.size());
            convs.forEach(conv -> recent.append(joinedRecently.contains(conv) ? '1' : '0'));
            PresenceFrames frames = joined.get();
            announcing.addAll(List.of(frames.lobbyHead(), frames.lobbyTail(), frames.roomHead(), frames.roomMiddle(),
                    frames.roomTail(), recent.toString()));
        }
        return connect(user, node, conn, convs, leaves, force, announcing);
    }

    private Mono<Connected> connect(UserRef user, String node, String conn, List<String> convs, String leaves, boolean force,
                                    List<String> announcing) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.connections(user.id()), RedisNames.closedConnection(conn),
                RedisNames.PAIR_LOST, RedisNames.pairOf(user.id()), RedisNames.connecting(user.id()),
                RedisNames.onlineIn(user.id()), RedisNames.leaves(user.id()), RedisNames.leftRooms(user.id()),
                RedisNames.joinsTold(user.id())));
        convs.forEach(conv -> keys.add(RedisNames.online(conv)));
        List<String> args = new ArrayList<>(List.of(conn, node, user.id(), RedisNames.ONLINE,
                RedisNames.nodeConnections(node), RedisNames.NODES, leaves, force ? "1" : "0"));
        args.addAll(announcing);
        return redis.execute(CONNECT, keys, args).next().timeout(timeout).map(r -> {
            List<?> l = (List<?>) r;
            long outcome = ((Number) l.get(0)).longValue();
            if (outcome == -1L) {
                return new Connected(Connect.ALREADY_CLOSED, "", List.of());
            }
            if (outcome == -2L) {
                return new Connected(Connect.MEMBERSHIPS_CHANGED, "", List.of());
            }
            List<Long> counts = new ArrayList<>(convs.size());
            for (int i = 3; i < 3 + convs.size(); i++) {
                counts.add(((Number) l.get(i)).longValue());
            }
            return new Connected(outcome == 1L ? Connect.CAME_ONLINE : Connect.ALREADY_ONLINE, (String) l.get(1), counts,
                    ((Number) l.get(2)).longValue());
        });
    }

    /** What a disconnect did: whether the user went offline, and then the conversations whose online sets it left. */
    public record Disconnected(boolean wentOffline, List<String> convs) {
        public Disconnected {
            convs = List.copyOf(convs);
        }
    }

    /**
     * Removes a connection of gateway {@code node} (leaving a tombstone, and taking it out of the node's index); if it
     * was the user's last, removes the user from the online sets of {@code convs} (the user's conversations as MongoDB
     * lists them; empty if they could not be read) and of every conversation recorded in Redis as holding the user
     * ({@link RedisNames#onlineIn}), so a disconnect never depends on MongoDB. Announces nothing.
     */
    public Mono<Disconnected> disconnect(String userId, String node, String conn, List<String> convs, long now) {
        return disconnect(userId, node, conn, convs, now, List.of());
    }

    /**
     * {@link #disconnect(String, String, String, List, long)}, and if the user went offline, announces it to each
     * conversation left with at most {@code crowd.threshold} online, in the same step ({@code offline}'s frames): a
     * failure after the step cannot lose the announcements, as one between the step and a separate announcement did (a
     * rerun finds the user offline and announces nothing). The crowded ones are marked for the {@link CrowdPresence}
     * count in the step.
     */
    public Mono<Disconnected> disconnect(String userId, String node, String conn, List<String> convs, long now,
                                         PresenceFrames offline) {
        return disconnect(userId, node, conn, convs, now, announcing(offline));
    }

    /** What {@code redis/lib/announce.lua}'s {@code announce} needs, in its order. */
    private List<String> announcing(PresenceFrames frames) {
        List<String> args = new ArrayList<>(9);
        args.add(String.valueOf(crowdThreshold));
        args.addAll(publishing(frames));
        args.add(RedisNames.CROWDED);
        return args;
    }

    /** What {@code redis/lib/announce.lua}'s {@code publish_frame} needs, in its order. */
    private static List<String> publishing(PresenceFrames frames) {
        return List.of(RedisNames.convChannel(""), Conversations.LOBBY, frames.lobbyHead(), frames.lobbyTail(),
                frames.roomHead(), frames.roomMiddle(), frames.roomTail());
    }

    /**
     * One crowd flush: pops up to {@code max} crowded conversations whose count changed ({@link RedisNames#CROWDED}) and
     * publishes each its online count ({@code counts}' frame), read in the same step. Emits how many it popped.
     */
    public Mono<Long> flushCrowded(int max, PresenceFrames counts) {
        List<String> args = new ArrayList<>(List.of(String.valueOf(max), RedisNames.ONLINE));
        args.addAll(publishing(counts));
        return redis.execute(CROWD_FLUSH, List.of(RedisNames.CROWDED), args).next().timeout(timeout);
    }

    private Mono<Disconnected> disconnect(String userId, String node, String conn, List<String> convs, long now,
                                          List<String> announcing) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.connections(userId), RedisNames.closedConnection(conn),
                RedisNames.lastSeen(userId), RedisNames.connecting(userId), RedisNames.onlineIn(userId),
                RedisNames.pairOf(userId), RedisNames.PAIR_LOST));
        convs.forEach(conv -> keys.add(RedisNames.online(conv)));
        List<String> args = new ArrayList<>(List.of(conn, userId, String.valueOf(TOMBSTONE_SECONDS), String.valueOf(now),
                RedisNames.ONLINE, RedisNames.nodeConnections(node), String.valueOf(now + pairGraceMillis),
                String.valueOf(USER_RETENTION.toMillis())));
        args.addAll(announcing);
        return redis.execute(DISCONNECT, keys, args)
                .next().timeout(timeout).map(r -> {
                    List<?> l = (List<?>) r;
                    if (((Number) l.get(0)).longValue() != 1L) {
                        return new Disconnected(false, List.of());
                    }
                    return new Disconnected(true, l.subList(2, l.size()).stream().map(String.class::cast).toList());
                });
    }

    /** Whether the user has an open connection now, and when their last one closed (null if unknown). */
    public record Status(boolean online, Long lastSeen) {
    }

    public Mono<Status> status(String userId) {
        return redis.opsForHash().size(RedisNames.connections(userId))
                .zipWith(redis.opsForValue().get(RedisNames.lastSeen(userId)).map(Long::parseLong).map(java.util.Optional::of)
                        .defaultIfEmpty(java.util.Optional.empty()))
                .map(t -> new Status(t.getT1() > 0, t.getT2().orElse(null)))
                .timeout(timeout);
    }

    /**
     * The rooms of {@code roomsJoinedAt} (conv -> its membership's {@code joinedAt}, epoch ms) joined within
     * {@link #RECENT_JOIN_MILLIS} before {@code now}: those whose join a {@link #connect} may have to tell.
     */
    public static Set<String> recentJoins(Map<String, Long> roomsJoinedAt, long now) {
        Set<String> recent = new HashSet<>();
        roomsJoinedAt.forEach((conv, joinedAt) -> {
            if (joinedAt >= now - RECENT_JOIN_MILLIS) {
                recent.add(conv);
            }
        });
        return recent;
    }

    /**
     * A room's creator: adds the user to the conversation's online set if (and only if) connected, and records the
     * membership's join as told unless something is recorded for it ({@link RedisNames#joinsTold}: the creator's own
     * {@code joined} answer tells it, and no one else is in the room), so a connect of the creator within the record's
     * time does not announce it as a join ({@link #connect}); emits the online count.
     */
    public Mono<Long> markCreatorOnline(String conv, String userId) {
        return markOnline(conv, userId, List.of("c")).map(MarkedOnline::online);
    }

    /**
     * {@link #markOnline(String, String)} for a join, announced ({@code joined}'s frame) to the room in the same step
     * if the room has at most {@code crowd.threshold} online, this step added the user to the online set or
     * {@code newly} (this attempt inserted the membership), and the join was not told yet ({@link RedisNames#joinsTold}:
     * by another attempt's step, or by a connect of the user's other device that registered the membership first). So
     * a retried join whose earlier attempt inserted the membership and failed before this step still announces it,
     * and every join is told once however its attempts and connects interleave.
     */
    public Mono<MarkedOnline> markOnline(String conv, String userId, boolean newly, PresenceFrames joined) {
        List<String> args = new ArrayList<>(List.of(newly ? "1" : "0"));
        args.addAll(announcing(joined));
        return markOnline(conv, userId, args);
    }

    /**
     * Fenced with the running command's deadline ({@link CommandDeadline}): a step Redis runs after it changes nothing
     * and fails with a {@link java.util.concurrent.TimeoutException}, as the command's time ran out.
     */
    private Mono<MarkedOnline> markOnline(String conv, String userId, List<String> announcing) {
        return Mono.deferContextual(context -> {
            List<String> args = new ArrayList<>(List.of(userId, conv, CommandDeadline.argument(context)));
            args.addAll(announcing);
            return redis.execute(MARK_ONLINE, List.of(RedisNames.connections(userId), RedisNames.online(conv),
                    RedisNames.onlineIn(userId), RedisNames.leftRooms(userId), RedisNames.joinsTold(userId)), args).next();
        }).onErrorMap(CommandDeadline::asTimeout).timeout(timeout).map(r -> {
                    List<?> l = (List<?>) r;
                    return new MarkedOnline(((Number) l.get(0)).longValue(), ((Number) l.get(1)).longValue() == 1L);
                });
    }

    /**
     * The user left the room (the membership is already removed): out of its online set, and the user's last leave
     * set to a new value in the same step, so a connect that read the memberships before the removal cannot put the
     * user back ({@link #connect}). With {@code onlyIfRecorded} (finishing a leave whose membership was already gone),
     * only if the user is still recorded online in the room; else nothing changes, and {@link Left#leaves()} is the
     * value of the user's recent leave of the room ({@link RedisNames#leftRooms}: a retry whose earlier attempt did this
     * step, then failed to publish the unsubscribe, publishes it again) or 0 if there was none.
     */
    public Mono<Left> leave(String conv, String userId, boolean onlyIfRecorded) {
        return leave(conv, userId, onlyIfRecorded ? LeaveMode.FINISH : LeaveMode.MEMBER, List.of(), List.of());
    }

    /**
     * {@link #leave(String, String, boolean)} finishing a leave whose membership was already gone: if the user is still
     * recorded online in the room (an earlier attempt removed the membership, then failed before Redis), or no longer
     * (the user's connections changed since) but the join was told and no leave of the room is recorded, the room is
     * told {@code memberLeft} in this step, as that attempt never got to tell it ({@code left}'s frames; a crowded room
     * is marked for the count instead), once ({@link RedisNames#joinsTold}).
     */
    public Mono<Left> finishLeave(String conv, String userId, PresenceFrames left) {
        return leave(conv, userId, LeaveMode.FINISH, List.of(), announcing(left));
    }

    /**
     * Undoes the Redis side a join refused at the room limit may have left (its membership was inserted, then removed):
     * the user out of the room's online set and the user's last leave set to a new value, whether or not a connect
     * registered the room meanwhile, so a connect that read the memberships while the membership existed reads them
     * again instead of registering it; the room is told {@code memberLeft} ({@code left}'s frames) only if its join was
     * told (a connect registered it and told it; {@link RedisNames#joinsTold}).
     */
    public Mono<Left> undoJoin(String conv, String userId, PresenceFrames left) {
        return leave(conv, userId, LeaveMode.UNDO_JOIN, List.of(), announcing(left));
    }

    /**
     * {@link #leave(String, String, boolean)} of a member (not finishing), told in the same step ({@code news}): the
     * room's {@code memberLeft} if at most {@code crowd.threshold} are online after it (else the room is marked for the
     * {@link CrowdPresence} count) unless this leave was told already (a retry that finished it first, or an earlier
     * attempt's step: {@link RedisNames#joinsTold}), then every gateway of the user the unsubscribe stating the
     * leave's value, then the user's other connections {@code left}. A failure after the step cannot lose them, as one
     * between the step and separate publishes did (a retried leave finds no membership and tells only what
     * {@link #finishLeave} does).
     */
    public Mono<Left> leave(String conv, String userId, LeaveNews news) {
        List<String> args = new ArrayList<>(announcing(news.memberLeft()));
        args.add(news.toOthers().prefix());
        args.add(news.unsubscribeHead());
        args.add(news.unsubscribeTail());
        args.addAll(news.toOthers().messages());
        return leave(conv, userId, LeaveMode.MEMBER, news.toOthers().nodeKeys(), args);
    }

    /**
     * Fenced with the running command's deadline ({@link CommandDeadline}): a step Redis runs after it changes nothing
     * and fails with a {@link java.util.concurrent.TimeoutException}, as the command's time ran out.
     */
    private Mono<Left> leave(String conv, String userId, LeaveMode mode, List<String> nodeKeys, List<String> telling) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.onlineIn(userId), RedisNames.online(conv), RedisNames.leaves(userId),
                RedisNames.LEAVE_SEQ, RedisNames.leftRooms(userId), RedisNames.joinsTold(userId)));
        keys.addAll(nodeKeys);
        return Mono.deferContextual(context -> {
            List<String> args = new ArrayList<>(List.of(userId, conv, connectingMillis, String.valueOf(mode.ordinal()),
                    CommandDeadline.argument(context)));
            args.addAll(telling);
            return redis.execute(ROOM_LEAVE, keys, args).next();
        }).onErrorMap(CommandDeadline::asTimeout).timeout(timeout).map(r -> {
            List<?> l = (List<?>) r;
            return new Left(((Number) l.get(0)).longValue(), ((Number) l.get(1)).longValue());
        });
    }

    public Mono<Long> onlineCount(String conv) {
        return redis.opsForSet().size(RedisNames.online(conv)).timeout(timeout);
    }

    /** Online counts of several conversations, in the given order. */
    public Flux<Long> onlineCounts(Collection<String> convs) {
        return Flux.fromIterable(convs).concatMap(this::onlineCount);
    }

    /** Up to {@code max} online members with their profiles. */
    public Flux<UserRef> onlineMembers(String conv, int max) {
        return redis.opsForSet().scan(RedisNames.online(conv))
                .distinct() // SSCAN may return an element twice
                .take(max)
                .concatMap(this::profile)
                .timeout(timeout);
    }

    /** The user as last connected: the id, and the cached nickname and avatar when known. */
    public Mono<UserRef> profile(String userId) {
        return redis.<String, String>opsForHash().entries(RedisNames.profile(userId))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .map(p -> new UserRef(userId, emptyToNull(p.get("nickname")), emptyToNull(p.get("avatarUrl"))))
                .timeout(timeout);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
