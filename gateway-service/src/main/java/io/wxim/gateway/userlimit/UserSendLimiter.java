package io.wxim.gateway.userlimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The per-user {@code send} rate shared by all of a user's connections on every gateway: one token bucket per user in
 * Redis ({@code redis/user-send-rate.lua}, one EVALSHA per send, clocked by Redis TIME so gateways agree). If Redis
 * does not answer within the Redis timeout, the send is allowed (fail open, see {@link FailOpen}): the per-connection
 * rate still bounds it, and refusing every send during an outage would be worse than letting a spammer through.
 */
@Component
public class UserSendLimiter {
    /** Whether the send may proceed; if not, the client should wait {@code retryAfterMillis} before retrying it. */
    public record Decision(boolean allowed, long retryAfterMillis) {
        static final Decision ALLOW = new Decision(true, 0);
    }


    private final BiFunction<String, List<String>, Mono<Long>> script;
    private final List<String> args;
    private final Duration timeout;
    private final FailOpen failOpen;
    private final Counter limited;

    @Autowired
    public UserSendLimiter(ReactiveStringRedisTemplate redis, GatewayProperties props, MeterRegistry meters) {
        this(script(redis), props.userRate(), props.redisTimeout(), meters);
    }

    /** Runs the bucket script on this Redis. */
    static BiFunction<String, List<String>, Mono<Long>> script(ReactiveStringRedisTemplate redis) {
        return (key, args) -> redis.execute(LuaScripts.USER_SEND_RATE, List.of(key), args).next();
    }

    /** @param script runs the bucket script for a key with the given arguments, emitting its answer */
    UserSendLimiter(BiFunction<String, List<String>, Mono<Long>> script, GatewayProperties.UserRate rate, Duration timeout,
                    MeterRegistry meters) {
        this.script = script;
        this.args = List.of(Integer.toString(rate.perSecond()), Integer.toString(rate.burst()));
        this.timeout = timeout;
        this.failOpen = new FailOpen("user_send_rate", meters);
        this.limited = meters.counter("im.gateway.user_rate_limited");
    }

    /** Takes one send of this user from the shared bucket. Never fails: an unanswered Redis call allows the send. */
    public Mono<Decision> tryAcquire(String userId) {
        return Mono.defer(() -> script.apply(RedisNames.userSendRate(userId), args))
                .timeout(timeout)
                .map(wait -> {
                    failOpen.answered();
                    if (wait <= 0) {
                        return Decision.ALLOW;
                    }
                    limited.increment();
                    return new Decision(false, wait);
                })
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("no answer from the rate script")))
                .onErrorResume(e -> {
                    failOpen.failed(e);
                    return Mono.just(Decision.ALLOW);
                });
    }
}
