package io.wxim.gateway.userlimit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.RedisNames;
import io.wxim.support.PeriodicTask;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The cap on one user's connections across every gateway. Each admitted connection is an entry of the user's sorted
 * set in Redis ({@code redis/user-connection.lua}) that lapses after {@code entryTtl} unless this gateway refreshes
 * it; the heartbeat refreshes the entries of every connection this gateway admitted, so the entries of a crashed
 * gateway stop counting within {@code entryTtl}. One Redis call per connection opened, one per connection closed,
 * and one per connection and heartbeat. If Redis does not answer, the connection is admitted (fail open) and is
 * counted again by the next heartbeat that gets through.
 */
@Component
public class UserConnectionCap extends PeriodicTask {
    private static final Logger log = LoggerFactory.getLogger(UserConnectionCap.class);
    /** Refresh calls in flight at once during a heartbeat (Lettuce pipelines them on its one connection). */
    private static final int HEARTBEAT_CONCURRENCY = 64;

    private final BiFunction<String, List<String>, Mono<Long>> script;
    private final BiFunction<String, String, Mono<Long>> remove;
    private final GatewayProperties.UserConnections props;
    private final Duration timeout;
    private final LongSupplier clock;
    private final FailOpen failOpen;
    private final Counter refused;
    /** connId -> userId of the connections this gateway admitted and has not released: what the heartbeat refreshes. */
    private final Map<String, String> admitted = new ConcurrentHashMap<>();

    @Autowired
    public UserConnectionCap(ReactiveStringRedisTemplate redis, GatewayProperties props, MeterRegistry meters) {
        this(script(redis), remover(redis), props.userConnections(), props.redisTimeout(), System::currentTimeMillis, meters);
    }

    /** Runs the counting script on this Redis. */
    static BiFunction<String, List<String>, Mono<Long>> script(ReactiveStringRedisTemplate redis) {
        return (key, args) -> redis.execute(LuaScripts.USER_CONNECTION, List.of(key), args).next();
    }

    /** Removes one connection's entry on this Redis. */
    static BiFunction<String, String, Mono<Long>> remover(ReactiveStringRedisTemplate redis) {
        return (key, connId) -> redis.opsForZSet().remove(key, connId);
    }

    UserConnectionCap(BiFunction<String, List<String>, Mono<Long>> script, BiFunction<String, String, Mono<Long>> remove,
                      GatewayProperties.UserConnections props, Duration timeout, LongSupplier clock, MeterRegistry meters) {
        super("connection heartbeat", props.heartbeat(), props.heartbeat());
        this.script = script;
        this.remove = remove;
        this.props = props;
        this.timeout = timeout;
        this.clock = clock;
        this.failOpen = new FailOpen("user_connections", meters);
        this.refused = meters.counter("im.gateway.user_connections.refused");
        meters.gauge("im.gateway.user_connections.admitted", admitted, Map::size);
    }

    /** Counts the connection; false if the user already holds the cap. Never fails (fail open). */
    public Mono<Boolean> acquire(String userId, String connId) {
        return call(userId, connId, props.max())
                .map(counted -> {
                    failOpen.answered();
                    if (counted == 1L) {
                        admitted.put(connId, userId);
                        return true;
                    }
                    refused.increment();
                    return false;
                })
                .onErrorResume(e -> {
                    failOpen.failed(e);
                    admitted.put(connId, userId); // counted by the next heartbeat that reaches Redis
                    return Mono.just(true);
                });
    }

    /** Stops counting the connection. Never fails: an entry that could not be removed lapses after {@code entryTtl}. */
    public Mono<Void> release(String userId, String connId) {
        if (admitted.remove(connId) == null) {
            return Mono.empty();
        }
        return Mono.defer(() -> remove.apply(RedisNames.userConnections(userId), connId))
                .timeout(timeout)
                .then()
                .onErrorResume(e -> {
                    log.warn("connection not uncounted, it lapses by itself: userId={} connId={} error={}", userId, connId, e.toString());
                    return Mono.empty();
                });
    }

    /** Refreshes the entry of every connection admitted here (re-adding any Redis lost); completes when all answered. */
    Mono<Void> refreshAll() {
        return Flux.fromIterable(List.copyOf(admitted.entrySet()))
                .flatMap(e -> call(e.getValue(), e.getKey(), 0)
                        .doOnNext(ok -> failOpen.answered())
                        .onErrorResume(error -> {
                            failOpen.failed(error);
                            return Mono.empty();
                        }), HEARTBEAT_CONCURRENCY)
                .then();
    }

    int admittedCount() {
        return admitted.size();
    }

    private Mono<Long> call(String userId, String connId, int max) {
        return Mono.defer(() -> script.apply(RedisNames.userConnections(userId), List.of(connId,
                        Long.toString(clock.getAsLong()), Long.toString(props.entryTtl().toMillis()), Integer.toString(max))))
                .timeout(timeout)
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("no answer from the connection script")));
    }

    /** The heartbeat: refreshes every admitted connection's entry; a failed call is logged by {@link FailOpen}. */
    @Override
    protected Mono<Void> runOnce() {
        return refreshAll();
    }
}
