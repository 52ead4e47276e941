package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.support.StaticApplicationContext;

/** The drain order without Spring Boot: readiness first, no new connections, closes paced over the window. */
@Timeout(30)
class DrainOnShutdownTests {
    private final StaticApplicationContext context = new StaticApplicationContext();
    private final List<Object> events = new CopyOnWriteArrayList<>();
    private final ConnectionRegistry registry = new ConnectionRegistry(onFrame -> null, new SimpleMeterRegistry(), "{}");

    @Test
    void refusesTrafficFirst_thenClosesEveryConnectionWithGoingAwaySpreadOverTheWindow() {
        context.addApplicationListener((ApplicationListener<AvailabilityChangeEvent<?>>) e -> events.add(e.getState()));
        context.refresh();
        List<Connection> open = List.of(
                registry.open("c1", new UserRef("u1", "A", null), 8, 5),
                registry.open("c2", new UserRef("u2", "B", null), 8, 5),
                registry.open("c3", new UserRef("u3", "C", null), 8, 5),
                registry.open("c4", new UserRef("u4", "D", null), 8, 5));
        List<Long> closedAt = new CopyOnWriteArrayList<>();
        open.forEach(c -> c.closeRequested().subscribe(code -> {
            assertThat(code).isEqualTo(CloseCode.GOING_AWAY);
            closedAt.add(System.nanoTime());
            registry.close(c); // what the session's cleanup does once the socket closed
        }));
        DrainOnShutdown drain = new DrainOnShutdown(registry, context, props("800ms"));

        long start = System.nanoTime();
        drain.drain(new ContextClosedEvent(context));

        assertThat(events).containsExactly(ReadinessState.REFUSING_TRAFFIC);
        assertThat(registry.isDraining()).isTrue();
        assertThat(registry.open("late", new UserRef("u9", "Z", null), 8, 5)).isNull();
        assertThat(closedAt).hasSize(4);
        // four closes at 0, 200, 400, 600 ms: the last one well after the first, all within the window (+ slack)
        long first = closedAt.stream().mapToLong(Long::longValue).min().orElseThrow();
        long last = closedAt.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertThat(Duration.ofNanos(last - first)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        assertThat(Duration.ofNanos(last - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(registry.size()).isZero();
    }

    @Test
    void waitsForAnInFlightCommandBeforeClosingItsConnection() {
        context.refresh();
        Connection busy = registry.open("c1", new UserRef("u1", "A", null), 8, 5);
        long ref = busy.beginCommand();
        busy.awaitCommand(Duration.ofSeconds(5)).subscribe();
        List<Long> closedAt = new CopyOnWriteArrayList<>();
        busy.closeRequested().subscribe(code -> {
            closedAt.add(System.nanoTime());
            registry.close(busy);
        });
        long answeredAt = System.nanoTime() + Duration.ofMillis(300).toNanos();
        new Thread(() -> {
            sleep(300);
            busy.completeCommand(ref, io.wxim.protocol.NodeMessage.Kind.REPLY);
        }).start();

        new DrainOnShutdown(registry, context, props("100ms")).drain(new ContextClosedEvent(context));

        assertThat(closedAt).singleElement().satisfies(t -> assertThat(t).isGreaterThanOrEqualTo(answeredAt));
    }

    private static GatewayProperties props(String window) {
        return new Binder(new MapConfigurationPropertySource(Map.of("im.gateway.ws.drain-window", window)))
                .bindOrCreate("im.gateway", GatewayProperties.class);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
