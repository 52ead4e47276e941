package io.wxim.auth.token;

import static org.assertj.core.api.Assertions.assertThat;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.web.ErrorResponseException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The refresh retry grace: a rotated token presented again within the grace gets a new pair in place of the lost one
 * (which then counts as used); after the grace, once its successor was used, with the grace off, or by a second racing
 * presentation, it is a reuse and the session is revoked.
 */
class RefreshRetryIntegrationTests extends RefreshGraceTestBase {    @Test
    void retryWithinGrace_getsAWorkingPair_andTheLostPairIsAReuseLater() throws Exception {
        assertThat(props.token().refreshRetryGrace()).isEqualTo(Duration.ofSeconds(30));
        TokenResponse a = login();
        String sid = sid(a);
        TokenResponse b = refresh(tokens, a.refreshToken()); // its answer lost on the way

        TokenResponse c = refresh(tokens, a.refreshToken());

        assertThat(sid(c)).isEqualTo(sid);
        assertThat(c.user()).isEqualTo(a.user());
        assertThat(c.refreshToken()).isNotIn(a.refreshToken(), b.refreshToken());
        assertThat(revoked(sid)).isFalse();
        // the grace still ends when it would have without the retry
        assertThat(redis.getExpire(RedisNames.refreshNext(TokenService.sha256Hex(a.refreshToken()))).block(TIMEOUT))
                .isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30));
        assertThat(family(sid)).isEqualTo(TokenService.sha256Hex(c.refreshToken()));
        TokenResponse d = refresh(tokens, c.refreshToken());
        assertThat(revoked(sid)).isFalse();

        // the lost pair shows up after all (delivered to someone else): a reuse, the session ends
        refused(tokens, b.refreshToken());
        assertThat(revoked(sid)).isTrue();
        refused(tokens, d.refreshToken());
    }

    @Test
    void retryAgain_whenTheRetrysAnswerIsLostToo_getsAWorkingPair() throws Exception {
        TokenResponse a = login();
        String sid = sid(a);
        refresh(tokens, a.refreshToken());
        TokenResponse c = refresh(tokens, a.refreshToken());

        TokenResponse d = refresh(tokens, a.refreshToken());

        assertThat(revoked(sid)).isFalse();
        refresh(tokens, d.refreshToken());
        refused(tokens, c.refreshToken());
        assertThat(revoked(sid)).isTrue();
    }

    @Test
    void retryAfterGrace_isAReuse_andRevokesTheSession() throws Exception {
        TokenService shortGrace = withGrace(Duration.ofSeconds(2)); // the least grace there is
        TokenResponse a = login();
        String sid = sid(a);
        TokenResponse b = refresh(shortGrace, a.refreshToken());
        String next = RedisNames.refreshNext(TokenService.sha256Hex(a.refreshToken()));
        assertThat(redis.hasKey(next).block(TIMEOUT)).isTrue();
        Mono.defer(() -> redis.hasKey(next)).filter(exists -> !exists)
                .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(50))).block(TIMEOUT);

        refused(shortGrace, a.refreshToken());

        assertThat(revoked(sid)).isTrue();
        refused(shortGrace, b.refreshToken());
    }

    @Test
    void retryAfterTheLostPairWasUsed_isAReuse_andRevokesTheSession() throws Exception {
        TokenResponse a = login();
        String sid = sid(a);
        TokenResponse b = refresh(tokens, a.refreshToken());
        TokenResponse b2 = refresh(tokens, b.refreshToken());

        refused(tokens, a.refreshToken());

        assertThat(revoked(sid)).isTrue();
        refused(tokens, b2.refreshToken());
    }

    @Test
    void noGrace_revokesAtTheFirstRepeat_asStrictRotation() throws Exception {
        TokenService strict = withGrace(Duration.ZERO);
        TokenResponse a = login();
        String sid = sid(a);
        TokenResponse b = refresh(strict, a.refreshToken());
        assertThat(redis.hasKey(RedisNames.refreshNext(TokenService.sha256Hex(a.refreshToken()))).block(TIMEOUT))
                .isFalse();

        refused(strict, a.refreshToken());

        assertThat(revoked(sid)).isTrue();
        refused(strict, b.refreshToken());
    }

    @Test
    void retryWithinGrace_isRefused_whenTheSessionWasRevokedMeanwhile() throws Exception {
        TokenResponse a = login();
        String sid = sid(a);
        refresh(tokens, a.refreshToken());
        revoker.revokeSession(a.user().id(), sid, "logout").block(TIMEOUT);

        refused(tokens, a.refreshToken());
    }

    @Test
    void retryWithinGrace_isRefused_whenTheUserWasBannedMeanwhile() {
        TokenResponse a = login();
        refresh(tokens, a.refreshToken());
        bans.ban(a.user().id(), clock.instant()).block(TIMEOUT);

        StepVerifier.create(tokens.refresh(a.refreshToken()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ErrorResponseException.class,
                        forbidden -> assertThat(forbidden.getStatusCode().value()).isEqualTo(403)))
                .verify(TIMEOUT);
    }

    @Test
    void concurrentRetries_leaveTheSessionWithAtMostOneLiveToken() throws Exception {
        for (int round = 0; round < 20; round++) {
            TokenResponse a = login();
            String sid = sid(a);
            TokenResponse b = refresh(tokens, a.refreshToken());

            List<TokenResponse> answered = Flux.merge(
                            attempt(a.refreshToken()).subscribeOn(Schedulers.parallel()),
                            attempt(a.refreshToken()).subscribeOn(Schedulers.parallel()))
                    .collectList().block(TIMEOUT);

            List<String> issued = new ArrayList<>(List.of(b.refreshToken()));
            answered.forEach(pair -> issued.add(pair.refreshToken()));
            List<String> live = new ArrayList<>();
            for (String token : issued) {
                boolean stored = redis.hasKey(RedisNames.refreshToken(TokenService.sha256Hex(token))).block(TIMEOUT);
                if (stored && !revoked(sid)) {
                    live.add(token);
                }
            }
            assertThat(live).as("round %d", round).hasSizeLessThanOrEqualTo(1);
            if (!revoked(sid)) {
                assertThat(live).as("round %d", round).hasSize(1);
                assertThat(family(sid)).isEqualTo(TokenService.sha256Hex(live.get(0)));
                refresh(tokens, live.get(0));
            }
        }
    }
}
