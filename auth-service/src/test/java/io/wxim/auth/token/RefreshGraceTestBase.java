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
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.mockito.Mockito;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * The refresh retry grace against real Redis and MongoDB: the application's beans, a {@link TokenService} with another
 * grace ({@link #withGrace}) and the helpers the grace's test classes share.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class RefreshGraceTestBase {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

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

    /** One racing retry: its pair, or nothing if refused (401). */
    Mono<TokenResponse> attempt(String refreshToken) {
        return tokens.refresh(refreshToken).onErrorResume(
                e -> e instanceof InvalidRefreshTokenException || e instanceof RefreshInProgressException, e -> Mono.empty());
    }

    TokenService withGrace(Duration grace) {
        return withGrace(grace, bans);
    }

    TokenService withGrace(Duration grace, BanService bans) {
        AuthProperties.Token t = props.token();
        AuthProperties changed = new AuthProperties(props.devLogin(),
                new AuthProperties.Token(t.issuer(), t.audience(), t.accessTtl(), t.refreshTtl(), grace),
                props.signing(), props.redisTimeout(), props.mongoTimeout(), props.adminToken());
        return new TokenService(accessTokens, refreshTokens, users, bans, revoker, changed, random, clock);
    }

    /** The ban service, each look-up held until {@code release} completes (MongoDB slow). */
    BanService heldBans(Sinks.Empty<Void> release) {
        BanService held = Mockito.spy(bans);
        Mockito.doAnswer(call -> release.asMono().then(bans.requireNotBanned(call.getArgument(0))))
                .when(held).requireNotBanned(Mockito.anyString());
        return held;
    }

    /**
     * Waits until the rotation of the token {@code hash} is {@code age} old by Redis's clock (the time its successor
     * record holds), as the scripts measure it; returns the successor's hash.
     */
    String awaitRotationAge(String hash, Duration age) throws InterruptedException {
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

    String rawRefreshToken() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    TokenResponse login() {
        String nickname = "Retry-" + UUID.randomUUID().toString().substring(0, 8);
        return users.findOrCreate(LoginMethod.DEV, nickname.toLowerCase(), new ProfileUpdate(nickname, null))
                .flatMap(tokens::issueFor)
                .block(TIMEOUT);
    }

    static TokenResponse refresh(TokenService service, String refreshToken) {
        TokenResponse pair = service.refresh(refreshToken).block(TIMEOUT);
        assertThat(pair).isNotNull();
        return pair;
    }

    static void refused(TokenService service, String refreshToken) {
        StepVerifier.create(service.refresh(refreshToken))
                .expectError(InvalidRefreshTokenException.class)
                .verify(TIMEOUT);
    }

    boolean revoked(String sid) {
        return redis.hasKey(RedisNames.revokedFamily(sid)).block(TIMEOUT);
    }

    String family(String sid) {
        return redis.opsForValue().get(RedisNames.refreshFamily(sid)).block(TIMEOUT);
    }

    static String sid(TokenResponse pair) throws ParseException {
        return SignedJWT.parse(pair.accessToken()).getJWTClaimsSet().getStringClaim("sid");
    }
}
