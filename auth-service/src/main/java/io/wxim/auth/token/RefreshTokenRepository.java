package io.wxim.auth.token;

import io.wxim.auth.config.AuthProperties;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.List;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Refresh token entries: {@code im:auth:refresh:<sha256hex(token)>} -> JSON {@link RefreshSession}, TTL =
 * refreshTtl. Only the hash is a key; the raw token is never stored. Every call is bounded by {@code redisTimeout}.
 */
@Repository
class RefreshTokenRepository {
    /** KEYS: the token, its used marker; ARGV: marker TTL in seconds. Returns the session JSON, or nil. */
    private static final RedisScript<String> TAKE = RedisScript.of("""
            local v = redis.call('GET', KEYS[1])
            if not v then return false end
            redis.call('DEL', KEYS[1])
            redis.call('SET', KEYS[2], v, 'EX', tonumber(ARGV[1]))
            return v""", String.class);

    private final ReactiveStringRedisTemplate redis;
    private final JsonMapper json;
    private final AuthProperties props;

    RefreshTokenRepository(ReactiveStringRedisTemplate redis, JsonMapper json, AuthProperties props) {
        this.redis = redis;
        this.json = json;
        this.props = props;
    }

    Mono<Void> save(String tokenHash, RefreshSession session, Duration ttl) {
        return redis.opsForValue()
                .set(RedisNames.refreshToken(tokenHash), json.writeValueAsString(session), ttl)
                .timeout(props.redisTimeout())
                .flatMap(ok -> ok ? Mono.empty() : Mono.error(new IllegalStateException("refresh token not stored")));
    }

    /** Stores the session's current token and remembers it as the family's current one (to revoke it later). */
    Mono<Void> saveCurrent(String tokenHash, RefreshSession session, Duration ttl) {
        return save(tokenHash, session, ttl)
                .then(redis.opsForValue().set(RedisNames.refreshFamily(session.familyId()), tokenHash, ttl)
                        .timeout(props.redisTimeout()))
                .then();
    }

    /**
     * Takes the current token and remembers it as used in one atomic step: of two concurrent presentations one gets
     * the session and the other finds it used (a reuse), never two plain "unknown" answers.
     */
    Mono<RefreshSession> takeAndMarkUsed(String tokenHash, Duration ttl) {
        return redis.execute(TAKE, List.of(RedisNames.refreshToken(tokenHash), RedisNames.refreshUsed(tokenHash)),
                        List.of(String.valueOf(ttl.toSeconds())))
                .next()
                .timeout(props.redisTimeout())
                .map(value -> json.readValue(value, RefreshSession.class));
    }

    /** The session of a token that was already rotated, or empty. */
    Mono<RefreshSession> findUsed(String tokenHash) {
        return redis.opsForValue().get(RedisNames.refreshUsed(tokenHash))
                .timeout(props.redisTimeout())
                .map(value -> json.readValue(value, RefreshSession.class));
    }

}
