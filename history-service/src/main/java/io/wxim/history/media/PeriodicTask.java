package io.wxim.history.media;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A run every {@code interval} while the application runs: one run at a time (a tick while a run is still going is
 * dropped), and a failed run logs one line and the next one comes anyway. The sweepers' schedule; the one long-lived
 * subscription of each, disposed at stop.
 */
abstract class PeriodicTask implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);

    private final String name;
    private final Duration interval;
    private volatile Disposable task;

    PeriodicTask(String name, Duration interval) {
        this.name = name;
        this.interval = interval;
    }

    /** One run; completes when done. */
    abstract Mono<?> runOnce();

    @Override
    public void start() {
        task = Flux.interval(interval, interval)
                .onBackpressureDrop()
                .concatMap(tick -> Mono.defer(this::runOnce).then().onErrorResume(e -> { // a throw as well
                    log.warn("{} failed, the next run retries: error={}", name, e.toString());
                    return Mono.empty();
                }), 0)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable running = task;
        task = null;
        if (running != null) {
            running.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return task != null;
    }
}
