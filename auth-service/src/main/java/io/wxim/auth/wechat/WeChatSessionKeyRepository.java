package io.wxim.auth.wechat;

import java.time.Duration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * The session_key vault in Redis: {@code im:auth:wxsession:<userId>} -> {@link SessionKeyVault sealed} session key,
 * TTL = {@code im.auth.wechat.session-key-ttl}; each login replaces the user's entry. Kept for server-side calls
 * that need it later (decrypting data the user sends, WeChat's checkSessionKey). Never sent to anyone. Every call is
 * bounded by {@code im.auth.redis-timeout}.
 */
class WeChatSessionKeyRepository {
    /** Owned by auth-service alone, so named here rather than in chat-protocol's RedisNames. */
    static final String KEY_PREFIX = "im:auth:wxsession:";

    private final ReactiveStringRedisTemplate redis;
    private final SessionKeyVault vault;
    private final Duration ttl;
    private final Duration redisTimeout;

    WeChatSessionKeyRepository(ReactiveStringRedisTemplate redis, SessionKeyVault vault, Duration ttl,
                               Duration redisTimeout) {
        this.redis = redis;
        this.vault = vault;
        this.ttl = ttl;
        this.redisTimeout = redisTimeout;
    }

    static String key(String userId) {
        return KEY_PREFIX + userId;
    }

    Mono<Void> save(String userId, String sessionKey) {
        return Mono.fromSupplier(() -> vault.seal(userId, sessionKey))
                .flatMap(sealed -> redis.opsForValue().set(key(userId), sealed, ttl))
                .timeout(redisTimeout)
                .flatMap(ok -> ok ? Mono.empty() : Mono.error(new IllegalStateException("session key not stored")));
    }

    /** The user's current session key, or empty when there is none (never logged in, or expired). */
    Mono<String> find(String userId) {
        return redis.opsForValue().get(key(userId))
                .timeout(redisTimeout)
                .map(sealed -> vault.open(userId, sealed));
    }
}
