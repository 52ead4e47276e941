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

/** The limiter around the Redis script, without Redis: how answers, errors and silence become decisions. */
class UserSendLimiterTests {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<String> keys = new ArrayList<>();
    private final List<List<String>> args = new ArrayList<>();
    private final AtomicReference<Mono<Long>> answer = new AtomicReference<>(Mono.just(0L));
    private final UserSendLimiter limiter = new UserSendLimiter((key, a) -> {
        keys.add(key);
        args.add(a);
        return answer.get();
    }, new GatewayProperties.UserRate(50, 100), Duration.ofMillis(200), meters);

    @Test
    void allows_whenTheScriptTookAToken_andAsksTheUsersBucketWithRateAndBurst() {
        StepVerifier.create(limiter.tryAcquire("u1")).expectNext(new UserSendLimiter.Decision(true, 0)).expectComplete().verify(WAIT);
        assertThat(keys).containsExactly("im:gw:rate:u1");
        assertThat(args).containsExactly(List.of("50", "100"));
    }

    @Test
    void refuses_withTheScriptsWait_whenTheBucketIsEmpty() {
        answer.set(Mono.just(17L));
        StepVerifier.create(limiter.tryAcquire("u1")).expectNext(new UserSendLimiter.Decision(false, 17)).expectComplete().verify(WAIT);
        assertThat(meters.counter("im.gateway.user_rate_limited").count()).isEqualTo(1);
    }

    @Test
    void failsOpen_andCountsIt_whenRedisFails() {
        answer.set(Mono.error(new io.lettuce.core.RedisConnectionException("down")));
        StepVerifier.create(limiter.tryAcquire("u1")).expectNext(new UserSendLimiter.Decision(true, 0)).expectComplete().verify(WAIT);
        StepVerifier.create(limiter.tryAcquire("u1")).expectNext(new UserSendLimiter.Decision(true, 0)).expectComplete().verify(WAIT);
        assertThat(meters.counter("im.gateway.user_limits.fail_open", "limit", "user_send_rate").count()).isEqualTo(2);
    }

    @Test
    void failsOpen_whenRedisDoesNotAnswerInTime() {
        answer.set(Mono.never());
        StepVerifier.create(limiter.tryAcquire("u1")).expectNext(new UserSendLimiter.Decision(true, 0)).expectComplete().verify(WAIT);
        assertThat(meters.counter("im.gateway.user_limits.fail_open", "limit", "user_send_rate").count()).isEqualTo(1);
    }

    @Test
    void enforcesAgain_onceRedisAnswers() {
        answer.set(Mono.error(new IllegalStateException("down")));
        StepVerifier.create(limiter.tryAcquire("u1")).expectNext(new UserSendLimiter.Decision(true, 0)).expectComplete().verify(WAIT);
        answer.set(Mono.just(5L));
        StepVerifier.create(limiter.tryAcquire("u1")).expectNext(new UserSendLimiter.Decision(false, 5)).expectComplete().verify(WAIT);
    }
}
