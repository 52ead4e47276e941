package io.wxim.gateway.secure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HandshakeLimiterTests {
    private final AtomicLong now = new AtomicLong(1_000);
    private final HandshakeLimiter limiter = new HandshakeLimiter(3, 5, 100, now::get);

    @Test
    void limitsEachUserPerWindow_independentlyOfOtherUsers() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("u1", "10.0.0.1")).isTrue();
        }
        assertThat(limiter.tryAcquire("u1", "10.0.0.2")).isFalse();
        assertThat(limiter.tryAcquire("u2", "10.0.0.2")).isTrue();
    }

    @Test
    void limitsEachAddressPerWindow_acrossUsers() {
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryAcquire("user" + i, "10.0.0.9")).isTrue();
        }
        assertThat(limiter.tryAcquire("another", "10.0.0.9")).isFalse();
        assertThat(limiter.tryAcquire("another", "10.0.0.10")).isTrue();
    }

    @Test
    void aUserOverItsLimit_neitherCountsNorTracksNewAddresses() {
        HandshakeLimiter small = new HandshakeLimiter(1, 10, 4, now::get);
        assertThat(small.tryAcquire("u1", "a1")).isTrue(); // keys u1, a1
        for (int i = 2; i < 10; i++) {
            assertThat(small.tryAcquire("u1", "a" + i)).isFalse(); // refused by the user limit: a2.. never tracked
        }
        assertThat(small.tryAcquire("u2", "a2")).isTrue(); // so the table still has room for others (4 keys now)
    }

    @Test
    void startsAFreshWindowAfterAMinute() {
        for (int i = 0; i < 3; i++) {
            limiter.tryAcquire("u1", "10.0.0.1");
        }
        assertThat(limiter.tryAcquire("u1", "10.0.0.1")).isFalse();
        now.addAndGet(HandshakeLimiter.WINDOW_NANOS - 1);
        assertThat(limiter.tryAcquire("u1", "10.0.0.1")).isFalse();
        now.addAndGet(1);
        assertThat(limiter.tryAcquire("u1", "10.0.0.1")).isTrue();
    }

    @Test
    void refusesNewKeysOnceTheTableIsFull_untilTheWindowEnds() {
        HandshakeLimiter small = new HandshakeLimiter(10, 10, 4, now::get);
        assertThat(small.tryAcquire("u1", "a1")).isTrue();
        assertThat(small.tryAcquire("u2", "a2")).isTrue(); // 4 keys now
        assertThat(small.tryAcquire("u3", "a3")).isFalse();
        assertThat(small.tryAcquire("u1", "a1")).isTrue(); // known ones still count normally
        now.addAndGet(HandshakeLimiter.WINDOW_NANOS);
        assertThat(small.tryAcquire("u3", "a3")).isTrue();
    }
}
