package io.wxim.auth.token;

import io.wxim.auth.config.AuthProperties;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
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

    /** Remembers a rotated token, so presenting it again is recognized as reuse (for as long as it could live). */
    Mono<Void> markUsed(String tokenHash, RefreshSession session, Duration ttl) {
        return redis.opsForValue().set(RedisNames.refreshUsed(tokenHash), json.writeValueAsString(session), ttl)
                .timeout(props.redisTimeout()).then();
    }

    /** The session of a token that was already rotated, or empty. */
    Mono<RefreshSession> findUsed(String tokenHash) {
        return redis.opsForValue().get(RedisNames.refreshUsed(tokenHash))
                .timeout(props.redisTimeout())
                .map(value -> json.readValue(value, RefreshSession.class));
    }

    /** Atomically reads and deletes the entry (GETDEL): of two concurrent takes, only one gets the session. */
    Mono<RefreshSession> take(String tokenHash) {
        return redis.opsForValue()
                .getAndDelete(RedisNames.refreshToken(tokenHash))
                .timeout(props.redisTimeout())
                .map(value -> json.readValue(value, RefreshSession.class));
    }
}
