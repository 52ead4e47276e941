package io.wxim.auth.token;

import io.wxim.auth.config.AuthProperties;
import io.wxim.protocol.RedisNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refresh token entries: {@code im:auth:refresh:<sha256hex(token)>} -> JSON {@link RefreshSession}, TTL =
 * refreshTtl; the used markers of rotated tokens, and for the retry grace the successor of each rotated token with its
 * rotation's time ({@code im:auth:refresh-succ:<hash>} -> {@code <successor hash>|<ms since the epoch>}). Only
 * hashes are keys; the raw token is never stored. Every call is bounded by {@code redisTimeout}.
 */
@Repository
class RefreshTokenRepository {
    // read once when the class loads: a resource-backed script would read its file on an event loop
    private static final RedisScript<String> TAKE = load("redis/refresh_take.lua", String.class);
    private static final RedisScript<String> RETRY = load("redis/refresh_retry.lua", String.class);
    private static final RedisScript<Long> SAVE = load("redis/refresh_save.lua", Long.class);
    private static final String WAIT = "wait";
    private static final char RECORD_SEPARATOR = '|';
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
     * Stores the session's current token and remembers it as the family's current one (to revoke it later). For a
     * refresh ({@code presentedHash}, the token it rotated; null for a login) false, nothing stored, once that
     * rotation is {@link #takeOverAge} old, measured by Redis in the same step: from then on a retry may take the
     * token over ({@link #takeSuccessor}), so the two never both happen, however slow the rotation was. False too if a
     * retry took it over already.
     */
    Mono<Boolean> saveCurrent(String tokenHash, RefreshSession session, Duration ttl, String presentedHash,
                              Duration grace) {
        List<String> keys = new ArrayList<>(List.of(RedisNames.refreshToken(tokenHash),
                RedisNames.refreshUsed(tokenHash), RedisNames.refreshFamily(session.familyId())));
        if (presentedHash != null && !grace.isZero()) { // no grace: no record, nothing can take the token over
            keys.add(RedisNames.refreshNext(presentedHash));
        }
        return redis.execute(SAVE, keys, List.of(json.writeValueAsString(session), String.valueOf(ttl.toMillis()),
                        tokenHash, String.valueOf(takeOverAge(grace).toMillis())))
                .next()
                .timeout(props.redisTimeout())
                .map(stored -> stored == 1L);
    }

    /**
     * Takes the current token and remembers it as used in one atomic step: of two concurrent presentations one gets
     * the session and the other finds it used (a reuse), never two plain "unknown" answers. With a positive grace it
     * also records {@code successorHash}, the token this rotation issues, and the time of this take (Redis's clock),
     * for that long ({@link #takeSuccessor}, {@link #saveCurrent}).
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
     * that it is a reuse if it ever shows up) and records {@code newSuccessorHash} in its place with the time of this
     * take (for its own store, {@link #saveCurrent}), keeping the grace's end. Empty, changing nothing, if the grace is
     * over or the successor is used already (rotated further, or taken by another retry): a reuse. A successor that
     * was never stored (its rotation was cut off after the take, or is slow) is taken too, with the rotated token's
     * session, once that rotation is {@link #takeOverAge} old, from when its store is refused; before,
     * {@link RefreshInProgressException} (503: ask again a little later).
     */
    Mono<RefreshSession> takeSuccessor(String tokenHash, String newSuccessorHash, Duration usedTtl, Duration grace) {
        String next = RedisNames.refreshNext(tokenHash);
        return redis.opsForValue().get(next)
                .timeout(props.redisTimeout())
                .flatMap(record -> {
                    int sep = record.indexOf(RECORD_SEPARATOR); // '<successor hash>|<its rotation's time>'
                    if (sep < 0) {
                        return Mono.empty(); // not a record this version writes: as if there were none (a reuse)
                    }
                    String successorHash = record.substring(0, sep);
                    return redis.execute(RETRY,
                                    List.of(next, RedisNames.refreshToken(successorHash),
                                            RedisNames.refreshUsed(successorHash), RedisNames.refreshUsed(tokenHash)),
                                    List.of(record, newSuccessorHash, String.valueOf(usedTtl.toSeconds()),
                                            String.valueOf(grace.toMillis()),
                                            String.valueOf(takeOverAge(grace).toMillis())))
                            .next()
                            .timeout(props.redisTimeout());
                })
                .flatMap(value -> WAIT.equals(value) ? Mono.error(new RefreshInProgressException())
                        : Mono.just(json.readValue(value, RefreshSession.class)));
    }

    /**
     * How old a rotation whose successor was never stored must be before a retry takes it over, and from when its
     * store is refused: the gateway's proxy timeout (10 s), by when a rotation that was merely slow has stored it (its
     * look-ups are bounded by their own timeouts, 3 s), or half the grace if that is shorter.
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
