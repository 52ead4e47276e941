package io.wxim.gateway.userlimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.RedisNames;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * The Lua scripts against a real Redis, with two "gateways" (limiter instances on connections of their own) sharing
 * a user's bucket and connection set.
 */
class UserLimitsIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private LettuceConnectionFactory factoryA;
    private LettuceConnectionFactory factoryB;
    private ReactiveStringRedisTemplate redisA;
    private ReactiveStringRedisTemplate redisB;
    private final String user = "u" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void setUp() {
        factoryA = TestInfra.redisConnectionFactory();
        factoryB = TestInfra.redisConnectionFactory();
        redisA = new ReactiveStringRedisTemplate(factoryA);
        redisB = new ReactiveStringRedisTemplate(factoryB);
    }

    @AfterEach
    void tearDown() {
        factoryA.destroy();
        factoryB.destroy();
    }

    private UserSendLimiter limiter(ReactiveStringRedisTemplate redis, int perSecond, int burst) {
        return new UserSendLimiter(UserSendLimiter.script(redis), new GatewayProperties.UserRate(perSecond, burst), TIMEOUT,
                new SimpleMeterRegistry());
    }

    @Test
    void twoGatewaysShareOneBucket_andTheRefusalSaysWhenTheNextTokenComes() {
        UserSendLimiter a = limiter(redisA, 5, 10);
        UserSendLimiter b = limiter(redisB, 5, 10);
        int allowed = 0;
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            allowed += (i % 2 == 0 ? a : b).tryAcquire(user).block(WAIT).allowed() ? 1 : 0;
        }
        UserSendLimiter.Decision refusedA = a.tryAcquire(user).block(WAIT);
        UserSendLimiter.Decision refusedB = b.tryAcquire(user).block(WAIT);
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;
        // 10 taken at once; at 5/s at most a token or so can have come back while the calls ran
        assertThat(allowed).isEqualTo(10);
        if (elapsedSeconds < 0.15) {
            assertThat(refusedA.allowed()).isFalse();
            assertThat(refusedB.allowed()).isFalse();
            assertThat(refusedB.retryAfterMillis()).isBetween(1L, 200L);
        }
        // another user is not affected
        assertThat(a.tryAcquire(user + "x").block(WAIT).allowed()).isTrue();
        Long ttl = redisA.getExpire(RedisNames.userSendRate(user)).block(WAIT).toMillis();
        assertThat(ttl).isBetween(1L, 3000L); // a full bucket refills in 2 s; the key goes 1 s after that
    }

    @Test
    void refills_atTheConfiguredRate_andNeverAboveTheBurst() throws Exception {
        UserSendLimiter a = limiter(redisA, 20, 5);
        UserSendLimiter b = limiter(redisB, 20, 5);
        long start = System.nanoTime();
        int allowed = 0;
        // hammer for ~1 s from both gateways: at most burst + rate * elapsed (+1 for the token in flight)
        while (System.nanoTime() - start < 1_000_000_000L) {
            allowed += a.tryAcquire(user).block(WAIT).allowed() ? 1 : 0;
            allowed += b.tryAcquire(user).block(WAIT).allowed() ? 1 : 0;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        assertThat(allowed).isLessThanOrEqualTo((int) Math.floor(5 + 20 * elapsed) + 1)
                .isGreaterThanOrEqualTo((int) Math.floor(5 + 20 * 0.8)); // the refill does happen
        // waiting out an idle period refills to the burst, not beyond
        Thread.sleep(600);
        int burst = 0;
        for (int i = 0; i < 10; i++) {
            burst += a.tryAcquire(user).block(WAIT).allowed() ? 1 : 0;
        }
        assertThat(burst).isBetween(5, 6);
    }

    private UserConnectionCap cap(ReactiveStringRedisTemplate redis, int max, AtomicLong clock) {
        return new UserConnectionCap(UserConnectionCap.script(redis), UserConnectionCap.remover(redis),
                new GatewayProperties.UserConnections(max, Duration.ofSeconds(90), Duration.ofSeconds(30)), TIMEOUT,
                clock::get, new SimpleMeterRegistry());
    }

    @Test
    void capsConnectionsAcrossGateways_andAReleaseMakesRoom() {
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        UserConnectionCap a = cap(redisA, 3, now);
        UserConnectionCap b = cap(redisB, 3, now);
        assertThat(a.acquire(user, "a1").block(WAIT)).isTrue();
        assertThat(a.acquire(user, "a2").block(WAIT)).isTrue();
        assertThat(b.acquire(user, "b1").block(WAIT)).isTrue();
        assertThat(b.acquire(user, "b2").block(WAIT)).isFalse();
        assertThat(a.acquire(user, "a3").block(WAIT)).isFalse();
        assertThat(a.acquire(user + "x", "x1").block(WAIT)).isTrue(); // per user
        a.release(user, "a1").block(WAIT);
        assertThat(b.acquire(user, "b2").block(WAIT)).isTrue();
        assertThat(redisA.opsForZSet().size(RedisNames.userConnections(user)).block(WAIT)).isEqualTo(3);
    }

    @Test
    void entriesOfACrashedGatewayLapse_whileHeartbeatsKeepALiveGatewaysCounted() {
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        UserConnectionCap crashed = cap(redisA, 3, now);
        UserConnectionCap alive = cap(redisB, 3, now);
        assertThat(crashed.acquire(user, "dead1").block(WAIT)).isTrue();
        assertThat(crashed.acquire(user, "dead2").block(WAIT)).isTrue();
        assertThat(alive.acquire(user, "live1").block(WAIT)).isTrue();
        assertThat(alive.acquire(user, "live2").block(WAIT)).isFalse();
        now.addAndGet(60_000); // the live gateway keeps beating; the crashed one does not
        alive.refreshAll().block(WAIT);
        now.addAndGet(31_000); // 91 s after the crashed gateway's last word
        assertThat(alive.acquire(user, "live2").block(WAIT)).isTrue();
        assertThat(alive.acquire(user, "live3").block(WAIT)).isTrue();
        assertThat(alive.acquire(user, "live4").block(WAIT)).isFalse(); // live1 still counts: it was refreshed
    }
}
