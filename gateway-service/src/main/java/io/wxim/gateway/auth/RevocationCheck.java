package io.wxim.gateway.auth;

import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.Revocation;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Refuses tokens whose session was revoked (logout, refresh token reuse: {@code im:auth:revoked:sid:<sid>}) or whose
 * user was revoked after the token was issued (ban: {@code im:auth:revoked:user:<user>} = epoch second). One MGET
 * per check. If Redis does not answer, the token passes (it is still signature- and expiry-checked): revocation is
 * defence in depth on short-lived tokens, and a Redis outage must not log every user out.
 */
@Component
public class RevocationCheck {
    private static final Logger log = LoggerFactory.getLogger(RevocationCheck.class);

    private final ReactiveStringRedisTemplate redis;
    private final GatewayProperties props;

    RevocationCheck(ReactiveStringRedisTemplate redis, GatewayProperties props) {
        this.redis = redis;
        this.props = props;
    }

    /** Emits the token if it is not revoked; fails with {@link RevokedTokenException} (a 401 at the handshake) if it is. */
    public Mono<Jwt> check(Jwt jwt) {
        return check(jwt.getSubject(), jwt.getClaimAsString("sid"), jwt.getIssuedAt()).thenReturn(jwt);
    }

    /**
     * The same check from the token's subject, session ({@code sid}, may be null) and issue time (may be null), for a
     * caller that does not keep the whole token (a connection lives for hours).
     */
    public Mono<Void> check(String subject, String sid, java.time.Instant issued) {
        String userKey = RedisNames.revokedUser(subject);
        List<String> keys = sid == null ? List.of(userKey) : List.of(userKey, RedisNames.revokedSession(sid));
        long issuedAt = issued == null ? 0 : issued.getEpochSecond();
        return redis.opsForValue().multiGet(keys)
                .timeout(props.redisTimeout())
                .map(values -> Revocation.revoked(values.size() > 1 ? values.get(1) : null, values.get(0), issuedAt))
                .onErrorResume(e -> {
                    log.warn("revocation check skipped, Redis did not answer: userId={} error={}", subject, e.toString());
                    return Mono.just(false);
                })
                .flatMap(revoked -> revoked ? Mono.error(new RevokedTokenException()) : Mono.<Void>empty());
    }
}
