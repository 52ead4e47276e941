package io.wxim.chat.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/** chat's periodic passes (crowd flush, sweepers), on virtual time. */
class PeriodicTaskTests {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private final VirtualTimeScheduler time = VirtualTimeScheduler.getOrSet();
    private final AtomicInteger runs = new AtomicInteger();

    @AfterEach
    void restore() {
        VirtualTimeScheduler.reset();
    }

    /** A pass that throws instead of returning a failed Mono (a bug) costs that pass, not the schedule. */
    @Test
    void keepsItsSchedule_whenAPassThrowsOrFails() {
        PeriodicTask task = new PeriodicTask("test pass", INTERVAL) {
            @Override
            protected Mono<Void> runOnce() {
                int run = runs.incrementAndGet();
                if (run == 1) {
                    throw new IllegalStateException("a bug");
                }
                return run == 2 ? Mono.error(new IllegalStateException("failed")) : Mono.empty();
            }
        };

        task.start();
        time.advanceTimeBy(INTERVAL.multipliedBy(3));
        task.stop();

        assertThat(runs).hasValue(3);
        assertThat(task.isRunning()).isFalse();
    }
}
