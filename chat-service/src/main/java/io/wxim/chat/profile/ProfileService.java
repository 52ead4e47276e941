package io.wxim.chat.profile;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.RedisScripts;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * Known users and their display profiles. The durable copy is in MongoDB; the Redis profile hash (written here after
 * the MongoDB write, read by the connect's first step) tells whether it changed, so a connect costs a Mongo write only
 * when the profile is new or changed.
 */
@Service
public class ProfileService {
    /** Field of the Redis profile hash set once the profile is stored in MongoDB. */
    private static final String STORED = "stored";
    private static final RedisScript<Long> CACHE = RedisScripts.load("redis/profile_cache.lua", Long.class);

    private final ReactiveMongoTemplate mongo;
    private final ReactiveStringRedisTemplate redis;
    private final Duration mongoTimeout;
    private final Duration redisTimeout;
    private final Clock clock;

    public ProfileService(ReactiveMongoTemplate mongo, ReactiveStringRedisTemplate redis, ChatProperties props, Clock clock) {
        this.mongo = mongo;
        this.redis = redis;
        this.mongoTimeout = props.mongoTimeout();
        this.redisTimeout = props.redisTimeout();
        this.clock = clock;
    }

    /**
     * Records the profile from a verified token; a Mongo write only if {@code cached} (the Redis profile hash as read
     * before this connect, {@link io.wxim.chat.presence.PresenceRepository#prepare}) differs or was never confirmed
     * stored (its {@code stored} field is set after the write, so a Redis copy from before profiles were durable, or
     * from a write that failed, is stored again).
     */
    public Mono<Void> record(UserRef user, Map<String, String> cached) {
        if (unchanged(cached, user)) {
            return Mono.empty();
        }
        // the hash with its lifetime, in one step (only for a new or changed profile)
        return mongo.save(new Profile(user.id(), user.nickname(), user.avatarUrl(), clock.millis()))
                .timeout(mongoTimeout)
                .then(redis.execute(CACHE, List.of(RedisNames.profile(user.id())), List.of(nullToEmpty(user.nickname()),
                                nullToEmpty(user.avatarUrl()), String.valueOf(PresenceRepository.USER_RETENTION.toMillis())))
                        .then()
                        .timeout(redisTimeout));
    }

    /** The user's profile; NOT_FOUND if the user never connected (unknown to chat). */
    public Mono<UserRef> require(String userId) {
        return mongo.findById(userId, Profile.class).timeout(mongoTimeout)
                .map(Profile::toRef)
                .switchIfEmpty(Mono.error(() -> new ProtocolException(ErrorCode.NOT_FOUND, "no such user")));
    }

    /** Profiles by id (unknown ids are missing from the map). */
    public Mono<Map<String, UserRef>> findAll(Collection<String> userIds) {
        if (userIds.isEmpty()) {
            return Mono.just(Map.of());
        }
        return mongo.find(Query.query(Criteria.where("_id").in(userIds)), Profile.class).timeout(mongoTimeout)
                .collectMap(Profile::id, Profile::toRef);
    }

    /** The profile {@link #findAll} found for {@code userId}, or the bare id (a user whose profile is not stored). */
    public static UserRef known(Map<String, UserRef> found, String userId) {
        return found.getOrDefault(userId, new UserRef(userId, null, null));
    }

    private static boolean unchanged(Map<String, String> cached, UserRef user) {
        return "1".equals(cached.get(STORED))
                && Objects.equals(emptyToNull(cached.get("nickname")), emptyToNull(user.nickname()))
                && Objects.equals(emptyToNull(cached.get("avatarUrl")), emptyToNull(user.avatarUrl()));
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
