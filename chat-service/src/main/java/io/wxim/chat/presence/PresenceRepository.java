package io.wxim.chat.presence;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.springframework.core.io.ClassPathResource;
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
    private static final RedisScript<Long> CONNECT =
            RedisScript.of(new ClassPathResource("redis/connect.lua"), Long.class);
    private static final RedisScript<Long> DISCONNECT =
            RedisScript.of(new ClassPathResource("redis/disconnect.lua"), Long.class);

    private final ReactiveStringRedisTemplate redis;
    private final Duration timeout;

    public PresenceRepository(ReactiveStringRedisTemplate redis, ChatProperties props) {
        this.redis = redis;
        this.timeout = props.redisTimeout();
    }

    /** Registers a connection; emits true when the user just came online. */
    public Mono<Boolean> connect(UserRef user, String node, String conn) {
        List<String> keys = List.of(RedisNames.connections(user.id()), RedisNames.profile(user.id()));
        List<String> args = List.of(conn, node, nullToEmpty(user.nickname()), nullToEmpty(user.avatarUrl()));
        return redis.execute(CONNECT, keys, args).next().map(r -> r == 1L).timeout(timeout);
    }

    /** Removes a connection; emits true when the user just went offline. */
    public Mono<Boolean> disconnect(String userId, String conn) {
        return redis.execute(DISCONNECT, List.of(RedisNames.connections(userId)), List.of(conn))
                .next().map(r -> r == 1L).timeout(timeout);
    }

    /** connId -> node of the user's open connections. */
    public Mono<Map<String, String>> connections(String userId) {
        return redis.<String, String>opsForHash().entries(RedisNames.connections(userId))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .timeout(timeout);
    }

    public Mono<Boolean> isOnline(String userId) {
        return redis.hasKey(RedisNames.connections(userId)).timeout(timeout);
    }

    public Mono<Long> markOnline(String conv, String userId) {
        return redis.opsForSet().add(RedisNames.online(conv), userId).then(onlineCount(conv));
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
