package io.wxim.gateway.connection;

import io.wxim.protocol.CloseCode;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * On shutdown every connection is closed with {@link CloseCode#GOING_AWAY} so clients reconnect to another gateway
 * instead of seeing an abnormal closure; then waits (bounded) for the sessions to finish their cleanup. It runs on
 * {@link ContextClosedEvent}, i.e. before any lifecycle bean stops: the Netty event loops (shared via Reactor's
 * resource factory, itself a lifecycle bean) are still alive. Spreading the closes over a window and taking
 * readiness down first belong to the deploy issue.
 */
@Component
class DrainOnShutdown {
    private static final Logger log = LoggerFactory.getLogger(DrainOnShutdown.class);
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(5);

    private final ConnectionRegistry registry;

    DrainOnShutdown(ConnectionRegistry registry) {
        this.registry = registry;
    }

    @EventListener(ContextClosedEvent.class)
    void drain() {
        int open = registry.closeAll(CloseCode.GOING_AWAY);
        log.info("draining gateway: connections={}", open);
        long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
        while (registry.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20); // the closing thread, not an event loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (registry.size() > 0) {
            log.warn("drain timed out: connections={}", registry.size());
        }
    }
}
