package io.wxim.gateway.userlimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The cap around its Redis script, without Redis: admission, release, heartbeat and failing open. */
class UserConnectionCapTests {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<List<String>> calls = new ArrayList<>();
    private final List<String> removed = new ArrayList<>();
    private final AtomicReference<Mono<Long>> answer = new AtomicReference<>(Mono.just(1L));
    private final UserConnectionCap cap = new UserConnectionCap((key, args) -> {
        List<String> call = new ArrayList<>(List.of(key));
        call.addAll(args);
        calls.add(call);
        return answer.get();
    }, (key, connId) -> {
        removed.add(key + " " + connId);
        return Mono.just(1L);
    }, new GatewayProperties.UserConnections(3, Duration.ofSeconds(90), Duration.ofSeconds(30)), Duration.ofMillis(200),
            () -> 1_000_000L, meters);

    @Test
    void admits_withTheCapAndLifetime_andReleasesOnce() {
        StepVerifier.create(cap.acquire("u1", "c1")).expectNext(true).expectComplete().verify(WAIT);
        assertThat(calls).containsExactly(List.of("im:gw:conns:u1", "c1", "1000000", "90000", "3"));
        StepVerifier.create(cap.release("u1", "c1")).expectComplete().verify(WAIT);
        StepVerifier.create(cap.release("u1", "c1")).expectComplete().verify(WAIT);
        assertThat(removed).containsExactly("im:gw:conns:u1 c1");
        assertThat(cap.admittedCount()).isZero();
    }

    @Test
    void refuses_whenTheScriptSaysTheUserHoldsTheCap_andKeepsNothingToRelease() {
        answer.set(Mono.just(0L));
        StepVerifier.create(cap.acquire("u1", "c4")).expectNext(false).expectComplete().verify(WAIT);
        assertThat(cap.admittedCount()).isZero();
        StepVerifier.create(cap.release("u1", "c4")).expectComplete().verify(WAIT);
        assertThat(removed).isEmpty();
        assertThat(meters.counter("im.gateway.user_connections.refused").count()).isEqualTo(1);
    }

    @Test
    void heartbeatRefreshesEveryAdmittedConnection_withoutTheCapCheck() {
        cap.acquire("u1", "c1").block(WAIT);
        cap.acquire("u2", "c2").block(WAIT);
        calls.clear();
        StepVerifier.create(cap.refreshAll()).expectComplete().verify(WAIT);
        assertThat(calls).containsExactlyInAnyOrder(List.of("im:gw:conns:u1", "c1", "1000000", "90000", "0"),
                List.of("im:gw:conns:u2", "c2", "1000000", "90000", "0"));
    }

    @Test
    void failsOpen_whenRedisFails_andCountsTheConnectionAtTheNextHeartbeat() {
        answer.set(Mono.error(new io.lettuce.core.RedisConnectionException("down")));
        StepVerifier.create(cap.acquire("u1", "c1")).expectNext(true).expectComplete().verify(WAIT);
        assertThat(meters.counter("im.gateway.user_limits.fail_open", "limit", "user_connections").count()).isEqualTo(1);
        StepVerifier.create(cap.refreshAll()).expectComplete().verify(WAIT); // still down: the round fails quietly
        answer.set(Mono.just(1L));
        calls.clear();
        StepVerifier.create(cap.refreshAll()).expectComplete().verify(WAIT);
        assertThat(calls).containsExactly(List.of("im:gw:conns:u1", "c1", "1000000", "90000", "0"));
    }

    @Test
    void failsOpen_whenRedisDoesNotAnswerInTime() {
        answer.set(Mono.never());
        StepVerifier.create(cap.acquire("u1", "c1")).expectNext(true).expectComplete().verify(WAIT);
    }
}
