package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.UserRef;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ConnectionSweeperTests {
    private static final Duration IDLE = Duration.ofSeconds(60);
    private static final Instant NOW = Instant.parse("2026-12-03T23:00:00Z");

    private final ConnectionRegistry registry = new ConnectionRegistry(onFrame -> null, new SimpleMeterRegistry(), "{}");
    private final AtomicLong nanos = new AtomicLong(System.nanoTime());
    private final ConnectionSweeper sweeper = new ConnectionSweeper(registry, IDLE, nanos::get,
            Clock.fixed(NOW, ZoneOffset.UTC));

    private Connection open(String id) {
        Connection connection = registry.open(id, new UserRef("u-" + id, null, null), 16, 10);
        connection.heard(nanos.get());
        return connection;
    }

    @Test
    void closesAConnectionWhoseClientSentNothingForTheIdleTimeout_with4004() {
        Connection quiet = open("quiet");
        Connection talking = open("talking");
        nanos.addAndGet(IDLE.toNanos() - 1_000_000_000L);
        talking.heard(nanos.get());
        assertThat(sweeper.sweep()).isZero();

        nanos.addAndGet(2_000_000_000L); // quiet: idle timeout + 1 s; talking: 2 s since its last frame
        assertThat(sweeper.sweep()).isEqualTo(1);
        assertThat(closeOf(quiet)).isEqualTo(CloseCode.IDLE_TIMEOUT);
        assertThat(closeOf(talking)).isNull();
    }

    @Test
    void closesAConnectionWhoseTokenExpired_with4003_andHonoursAnInBandRefresh() {
        Connection expired = open("expired");
        expired.authenticate("s1", NOW);
        Connection refreshed = open("refreshed");
        refreshed.authenticate("s2", NOW.minusSeconds(5));
        refreshed.authenticate("s2", NOW.plusSeconds(900)); // auth frame with a new token
        Connection noExpiry = open("none");
        noExpiry.authenticate(null, null);

        assertThat(sweeper.sweep()).isEqualTo(1);
        assertThat(closeOf(expired)).isEqualTo(CloseCode.TOKEN_EXPIRED);
        assertThat(closeOf(refreshed)).isNull();
        assertThat(closeOf(noExpiry)).isNull();
    }

    @Test
    void runsEverySecondOnceStarted() throws Exception {
        ConnectionSweeper live = new ConnectionSweeper(registry, Duration.ofMillis(200), System::nanoTime, Clock.systemUTC());
        Connection quiet = registry.open("quiet", new UserRef("u1", null, null), 16, 10);
        live.start();
        try {
            assertThat(quiet.closeRequested().block(Duration.ofSeconds(5))).isEqualTo(CloseCode.IDLE_TIMEOUT);
        } finally {
            live.stop();
        }
        assertThat(live.isRunning()).isFalse();
    }

    private static CloseCode closeOf(Connection connection) {
        return connection.closeRequested().toFuture().getNow(null);
    }
}
