package io.wxim.chat.presence;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.RedisScripts;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
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
    private static final RedisScript<Long> CONNECT = RedisScripts.load("redis/connect.lua", Long.class);
    private static final RedisScript<Long> DISCONNECT = RedisScripts.load("redis/disconnect.lua", Long.class);
    private static final RedisScript<Long> MARK_ONLINE = RedisScripts.load("redis/mark_online.lua", Long.class);
    /** Longer than a command can be redelivered (claim idle x max deliveries), so late CONNECTs are recognized. */
    private static final long TOMBSTONE_SECONDS = 600;

    /** Outcome of registering a connection. */
    public enum Connect { CAME_ONLINE, ALREADY_ONLINE, ALREADY_CLOSED }

    private final ReactiveStringRedisTemplate redis;
    private final Duration timeout;

    public PresenceRepository(ReactiveStringRedisTemplate redis, ChatProperties props) {
        this.redis = redis;
        this.timeout = props.redisTimeout();
    }

    /** Registers a connection and puts the user in the online sets of {@code convs}, atomically. */
    public Mono<Connect> connect(UserRef user, String node, String conn, List<String> convs) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.connections(user.id()), RedisNames.profile(user.id()),
                RedisNames.closedConnection(conn)));
        convs.forEach(conv -> keys.add(RedisNames.online(conv)));
        List<String> args = List.of(conn, node, nullToEmpty(user.nickname()), nullToEmpty(user.avatarUrl()), user.id());
        return redis.execute(CONNECT, keys, args).next().timeout(timeout).map(r -> r == 1L ? Connect.CAME_ONLINE
                : r == -1L ? Connect.ALREADY_CLOSED : Connect.ALREADY_ONLINE);
    }

    /** Removes a connection (leaving a tombstone); if it was the user's last, removes the user from {@code convs}' online sets. Emits true when the user just went offline. */
    public Mono<Boolean> disconnect(String userId, String conn, List<String> convs, long now) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.connections(userId), RedisNames.closedConnection(conn),
                RedisNames.lastSeen(userId)));
        convs.forEach(conv -> keys.add(RedisNames.online(conv)));
        return redis.execute(DISCONNECT, keys, List.of(conn, userId, String.valueOf(TOMBSTONE_SECONDS), String.valueOf(now)))
                .next().map(r -> r == 1L).timeout(timeout);
    }

    /** Whether this connection was already closed (its DISCONNECT ran): its CONNECT has nothing left to do. */
    public Mono<Boolean> isClosed(String conn) {
        return redis.hasKey(RedisNames.closedConnection(conn)).timeout(timeout);
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

    /** connId -> node of the user's open connections. */
    public Mono<Map<String, String>> connections(String userId) {
        return redis.<String, String>opsForHash().entries(RedisNames.connections(userId))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .timeout(timeout);
    }

    /** Adds the user to the conversation's online set if (and only if) connected; emits the online count. */
    public Mono<Long> markOnline(String conv, String userId) {
        return redis.execute(MARK_ONLINE, List.of(RedisNames.connections(userId), RedisNames.online(conv)), List.of(userId))
                .next().timeout(timeout);
    }

    public Mono<Long> markOffline(String conv, String userId) {
        return redis.opsForSet().remove(RedisNames.online(conv), userId).then(onlineCount(conv));
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

    private Mono<UserRef> profile(String userId) {
        return redis.<String, String>opsForHash().entries(RedisNames.profile(userId))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .map(p -> new UserRef(userId, emptyToNull(p.get("nickname")), emptyToNull(p.get("avatarUrl"))));
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
