package io.wxim.chat.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** gRPC's retry throttling: retries stop once more than half the tokens are spent by failures, and come back. */
class RetryThrottleTests {

    @Test
    void retriesStopAfterAFailureStreak_andComeBackWithSuccesses() {
        RetryThrottle throttle = new RetryThrottle(10, 0.1);
        for (int i = 0; i < 4; i++) {
            throttle.failed();
        }
        assertThat(throttle.retryAllowed()).isTrue(); // 6 of 10 left: more than half
        throttle.failed();
        assertThat(throttle.retryAllowed()).isFalse(); // 5 left: not more than half

        for (int i = 0; i < 100; i++) {
            throttle.failed(); // never below 0
        }
        assertThat(throttle.tokens()).isZero();
        for (int i = 0; i < 50; i++) {
            throttle.succeeded();
        }
        assertThat(throttle.retryAllowed()).isFalse(); // 5.0: not yet
        throttle.succeeded();
        assertThat(throttle.retryAllowed()).isTrue(); // 5.1
        for (int i = 0; i < 1000; i++) {
            throttle.succeeded(); // never above the maximum
        }
        assertThat(throttle.tokens()).isEqualTo(10.0);
    }

    @Test
    void occasionalFailuresAmongSuccessesKeepRetrying() {
        RetryThrottle throttle = new RetryThrottle(10, 0.1);
        for (int i = 0; i < 1000; i++) {
            if (i % 20 == 0) {
                throttle.failed(); // 5 % of calls fail: each failure costs what ten successes return
            } else {
                throttle.succeeded();
            }
            assertThat(throttle.retryAllowed()).isTrue();
        }
    }

    @Test
    void refusesSettingsThatCannotWork() {
        assertThatThrownBy(() -> new RetryThrottle(0, 0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryThrottle(10, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
