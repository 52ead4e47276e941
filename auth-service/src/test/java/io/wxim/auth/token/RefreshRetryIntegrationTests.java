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
        TokenService shortGrace = withGrace(Duration.ofMillis(300));
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
        assertThat(refreshTokens.saveCurrent(hashB, session, props.token().refreshTtl()).block(TIMEOUT)).isFalse();
        assertThat(redis.hasKey(RedisNames.refreshToken(hashB)).block(TIMEOUT)).isFalse();
        assertThat(family(sid)).isEqualTo(TokenService.sha256Hex(c.refreshToken()));
        refresh(tokens, c.refreshToken());
        assertThat(revoked(sid)).isFalse();
    }

    @Test
    void aRotationSlowerThanHalfTheTakeOverAge_answers503_soACopyCannotOvertakeItUnseen() throws Exception {
        Duration grace = Duration.ofSeconds(2); // take-over from 1 s after the rotation; the rotation bounded by 0.5 s
        TokenService quick = withGrace(grace, bans);
        BanService slowBans = Mockito.spy(bans); // MongoDB's ban look-up slow, past the take-over age
        Mockito.doAnswer(call -> Mono.delay(Duration.ofMillis(1500)).then(bans.requireNotBanned(call.getArgument(0))))
                .when(slowBans).requireNotBanned(Mockito.anyString());
        TokenService slow = withGrace(grace, slowBans);
        TokenResponse a = login();
        String sid = sid(a);

        // the owner's rotation: 503 (retry shortly) at its bound, never its pair stored after the take-over age, where
        // unbounded it stored at 1.5 s, found its successor taken by the copy below, and answered a plain 401
        Mono<TokenResponse> owner = slow.refresh(a.refreshToken()).cache();
        owner.subscribe(pair -> { }, e -> { });
        Thread.sleep(RefreshTokenRepository.takeOverAge(grace).toMillis() + 100);
        TokenResponse copy = refresh(quick, a.refreshToken()); // a copy presented after the take-over age
        StepVerifier.create(owner).expectError(RefreshInProgressException.class).verify(TIMEOUT);

        // the owner's retry, told to come back: the copy's pair is the successor now, taken again (the grace), and the
        // copy's next presentation is a reuse: the theft is detected, the session revoked
        TokenResponse retried = refresh(quick, a.refreshToken());
        assertThat(sid(retried)).isEqualTo(sid);
        refused(quick, copy.refreshToken());
        assertThat(revoked(sid)).isTrue();
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
