package io.wxim.chat.room;

import io.wxim.chat.command.CommandDeadline;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.RedisScripts;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * One join or leave at a time per user and room (ADR-35): a command takes the lock before its MongoDB write and
 * releases it once its reply was sent if its work ended by itself ({@code CommandDispatcher}), so a join and a leave of the same room from two devices of one user run one
 * after the other, and Redis (the online set, the gateways' subscriptions) ends as MongoDB does. The lock lapses at its
 * command's deadline ({@link CommandDeadline}), after which a step of that command changes nothing (ADR-34), so a
 * command that failed midway holds up the next one at most until then; the next one asks again with a backoff until
 * its own deadline, then answers {@code unavailable} (the client retries).
 */
@Component
public class MembershipLocks {
    private static final RedisScript<Long> LOCK = RedisScripts.load("redis/membership_lock.lua", Long.class,
            "redis/lib/announce.lua");
    private static final RedisScript<Long> UNLOCK = RedisScripts.load("redis/membership_unlock.lua", Long.class);
    /** The first wait before asking again; doubled each time up to {@link #MAX_WAIT}. */
    static final Duration FIRST_WAIT = Duration.ofMillis(10);
    static final Duration MAX_WAIT = Duration.ofMillis(200);

    private final ReactiveStringRedisTemplate redis;
    private final Duration timeout;
    /** The lock's lifetime for a caller outside a command (no deadline in its context): a command's deadline. */
    private final String lifetime;

    public MembershipLocks(ReactiveStringRedisTemplate redis, ChatProperties props) {
        this.redis = redis;
        this.timeout = props.redisTimeout();
        this.lifetime = String.valueOf(props.commandDeadline().toMillis());
    }

    /**
     * Completes once {@code token} holds {@code userId}'s lock of {@code conv}, waiting while another command holds it;
     * fails as a timeout once the running command's deadline passed.
     */
    public Mono<Void> acquire(String userId, String conv, String token) {
        List<String> key = List.of(RedisNames.membershipLock(userId, conv));
        return Mono.deferContextual(context -> attempt(key, List.of(token, CommandDeadline.argument(context), lifetime),
                FIRST_WAIT));
    }

    private Mono<Void> attempt(List<String> key, List<String> args, Duration wait) {
        return redis.execute(LOCK, key, args).next().timeout(timeout)
                .onErrorMap(CommandDeadline::asTimeout)
                .flatMap(taken -> taken == 1L ? Mono.<Void>empty()
                        : Mono.delay(wait).then(Mono.defer(() -> attempt(key, args, min(wait.multipliedBy(2), MAX_WAIT)))));
    }

    /** Releases the lock if {@code token} still holds it (one that lapsed and was taken by another is left alone). */
    public Mono<Void> release(String userId, String conv, String token) {
        return redis.execute(UNLOCK, List.of(RedisNames.membershipLock(userId, conv)), List.of(token)).next()
                .timeout(timeout).then();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
