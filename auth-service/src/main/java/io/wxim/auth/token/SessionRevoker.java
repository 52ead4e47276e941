package io.wxim.auth.token;

import io.wxim.auth.config.AuthProperties;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.Revocation;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Ends sessions early. A session is one refresh token family ({@code sid} in access tokens). Revoking it deletes
 * its current refresh token and leaves a marker for as long as an access token of it can live, which gateways check
 * at every handshake; a {@link Revocation} on {@link RedisNames#REVOCATIONS} makes every gateway close the session's
 * open connections at once. Revoking a user (ban) does the same for every session of the user.
 */
@Component
public class SessionRevoker {
    private static final Logger log = LoggerFactory.getLogger(SessionRevoker.class);

    private static final Duration BAN_MARGIN = Duration.ofSeconds(5);

    private final ReactiveStringRedisTemplate redis;
    private final JsonMapper json;
    private final AuthProperties props;
    private final Clock clock;

    SessionRevoker(ReactiveStringRedisTemplate redis, JsonMapper json, AuthProperties props, Clock clock) {
        this.redis = redis;
        this.json = json;
        this.props = props;
        this.clock = clock;
    }

    /** Revokes one session of the user: its refresh token stops working and its connections are closed. */
    public Mono<Void> revokeSession(String userId, String sessionId, String reason) {
        String family = RedisNames.refreshFamily(sessionId);
        // the tombstone first: whatever fails after it, no refresh succeeds in this session again, also one that
        // is rotating right now (it checks the tombstone after taking its token)
        return redis.opsForValue().set(RedisNames.revokedFamily(sessionId), userId, props.token().refreshTtl())
                .then(redis.opsForValue().getAndDelete(family))
                .flatMap(tokenHash -> redis.delete(RedisNames.refreshToken(tokenHash)))
                .then(redis.opsForValue().set(RedisNames.revokedSession(sessionId), userId, markerTtl()))
                .then(publish(new Revocation(userId, sessionId)))
                .timeout(props.redisTimeout().multipliedBy(3))
                .doOnSuccess(v -> log.info("session revoked: userId={} reason={}", userId, reason));
    }

    /**
     * Revokes every access token the user holds now (those issued up to this second) and closes every connection.
     * Refresh tokens are refused separately (the ban is checked at refresh).
     */
    public Mono<Void> revokeUser(String userId, String reason) {
        // a few seconds ahead: a login or refresh that passed the ban check just before the ban was stored (on any
        // instance, with some clock skew) still signs a token at or before this second
        long until = clock.instant().plus(BAN_MARGIN).getEpochSecond();
        return redis.opsForValue().set(RedisNames.revokedUser(userId), String.valueOf(until), props.token().refreshTtl())
                .then(publish(new Revocation(userId, null)))
                .timeout(props.redisTimeout().multipliedBy(2))
                .doOnSuccess(v -> log.info("user sessions revoked: userId={} reason={}", userId, reason));
    }

    /** True if the refresh session may not rotate any more: revoked, or issued before its user's ban. */
    public Mono<Boolean> isRefreshRevoked(String userId, String sessionId, long issuedAtSecond) {
        return revoked(RedisNames.revokedFamily(sessionId), userId, issuedAtSecond);
    }

    /** True if the access token (user, session, issued-at second) was revoked by a logout, a reuse or a ban. */
    public Mono<Boolean> isRevoked(String userId, String sessionId, long issuedAtSecond) {
        return revoked(RedisNames.revokedSession(sessionId), userId, issuedAtSecond);
    }

    private Mono<Boolean> revoked(String sessionKey, String userId, long issuedAtSecond) {
        return redis.opsForValue().multiGet(java.util.List.of(sessionKey, RedisNames.revokedUser(userId)))
                .timeout(props.redisTimeout())
                .map(values -> Revocation.revoked(values.get(0), values.get(1), issuedAtSecond));
    }

    /** As long as the longest-lived access token, plus clock skew. */
    private Duration markerTtl() {
        return props.token().accessTtl().plusMinutes(1);
    }

    private Mono<Void> publish(Revocation revocation) {
        return redis.convertAndSend(RedisNames.REVOCATIONS, json.writeValueAsString(revocation)).then();
    }
}
