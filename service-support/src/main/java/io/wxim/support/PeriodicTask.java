package io.wxim.support;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A pass that runs every {@code interval} (the first after {@code initialDelay}) while the application runs: one pass
 * at a time (a tick while a pass is still going is dropped), and a failed pass, or one that throws (a bug), logs one
 * line without a stack trace and the next one comes anyway. The services' sweeps, flushes and refreshes; the one
 * long-lived subscription of each, disposed at stop.
 */
public abstract class PeriodicTask implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);

    private final String name;
    private final Duration initialDelay;
    private final Duration interval;
    private volatile Disposable running;

    /** A pass every {@code interval}, the first one interval after the start. */
    protected PeriodicTask(String name, Duration interval) {
        this(name, interval, interval);
    }

    protected PeriodicTask(String name, Duration initialDelay, Duration interval) {
        this.name = name;
        this.initialDelay = initialDelay;
        this.interval = interval;
    }

    /** One pass; completes when done. */
    protected abstract Mono<?> runOnce();

    @Override
    public void start() {
        running = Flux.interval(initialDelay, interval)
                .onBackpressureDrop()
                .concatMap(tick -> Mono.defer(this::runOnce).then().onErrorResume(e -> {
                    log.warn("{} failed, the next run retries: error={}", name, e.toString());
                    return Mono.empty();
                }), 0)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable current = running;
        running = null;
        if (current != null) {
            current.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return running != null;
    }
}
