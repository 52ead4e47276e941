package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.wxim.history.message.StoreUnavailableException;
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

/** The sweepers' schedule, on virtual time. */
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
    void logsOneLineWithoutAStackTrace_whenARunFails_andRunsAgainAtTheNextTick() {
        PeriodicTask task = task(run -> run == 1
                ? Mono.error(new StoreUnavailableException("mongo call timed out", new TimeoutException()))
                : Mono.empty());

        task.start();
        time.advanceTimeBy(INTERVAL.multipliedBy(2));
        task.stop();

        assertThat(runs).hasValue(2);
        assertThat(logged.list).singleElement().satisfies(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).isEqualTo("test sweep failed, the next run retries: "
                    + "error=io.wxim.history.message.StoreUnavailableException: mongo call timed out");
            assertThat(event.getThrowableProxy()).isNull();
        });
        assertThat(task.isRunning()).isFalse();
    }

    /** A run that throws instead of returning a failed Mono (a bug) costs that run, not the schedule. */
    @Test
    void keepsItsSchedule_whenARunThrows() {
        PeriodicTask task = task(run -> {
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
                .isEqualTo("test sweep failed, the next run retries: error=java.lang.IllegalStateException: a bug"));
    }

    @Test
    void dropsTheTicks_whileARunIsStillGoing() {
        Sinks.Empty<Void> firstRun = Sinks.empty();
        PeriodicTask task = task(run -> run == 1 ? firstRun.asMono() : Mono.empty());

        task.start();
        time.advanceTimeBy(INTERVAL.multipliedBy(3));
        assertThat(runs).as("one run at a time").hasValue(1);
        firstRun.tryEmitEmpty();
        time.advanceTimeBy(INTERVAL);
        task.stop();

        assertThat(runs).hasValue(2);
    }

    private PeriodicTask task(IntFunction<Mono<Void>> run) {
        return new PeriodicTask("test sweep", INTERVAL) {
            @Override
            Mono<Void> runOnce() {
                return run.apply(runs.incrementAndGet());
            }
        };
    }
}
