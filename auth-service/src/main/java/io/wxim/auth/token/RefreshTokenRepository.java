package io.wxim.auth.token;

import io.wxim.auth.config.AuthProperties;
import io.wxim.protocol.RedisNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refresh token entries: {@code im:auth:refresh:<sha256hex(token)>} -> JSON {@link RefreshSession}, TTL =
 * refreshTtl; the used markers of rotated tokens, and for the retry grace the successor of each rotated token. Only
 * hashes are keys; the raw token is never stored. Every call is bounded by {@code redisTimeout}.
 */
@Repository
class RefreshTokenRepository {
    // read once when the class loads: a resource-backed script would read its file on an event loop
    private static final RedisScript<String> TAKE = load("redis/refresh_take.lua", String.class);
    private static final RedisScript<String> RETRY = load("redis/refresh_retry.lua", String.class);
    private static final RedisScript<Long> SAVE = load("redis/refresh_save.lua", Long.class);
    private static final String WAIT = "wait";
    private static final Duration TAKE_OVER_AGE = Duration.ofSeconds(10);

    private final ReactiveStringRedisTemplate redis;
    private final JsonMapper json;
    private final AuthProperties props;

    RefreshTokenRepository(ReactiveStringRedisTemplate redis, JsonMapper json, AuthProperties props) {
        this.redis = redis;
        this.json = json;
        this.props = props;
    }

    /**
     * Stores the session's current token and remembers it as the family's current one (to revoke it later). False
     * (nothing stored) if a retry within the grace took the token over already ({@link #takeSuccessor}).
     */
    Mono<Boolean> saveCurrent(String tokenHash, RefreshSession session, Duration ttl) {
        return redis.execute(SAVE, List.of(RedisNames.refreshToken(tokenHash), RedisNames.refreshUsed(tokenHash),
                                RedisNames.refreshFamily(session.familyId())),
                        List.of(json.writeValueAsString(session), String.valueOf(ttl.toMillis()), tokenHash))
                .next()
                .timeout(props.redisTimeout())
                .map(stored -> stored == 1L);
    }

    /**
     * Takes the current token and remembers it as used in one atomic step: of two concurrent presentations one gets
     * the session and the other finds it used (a reuse), never two plain "unknown" answers. With a positive grace it
     * also records {@code successorHash}, the token this rotation issues, for that long ({@link #takeSuccessor}).
     */
    Mono<RefreshSession> takeAndMarkUsed(String tokenHash, String successorHash, Duration usedTtl, Duration grace) {
        return redis.execute(TAKE, List.of(RedisNames.refreshToken(tokenHash), RedisNames.refreshUsed(tokenHash),
                                RedisNames.refreshNext(tokenHash)),
                        List.of(String.valueOf(usedTtl.toSeconds()), successorHash, String.valueOf(grace.toMillis())))
                .next()
                .timeout(props.redisTimeout())
                .map(value -> json.readValue(value, RefreshSession.class));
    }

    /**
     * A rotated token presented again within the grace: takes the successor its rotation issued (marking it used, so
     * that it is a reuse if it ever shows up) and records {@code newSuccessorHash} in its place, keeping the grace's
     * end. Empty, changing nothing, if the grace is over or the successor is used already (rotated further, or taken
     * by another retry): a reuse. A successor that was never stored (its rotation was cut off after the take) is
     * taken too, with the rotated token's session, and can then no longer be stored, once the rotation is
     * {@link #takeOverAge} old; before, {@link RefreshInProgressException} (503: ask again a little later).
     */
    Mono<RefreshSession> takeSuccessor(String tokenHash, String newSuccessorHash, Duration usedTtl, Duration grace) {
        String next = RedisNames.refreshNext(tokenHash);
        return redis.opsForValue().get(next)
                .timeout(props.redisTimeout())
                .flatMap(successorHash -> redis.execute(RETRY,
                                List.of(next, RedisNames.refreshToken(successorHash),
                                        RedisNames.refreshUsed(successorHash), RedisNames.refreshUsed(tokenHash)),
                                List.of(successorHash, newSuccessorHash, String.valueOf(usedTtl.toSeconds()),
                                        String.valueOf(grace.toMillis()), String.valueOf(takeOverAge(grace).toMillis())))
                        .next()
                        .timeout(props.redisTimeout()))
                .flatMap(value -> WAIT.equals(value) ? Mono.error(new RefreshInProgressException())
                        : Mono.just(json.readValue(value, RefreshSession.class)));
    }

    /**
     * How old a rotation whose successor was never stored must be before a retry takes it over: the gateway's proxy
     * timeout (10 s), by when a rotation that was merely slow has stored it, or half the grace if that is shorter.
     */
    static Duration takeOverAge(Duration grace) {
        Duration half = grace.dividedBy(2);
        return half.compareTo(TAKE_OVER_AGE) < 0 ? half : TAKE_OVER_AGE;
    }

    /** The session of a token that was already rotated, or empty. */
    Mono<RefreshSession> findUsed(String tokenHash) {
        return redis.opsForValue().get(RedisNames.refreshUsed(tokenHash))
                .timeout(props.redisTimeout())
                .map(value -> json.readValue(value, RefreshSession.class));
    }

    private static <T> RedisScript<T> load(String path, Class<T> resultType) {
        try {
            return RedisScript.of(new ClassPathResource(path).getContentAsString(StandardCharsets.UTF_8), resultType);
        } catch (IOException e) {
            throw new UncheckedIOException("missing Redis script " + path, e);
        }
    }
}
