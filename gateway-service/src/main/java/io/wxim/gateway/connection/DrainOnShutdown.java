package io.wxim.gateway.connection;

import io.wxim.protocol.CloseCode;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * On shutdown, before the web server stops (this lifecycle has the highest phase, so it stops first), every
 * connection is closed with {@link CloseCode#GOING_AWAY} so clients reconnect to another gateway instead of seeing
 * an abnormal closure; then waits (bounded) for the sessions to finish their cleanup.
 * Spreading the closes over a window and readiness-down-first are the deploy issue's work.
 */
@Component
class DrainOnShutdown implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(DrainOnShutdown.class);
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(5);

    private final ConnectionRegistry registry;
    private volatile boolean running;

    DrainOnShutdown(ConnectionRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        int open = registry.closeAll(CloseCode.GOING_AWAY);
        log.info("draining gateway: connections={}", open);
        long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
        while (registry.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20); // shutdown thread, not an event loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (registry.size() > 0) {
            log.warn("drain timed out: connections={}", registry.size());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
