package io.wxim.gateway.connection;

import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.CloseCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Graceful drain on shutdown (SIGTERM): readiness goes to REFUSING_TRAFFIC at once (the load balancer stops sending
 * new clients), no new upgrade is accepted and no new command is started ({@code unavailable}, retry elsewhere), and
 * the open connections are closed with {@link CloseCode#GOING_AWAY} spread evenly over {@code drainWindow} in random
 * order, each once its in-flight command has been answered (bounded by the command timeout), so clients reconnect to
 * the other gateways gradually and no acknowledged send is cut off. Then it waits (bounded) for the sessions' cleanup.
 * It runs on {@link ContextClosedEvent}, before any lifecycle bean stops, while the Netty event loops still run; it
 * blocks the closing thread, never an event loop. Total: at most drainWindow + command timeout + 5 s.
 */
@Component
class DrainOnShutdown {
    private static final Logger log = LoggerFactory.getLogger(DrainOnShutdown.class);
    private static final Duration FINAL_WAIT = Duration.ofSeconds(5);
    private static final long POLL_MILLIS = 10;

    private final ConnectionRegistry registry;
    private final ApplicationContext context;
    private final Duration window;
    private final Duration commandTimeout;

    DrainOnShutdown(ConnectionRegistry registry, ApplicationContext context, GatewayProperties props) {
        this.registry = registry;
        this.context = context;
        this.window = props.ws().drainWindow();
        this.commandTimeout = props.ws().commandTimeout();
    }

    @EventListener(ContextClosedEvent.class)
    void drain(ContextClosedEvent event) {
        if (event.getApplicationContext() != context) {
            return; // a child context (the management server) closing
        }
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        registry.startDraining();
        List<Connection> open = new ArrayList<>(registry.connections());
        Collections.shuffle(open);
        log.info("draining gateway: connections={} window={}", open.size(), window);
        long start = System.nanoTime();
        for (int i = 0; i < open.size(); i++) {
            long due = start + window.toNanos() * i / open.size();
            if (!sleepUntil(due)) {
                return;
            }
            Connection connection = open.get(i);
            long idleBy = System.nanoTime() + commandTimeout.toNanos();
            while (connection.commandInFlight() && System.nanoTime() < idleBy) {
                if (!sleepUntil(System.nanoTime() + POLL_MILLIS * 1_000_000)) {
                    return;
                }
            }
            connection.close(CloseCode.GOING_AWAY);
        }
        long deadline = System.nanoTime() + FINAL_WAIT.toNanos();
        while (registry.size() > 0 && System.nanoTime() < deadline) {
            if (!sleepUntil(System.nanoTime() + POLL_MILLIS * 2_000_000)) {
                return;
            }
        }
        if (registry.size() > 0) {
            log.warn("drain timed out: connections={}", registry.size());
        }
    }

    /** Sleeps until {@code nanoTime}; false if interrupted. */
    private static boolean sleepUntil(long nanoTime) {
        long left = nanoTime - System.nanoTime();
        if (left <= 0) {
            return true;
        }
        try {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
