package io.wxim.support;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The services' periodic passes, on virtual time. */
class PeriodicTaskTests {
    private static final Duration INTERVAL = Duration.ofMinutes(10);

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger taskLog = (Logger) LoggerFactory.getLogger(PeriodicTask.class);
    private final AtomicInteger runs = new AtomicInteger();
    private VirtualTimeScheduler time;

    @BeforeEach
    void captureLogsOnVirtualTime() {
        time = VirtualTimeScheduler.getOrSet();
        logged.start();
        taskLog.addAppender(logged);
    }

    @AfterEach
    void restore() {
        taskLog.detachAppender(logged);
        VirtualTimeScheduler.reset();
    }

    @Test
    void logsOneLineWithoutAStackTrace_whenAPassFails_andRunsAgainAtTheNextTick() {
        PeriodicTask task = task(INTERVAL, run -> run == 1
                ? Mono.error(new IllegalStateException("store call timed out", new TimeoutException()))
                : Mono.empty());

        task.start();
        time.advanceTimeBy(INTERVAL.multipliedBy(2));
        task.stop();

        assertThat(runs).hasValue(2);
        assertThat(logged.list).singleElement().satisfies(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).isEqualTo("test pass failed, the next run retries: "
                    + "error=java.lang.IllegalStateException: store call timed out");
            assertThat(event.getThrowableProxy()).isNull();
        });
        assertThat(task.isRunning()).isFalse();
    }

    /** A pass that throws instead of returning a failed Mono (a bug) costs that pass, not the schedule. */
    @Test
    void keepsItsSchedule_whenAPassThrows() {
        PeriodicTask task = task(INTERVAL, run -> {
            if (run == 1) {
                throw new IllegalStateException("a bug");
            }
            return Mono.empty();
        });

        task.start();
        time.advanceTimeBy(INTERVAL.multipliedBy(2));
        task.stop();

        assertThat(runs).hasValue(2);
        assertThat(logged.list).singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                .isEqualTo("test pass failed, the next run retries: error=java.lang.IllegalStateException: a bug"));
    }

    @Test
    void dropsTheTicks_whileAPassIsStillGoing() {
        Sinks.Empty<Void> firstRun = Sinks.empty();
        PeriodicTask task = task(INTERVAL, run -> run == 1 ? firstRun.asMono() : Mono.empty());

        task.start();
        time.advanceTimeBy(INTERVAL.multipliedBy(3));
        assertThat(runs).as("one pass at a time").hasValue(1);
        firstRun.tryEmitEmpty();
        assertThat(runs).as("the ticks meanwhile were dropped, not queued").hasValue(1);
        time.advanceTimeBy(INTERVAL);
        task.stop();

        assertThat(runs).hasValue(2);
    }

    @Test
    void runsTheFirstPassAfterItsInitialDelay() {
        PeriodicTask task = new PeriodicTask("test pass", Duration.ofSeconds(1), INTERVAL) {
            @Override
            protected Mono<Void> runOnce() {
                runs.incrementAndGet();
                return Mono.empty();
            }
        };

        task.start();
        time.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(runs).hasValue(1);
        time.advanceTimeBy(INTERVAL);
        task.stop();

        assertThat(runs).hasValue(2);
    }

    private PeriodicTask task(Duration interval, IntFunction<Mono<Void>> run) {
        return new PeriodicTask("test pass", interval) {
            @Override
            protected Mono<Void> runOnce() {
                return run.apply(runs.incrementAndGet());
            }
        };
    }
}
