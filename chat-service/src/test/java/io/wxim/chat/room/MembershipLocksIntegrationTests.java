package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.command.CommandDeadline;
import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/** A user's membership lock of a room against a real Redis (ADR-35): one holder at a time, until its deadline. */
@Timeout(30)
class MembershipLocksIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final MembershipLocks locks = new MembershipLocks(redis, ChatProperties.defaults());
    private final String user = "u" + UUID.randomUUID().toString().substring(0, 8);
    private final String room = "r:locked";

    @Test
    void aSecondCommandWaitsUntilTheFirstReleases() throws Exception {
        long deadline = testRedis.redisMillis() + 8_000;
        inCommand(locks.acquire(user, room, "a"), deadline).block(WAIT);

        CompletableFuture<Void> second = inCommand(locks.acquire(user, room, "b"), deadline).toFuture();
        Thread.sleep(300);
        assertThat(second).as("waits while the first holds it").isNotDone();

        locks.release(user, room, "a").block(WAIT);
        second.get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(redis.opsForValue().get(RedisNames.membershipLock(user, room)).block(WAIT)).isEqualTo("b");
    }

    /** A command that never releases (its reply failed) holds the next one up only until its own deadline. */
    @Test
    void aLockLapsesAtItsCommandsDeadline() {
        long now = testRedis.redisMillis();
        inCommand(locks.acquire(user, room, "a"), now + 2_000).block(WAIT);
        Duration pttl = redis.getExpire(RedisNames.membershipLock(user, room)).block(WAIT);
        assertThat(pttl).isNotNull();
        assertThat(pttl.toMillis()).as("lives until the deadline").isBetween(1L, 2_000L);

        inCommand(locks.acquire(user, room, "b"), now + 8_000).block(WAIT);

        assertThat(testRedis.redisMillis()).as("taken once the first's deadline passed").isGreaterThanOrEqualTo(now + 2_000);
        assertThat(redis.opsForValue().get(RedisNames.membershipLock(user, room)).block(WAIT)).isEqualTo("b");
    }

    /** Another token's release leaves the lock alone; the holder asking again (a redelivery) still holds it. */
    @Test
    void onlyItsHolderReleasesTheLock() {
        long deadline = testRedis.redisMillis() + 8_000;
        inCommand(locks.acquire(user, room, "a"), deadline).block(WAIT);

        locks.release(user, room, "b").block(WAIT);
        assertThat(redis.opsForValue().get(RedisNames.membershipLock(user, room)).block(WAIT)).isEqualTo("a");
        inCommand(locks.acquire(user, room, "a"), deadline).block(WAIT);

        locks.release(user, room, "a").block(WAIT);
        assertThat(redis.hasKey(RedisNames.membershipLock(user, room)).block(WAIT)).isFalse();
    }

    /** Asked for once its command's deadline passed (or while another holds it until then): fails as a timeout. */
    @Test
    void askingPastTheDeadline_failsAsATimeout() {
        long now = testRedis.redisMillis();
        Throwable late = catchThrowable(() -> inCommand(locks.acquire(user, room, "a"), now - 1).block(WAIT));
        assertThat(Exceptions.unwrap(late)).isInstanceOf(TimeoutException.class);
        assertThat(redis.hasKey(RedisNames.membershipLock(user, room)).block(WAIT)).isFalse();

        inCommand(locks.acquire(user, room, "a"), now + 8_000).block(WAIT);
        long asked = testRedis.redisMillis();
        Throwable held = catchThrowable(() -> inCommand(locks.acquire(user, room, "b"), asked + 700).block(WAIT));
        assertThat(Exceptions.unwrap(held)).isInstanceOf(TimeoutException.class);
        assertThat(testRedis.redisMillis()).as("waited until its own deadline").isGreaterThanOrEqualTo(asked + 700);
    }

    private static <T> Mono<T> inCommand(Mono<T> work, long deadline) {
        return work.contextWrite(CommandDeadline.of(deadline));
    }
}
