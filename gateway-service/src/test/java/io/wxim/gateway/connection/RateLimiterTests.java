package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimiterTests {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void allowsTheBurst_thenRejects_untilTokensRefill() {
        RateLimiter limiter = new RateLimiter(10, 3, 0);
        assertThat(limiter.tryAcquire(0)).isTrue();
        assertThat(limiter.tryAcquire(0)).isTrue();
        assertThat(limiter.tryAcquire(0)).isTrue();
        assertThat(limiter.tryAcquire(0)).isFalse();
        assertThat(limiter.tryAcquire(SECOND / 10)).isTrue(); // one token per 100 ms at 10/s
        assertThat(limiter.tryAcquire(SECOND / 10)).isFalse();
    }

    @Test
    void neverStoresMoreThanTheBurst_afterALongPause() {
        RateLimiter limiter = new RateLimiter(10, 2, 0);
        long later = 60 * SECOND;
        assertThat(limiter.tryAcquire(later)).isTrue();
        assertThat(limiter.tryAcquire(later)).isTrue();
        assertThat(limiter.tryAcquire(later)).isFalse();
    }
}
