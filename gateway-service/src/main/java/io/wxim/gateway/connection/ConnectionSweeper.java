package io.wxim.gateway.connection;

import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.CloseCode;
import io.wxim.support.PeriodicTask;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * One timer for all connections of this gateway instead of two per connection: every {@link #INTERVAL} it closes the
 * connections whose client sent nothing for {@code im.gateway.ws.idle-timeout} (4004) and those whose token has expired
 * (4003; an in-band {@code auth} moves the expiry). A per-connection idle timer was rescheduled on every inbound frame,
 * and with the expiry timer cost ~1 KB of heap per idle connection; here a close comes at most a second late. The idle
 * clock starts when the connection is registered (before its welcome, which takes at most the command timeout).
 */
@Component
class ConnectionSweeper extends PeriodicTask {
    static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(ConnectionSweeper.class);

    private final ConnectionRegistry registry;
    private final long idleNanos;
    private final LongSupplier nanoTime;
    private final Clock clock;

    @Autowired
    ConnectionSweeper(ConnectionRegistry registry, GatewayProperties props) {
        this(registry, props.ws().idleTimeout(), System::nanoTime, Clock.systemUTC());
    }

    ConnectionSweeper(ConnectionRegistry registry, Duration idleTimeout, LongSupplier nanoTime, Clock clock) {
        super("connection sweep", INTERVAL, INTERVAL);
        this.registry = registry;
        this.idleNanos = idleTimeout.toNanos();
        this.nanoTime = nanoTime;
        this.clock = clock;
    }

    /** One pass over the open connections; returns how many it asked to close. */
    int sweep() {
        long now = nanoTime.getAsLong();
        Instant instant = clock.instant();
        int[] closed = {0};
        registry.forEach(connection -> {
            try {
                CloseCode code = due(connection, now, instant);
                if (code != null) {
                    connection.close(code); // runs the session's closer here; one failing must not stop the sweep
                    closed[0]++;
                }
            } catch (RuntimeException e) {
                log.warn("connection sweep: close failed: connId={} error={}", connection.id(), e.toString());
            }
        });
        return closed[0];
    }

    /** 4004 if the client has been silent for the idle timeout, 4003 if the token expired, else null. */
    private CloseCode due(Connection connection, long now, Instant instant) {
        if (now - connection.lastHeard() > idleNanos) {
            return CloseCode.IDLE_TIMEOUT;
        }
        Instant expiresAt = connection.credentials().expiresAt();
        return expiresAt != null && !expiresAt.isAfter(instant) ? CloseCode.TOKEN_EXPIRED : null;
    }

    @Override
    protected Mono<Void> runOnce() {
        return Mono.fromRunnable(this::sweep);
    }
}
