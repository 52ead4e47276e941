package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BoundedShutdownTests {

    @Test
    void runsTheRestAfterTheServicesStopped() {
        List<String> steps = new CopyOnWriteArrayList<>();

        boolean inTime = BoundedShutdown.run(() -> steps.add("services"), Duration.ofSeconds(5), () -> steps.add("stores"));

        assertThat(inTime).isTrue();
        assertThat(steps).containsExactly("services", "stores");
    }

    @Test
    void runsTheRestWhenTheServicesDoNotStopInTime() {
        CountDownLatch never = new CountDownLatch(1);
        List<String> steps = new CopyOnWriteArrayList<>();
        long started = System.nanoTime();

        try {
            boolean inTime = BoundedShutdown.run(() -> {
                try {
                    never.await(); // a stop that never returns
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, Duration.ofMillis(300), () -> steps.add("stores"));

            assertThat(inTime).isFalse();
            assertThat(steps).containsExactly("stores");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        } finally {
            never.countDown();
        }
    }

    @Test
    void runsTheRestWhenTheServicesFailToStop() {
        List<String> steps = new CopyOnWriteArrayList<>();

        boolean inTime = BoundedShutdown.run(() -> {
            throw new IllegalStateException("a context failed to close");
        }, Duration.ofSeconds(5), () -> steps.add("stores"));

        assertThat(inTime).isFalse();
        assertThat(steps).containsExactly("stores");
    }
}
