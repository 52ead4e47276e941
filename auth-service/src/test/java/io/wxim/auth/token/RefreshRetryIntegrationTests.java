package io.wxim.auth.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.wxim.auth.AuthApplication;
import io.wxim.auth.config.AuthProperties;
import io.wxim.auth.user.BanService;
import io.wxim.auth.user.LoginMethod;
import io.wxim.auth.user.ProfileUpdate;
import io.wxim.auth.user.UserService;
import io.wxim.protocol.RedisNames;
import io.wxim.testinfra.TestInfra;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mockito.Mockito;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.ErrorResponseException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The refresh retry grace against real Redis: a rotated token presented again within the grace gets a new pair in
 * place of the lost one (which then counts as used); after the grace, once its successor was used, with the grace
 * off, or by a second racing presentation, it is a reuse and the session is revoked.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RefreshRetryIntegrationTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @DynamicPropertySource
    static void infra(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", TestInfra::redisHost);
        registry.add("spring.data.redis.port", TestInfra::redisPort);
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_auth_retry_test"));
        registry.add("management.server.port", () -> 0);
        registry.add("im.auth.signing.generate-if-missing", () -> true);
    }

    @Autowired
    TokenService tokens;
    @Autowired
    AccessTokenIssuer accessTokens;
    @Autowired
    RefreshTokenRepository refreshTokens;
    @Autowired
    UserService users;
    @Autowired
    BanService bans;
    @Autowired
    SessionRevoker revoker;
    @Autowired
    AuthProperties props;
    @Autowired
    SecureRandom random;
    @Autowired
    Clock clock;
    @Autowired
    ReactiveStringRedisTemplate redis;

    @Test
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

    /** One racing retry: its pair, or nothing if refused (401). */
    private Mono<TokenResponse> attempt(String refreshToken) {
        return tokens.refresh(refreshToken).onErrorResume(
                e -> e instanceof InvalidRefreshTokenException || e instanceof RefreshInProgressException, e -> Mono.empty());
    }

    private TokenService withGrace(Duration grace) {
        return withGrace(grace, bans);
    }

    private TokenService withGrace(Duration grace, BanService bans) {
        AuthProperties.Token t = props.token();
        AuthProperties changed = new AuthProperties(props.devLogin(),
                new AuthProperties.Token(t.issuer(), t.audience(), t.accessTtl(), t.refreshTtl(), grace),
                props.signing(), props.redisTimeout(), props.mongoTimeout(), props.adminToken());
        return new TokenService(accessTokens, refreshTokens, users, bans, revoker, changed, random, clock);
    }

    /** The ban service, each look-up held until {@code release} completes (MongoDB slow). */
    private BanService heldBans(Sinks.Empty<Void> release) {
        BanService held = Mockito.spy(bans);
        Mockito.doAnswer(call -> release.asMono().then(bans.requireNotBanned(call.getArgument(0))))
                .when(held).requireNotBanned(Mockito.anyString());
        return held;
    }

    /**
     * Waits until the rotation of the token {@code hash} is {@code age} old by Redis's clock (the time its successor
     * record holds), as the scripts measure it; returns the successor's hash.
     */
    private String awaitRotationAge(String hash, Duration age) throws InterruptedException {
        // polled from the test thread (not a timer's), so no Redis call of the test runs beside the service's on another
        long deadline = System.nanoTime() + TIMEOUT.plus(age).toNanos();
        String record;
        while ((record = redis.opsForValue().get(RedisNames.refreshNext(hash)).block(TIMEOUT)) == null) {
            assertThat(System.nanoTime()).as("the take's record").isLessThan(deadline);
            Thread.sleep(20);
        }
        int sep = record.indexOf('|');
        long takenAt = Long.parseLong(record.substring(sep + 1));
        while (redis.execute(connection -> connection.serverCommands().time()).blockFirst(TIMEOUT) - takenAt
                < age.toMillis() + 50) {
            assertThat(System.nanoTime()).as("the rotation's age").isLessThan(deadline);
            Thread.sleep(50);
        }
        return record.substring(0, sep);
    }

    private String rawRefreshToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private TokenResponse login() {
        String nickname = "Retry-" + UUID.randomUUID().toString().substring(0, 8);
        return users.findOrCreate(LoginMethod.DEV, nickname.toLowerCase(), new ProfileUpdate(nickname, null))
                .flatMap(tokens::issueFor)
                .block(TIMEOUT);
    }

    private static TokenResponse refresh(TokenService service, String refreshToken) {
        TokenResponse pair = service.refresh(refreshToken).block(TIMEOUT);
        assertThat(pair).isNotNull();
        return pair;
    }

    private static void refused(TokenService service, String refreshToken) {
        StepVerifier.create(service.refresh(refreshToken))
                .expectError(InvalidRefreshTokenException.class)
                .verify(TIMEOUT);
    }

    private boolean revoked(String sid) {
        return redis.hasKey(RedisNames.revokedFamily(sid)).block(TIMEOUT);
    }

    private String family(String sid) {
        return redis.opsForValue().get(RedisNames.refreshFamily(sid)).block(TIMEOUT);
    }

    private static String sid(TokenResponse pair) throws ParseException {
        return SignedJWT.parse(pair.accessToken()).getJWTClaimsSet().getStringClaim("sid");
    }
}
