package io.wxim.auth.token;

import static org.assertj.core.api.Assertions.assertThat;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * A successor its rotation never stored (cut off after its take, or slow): a retry takes it over only once the rotation
 * is the take-over age old, the store is refused from that age on (atomically, by Redis's clock), and a retry's own
 * token is judged by its own time.
 */
class RefreshTakeOverIntegrationTests extends RefreshGraceTestBase {    @Test
    void retryTakesOver_whenTheFirstRefreshStoppedAfterItsTake_andItsPairIsNeverStored() throws Exception {
        Duration grace = Duration.ofSeconds(2); // an unstored successor is taken over from 1 s after the rotation
        TokenService tokens = withGrace(grace);
        TokenResponse a = login();
        String sid = sid(a);
        String hashA = TokenService.sha256Hex(a.refreshToken());
        String hashB = TokenService.sha256Hex("B-" + UUID.randomUUID());
        // the first refresh took A (and recorded B), then was cut off (the gateway's timeout cancelled it)
        RefreshSession session = refreshTokens.takeAndMarkUsed(hashA, hashB, props.token().refreshTtl(), grace)
                .block(TIMEOUT);
        assertThat(session.familyId()).isEqualTo(sid);
        // too early: the rotation may still be on its way (a copy presented now must not take the session from it)
        StepVerifier.create(tokens.refresh(a.refreshToken())).expectError(RefreshInProgressException.class).verify(TIMEOUT);
        assertThat(revoked(sid)).isFalse();
        Thread.sleep(RefreshTokenRepository.takeOverAge(grace).toMillis() + 100);

        TokenResponse c = refresh(tokens, a.refreshToken());

        assertThat(sid(c)).isEqualTo(sid);
        assertThat(revoked(sid)).isFalse();
        // the first refresh, had it only been slow, may not store its pair now: the session has one current token
        assertThat(refreshTokens.saveCurrent(hashB, session, props.token().refreshTtl(), hashA, grace).block(TIMEOUT))
                .isFalse();
        // refused for being taken over alone, too (B is marked used), whatever the age
        assertThat(refreshTokens.saveCurrent(hashB, session, props.token().refreshTtl(), null, grace).block(TIMEOUT))
                .isFalse();
        assertThat(redis.hasKey(RedisNames.refreshToken(hashB)).block(TIMEOUT)).isFalse();
        assertThat(family(sid)).isEqualTo(TokenService.sha256Hex(c.refreshToken()));
        refresh(tokens, c.refreshToken());
        assertThat(revoked(sid)).isFalse();
    }

    @Test
    void aRotationSlowerThanTheTakeOverAge_isRefusedItsStore_answers503_andItsRetryTakesItsTokenOver() throws Exception {
        Duration grace = Duration.ofSeconds(8); // take-over age 4 s
        Sinks.Empty<Void> banLookedUp = Sinks.empty();
        TokenService slow = withGrace(grace, heldBans(banLookedUp)); // MongoDB's ban look-up slow, until released
        TokenService quick = withGrace(grace);
        TokenResponse a = login();
        String sid = sid(a);
        String hashA = TokenService.sha256Hex(a.refreshToken());

        Mono<TokenResponse> owner = slow.refresh(a.refreshToken()).cache();
        owner.subscribe(pair -> { }, e -> { });
        String hashB;
        try {
            hashB = awaitRotationAge(hashA, RefreshTokenRepository.takeOverAge(grace)); // taken, B not stored
        } finally {
            banLookedUp.tryEmitEmpty();
        }

        // its store comes at the take-over age: refused, though no retry took B (B is not marked used); 503, so
        // the client retries with the same token
        StepVerifier.create(owner).expectError(RefreshInProgressException.class).verify(TIMEOUT);
        assertThat(redis.hasKey(RedisNames.refreshToken(hashB)).block(TIMEOUT)).isFalse();
        assertThat(redis.hasKey(RedisNames.refreshUsed(hashB)).block(TIMEOUT)).isFalse();
        assertThat(family(sid)).isEqualTo(hashA);

        TokenResponse retried = refresh(quick, a.refreshToken()); // the grace takes the unstored B over

        assertThat(sid(retried)).isEqualTo(sid);
        assertThat(family(sid)).isEqualTo(TokenService.sha256Hex(retried.refreshToken()));
        refresh(quick, retried.refreshToken());
        assertThat(revoked(sid)).isFalse();
    }

    @Test
    void aCopyPresentedAfterTheTakeOverAge_takesASlowRotationsTokenOver_andIsDetectedAfterTheOwnersRetry()
            throws Exception {
        Duration grace = Duration.ofSeconds(8); // take-over age 4 s
        Sinks.Empty<Void> banLookedUp = Sinks.empty();
        TokenService slow = withGrace(grace, heldBans(banLookedUp));
        TokenService quick = withGrace(grace);
        TokenResponse a = login();
        String sid = sid(a);
        String hashA = TokenService.sha256Hex(a.refreshToken());

        Mono<TokenResponse> owner = slow.refresh(a.refreshToken()).cache();
        owner.subscribe(pair -> { }, e -> { });
        String hashB;
        TokenResponse copy;
        try {
            hashB = awaitRotationAge(hashA, RefreshTokenRepository.takeOverAge(grace));
            copy = refresh(quick, a.refreshToken()); // a copy of A, presented now: takes the unstored B over
        } finally {
            banLookedUp.tryEmitEmpty();
        }
        assertThat(sid(copy)).isEqualTo(sid);

        // the owner's store refused: 503, no longer a plain 401 that sent the owner to log in again (the copy undetected)
        StepVerifier.create(owner).expectError(RefreshInProgressException.class).verify(TIMEOUT);
        assertThat(redis.hasKey(RedisNames.refreshToken(hashB)).block(TIMEOUT)).isFalse();

        // the owner's retry, as told: takes the copy's token over (the grace); the copy's next presentation is a reuse:
        // the theft is detected, the session revoked
        TokenResponse retried = refresh(quick, a.refreshToken());
        assertThat(sid(retried)).isEqualTo(sid);
        assertThat(revoked(sid)).isFalse();
        refused(quick, copy.refreshToken());
        assertThat(revoked(sid)).isTrue();
        refused(quick, retried.refreshToken());
    }

    @Test
    void aRetrysOwnToken_isStoredAndAwaitedByItsOwnTime_notByTheFirstRotations() throws Exception {
        Duration grace = Duration.ofSeconds(8); // take-over age 4 s
        TokenService tokens = withGrace(grace);
        TokenResponse a = login();
        String sid = sid(a);
        String hashA = TokenService.sha256Hex(a.refreshToken());
        refresh(tokens, a.refreshToken()); // its answer lost
        awaitRotationAge(hashA, RefreshTokenRepository.takeOverAge(grace));

        // a retry now, the first rotation past the take-over age: its own new token is stored all the same
        TokenResponse c = refresh(tokens, a.refreshToken());
        assertThat(family(sid)).isEqualTo(TokenService.sha256Hex(c.refreshToken()));

        // another retry, cut off after its take (D not stored): a retry right after it waits for it (503), though
        // the first rotation is past the take-over age ...
        String d = rawRefreshToken();
        String hashD = TokenService.sha256Hex(d);
        RefreshSession session = refreshTokens.takeSuccessor(hashA, hashD, props.token().refreshTtl(), grace)
                .block(TIMEOUT);
        StepVerifier.create(tokens.refresh(a.refreshToken())).expectError(RefreshInProgressException.class)
                .verify(TIMEOUT);
        // ... and that retry, only slow, may still store D
        assertThat(refreshTokens.saveCurrent(hashD, session, props.token().refreshTtl(), hashA, grace).block(TIMEOUT))
                .isTrue();
        refresh(tokens, d);
        assertThat(revoked(sid)).isFalse();
        refused(tokens, c.refreshToken()); // taken by that retry: a reuse
        assertThat(revoked(sid)).isTrue();
    }

    @Test
    void aRetryLateInTheGrace_cutOffAfterItsTake_canStillBeTakenOverByTheNextRetry() throws Exception {
        Duration grace = Duration.ofSeconds(8); // take-over age 4 s
        TokenService tokens = withGrace(grace);
        TokenResponse a = login();
        String sid = sid(a);
        String hashA = TokenService.sha256Hex(a.refreshToken());
        refresh(tokens, a.refreshToken()); // its answer lost
        awaitRotationAge(hashA, Duration.ofSeconds(5)); // 3 s of the grace left

        // a retry late in the grace, cut off after its take (its token never stored)
        refreshTokens.takeSuccessor(hashA, TokenService.sha256Hex(rawRefreshToken()), props.token().refreshTtl(), grace)
                .block(TIMEOUT);
        // its record outlives the first rotation's grace until its own token may be taken over
        awaitRotationAge(hashA, RefreshTokenRepository.takeOverAge(grace));

        TokenResponse c = refresh(tokens, a.refreshToken());
        assertThat(sid(c)).isEqualTo(sid);
        assertThat(revoked(sid)).isFalse();
        assertThat(family(sid)).isEqualTo(TokenService.sha256Hex(c.refreshToken()));
    }
}
