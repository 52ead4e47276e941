package io.wxim.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.wxim.auth.token.TokenResponse;
import io.wxim.auth.user.LoginMethod;
import io.wxim.auth.user.ProfileUpdate;
import io.wxim.auth.user.UserService;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@AutoConfigureWebTestClient
class AuthIntegrationTests {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @DynamicPropertySource
    static void infra(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", TestInfra::redisHost);
        registry.add("spring.data.redis.port", TestInfra::redisPort);
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_auth_test"));
        registry.add("management.server.port", () -> 0);
        registry.add("im.auth.dev-login.enabled", () -> true);
        registry.add("im.auth.signing.generate-if-missing", () -> true);
    }

    @Autowired
    WebTestClient client;

    @Autowired
    ReactiveStringRedisTemplate redis;

    @Autowired
    UserService users;

    @LocalManagementPort
    int managementPort;

    @BeforeEach
    void boundResponses() {
        client = client.mutate().responseTimeout(TIMEOUT).build();
    }

    @Test
    void registersOnce_whenSameNicknameLogsInAgain_andSeparatesOtherNicknames() {
        String nickname = unique("Alice");

        TokenResponse first = devLogin(nickname, null);
        TokenResponse again = devLogin("  " + nickname.toUpperCase() + " ", null);
        TokenResponse other = devLogin(unique("Bob"), null);

        assertThat(first.user().id()).matches("u[a-z2-7]{20}");
        assertThat(again.user().id()).isEqualTo(first.user().id());
        assertThat(other.user().id()).isNotEqualTo(first.user().id());
        assertThat(first.tokenType()).isEqualTo("Bearer");
        assertThat(first.expiresIn()).isEqualTo(900);
        assertThat(first.refreshToken()).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(again.refreshToken());
    }

    @Test
    void storesAvatar_whenGiven_andKeepsIt_whenOmittedLater() throws Exception {
        String nickname = unique("Carol");

        TokenResponse withAvatar = devLogin(nickname, "https://img.example/c1.png");
        TokenResponse without = devLogin(nickname, null);
        TokenResponse changed = devLogin(nickname, "https://img.example/c2.png");

        assertThat(withAvatar.user()).isEqualTo(new UserRef(withAvatar.user().id(), nickname, "https://img.example/c1.png"));
        assertThat(without.user().avatarUrl()).isEqualTo("https://img.example/c1.png");
        assertThat(changed.user().avatarUrl()).isEqualTo("https://img.example/c2.png");
        assertThat(SignedJWT.parse(changed.accessToken()).getJWTClaimsSet().getStringClaim("picture"))
                .isEqualTo("https://img.example/c2.png");
    }

    @Test
    void returnsLoginJsonShape() {
        client.post().uri("/api/auth/dev-login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", unique("Dan"), "avatarUrl", "https://img.example/d.png"))
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody()
                .jsonPath("$.accessToken").isNotEmpty()
                .jsonPath("$.refreshToken").isNotEmpty()
                .jsonPath("$.tokenType").isEqualTo("Bearer")
                .jsonPath("$.expiresIn").isEqualTo(900)
                .jsonPath("$.user.id").isNotEmpty()
                .jsonPath("$.user.nickname").isNotEmpty()
                .jsonPath("$.user.avatarUrl").isEqualTo("https://img.example/d.png");
    }

    @Test
    void createsOneUser_whenFirstLoginsRace() {
        String key = unique("race").toLowerCase();

        StepVerifier.create(Flux.range(0, 8)
                        .flatMap(i -> users.findOrCreate(LoginMethod.DEV, key, new ProfileUpdate(key, null)))
                        .map(UserRef::id)
                        .distinct()
                        .collectList())
                .assertNext(ids -> assertThat(ids).hasSize(1))
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void issuesAccessToken_verifiableWithServedJwks() throws Exception {
        String nickname = unique("Erin");
        TokenResponse login = devLogin(nickname, null);

        byte[] body = client.get().uri("/api/auth/jwks").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectHeader().value("Cache-Control", v -> assertThat(v).contains("max-age=300"))
                .expectBody().returnResult().getResponseBody();
        String json = new String(body, StandardCharsets.UTF_8);
        JWKSet jwks = JWKSet.parse(json);

        assertThat(json).doesNotContain("\"d\"").doesNotContain("\"p\"");
        assertThat(jwks.getKeys()).hasSize(1).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
        SignedJWT jwt = SignedJWT.parse(login.accessToken());
        JWK jwk = jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(jwk).isInstanceOf(RSAKey.class);
        assertThat(jwt.verify(new RSASSAVerifier((RSAKey) jwk))).isTrue();

        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo(login.user().id());
        assertThat(claims.getIssuer()).isEqualTo("wxim");
        assertThat(claims.getAudience()).isEqualTo(List.of("wxim"));
        assertThat(claims.getStringClaim("name")).isEqualTo(nickname);
        assertThat(claims.getClaims()).doesNotContainKey("picture");
        assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void rotatesRefreshToken_andRejectsOldOne_whenRefreshed() throws Exception {
        TokenResponse login = devLogin(unique("Frank"), null);
        String oldKey = RedisNames.refreshToken(sha256Hex(login.refreshToken()));
        StepVerifier.create(redis.getExpire(oldKey))
                .assertNext(ttl -> assertThat(ttl).isBetween(Duration.ofDays(30).minusMinutes(1), Duration.ofDays(30)))
                .expectComplete().verify(TIMEOUT);
        StepVerifier.create(redis.opsForValue().get(oldKey))
                .assertNext(v -> assertThat(v).contains(login.user().id()).doesNotContain(login.refreshToken()))
                .expectComplete().verify(TIMEOUT);

        TokenResponse rotated = refresh(login.refreshToken()).expectStatus().isOk()
                .expectBody(TokenResponse.class).returnResult().getResponseBody();

        assertThat(rotated.user()).isEqualTo(login.user());
        assertThat(rotated.refreshToken()).isNotEqualTo(login.refreshToken());
        assertThat(rotated.accessToken()).isNotEqualTo(login.accessToken());
        assertThat(SignedJWT.parse(rotated.accessToken()).getJWTClaimsSet().getSubject()).isEqualTo(login.user().id());
        StepVerifier.create(redis.hasKey(oldKey)).expectNext(false).expectComplete().verify(TIMEOUT);
        TokenResponse next = refresh(rotated.refreshToken()).expectStatus().isOk()
                .expectBody(TokenResponse.class).returnResult().getResponseBody();

        // its successor was used: no longer a retry within the grace (RefreshRetryIntegrationTests) but a reuse
        refresh(login.refreshToken()).expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(401)
                .jsonPath("$.title").isEqualTo("Invalid refresh token")
                .jsonPath("$.detail").isNotEmpty();

        // presenting the rotated-away token was a reuse: the whole session is revoked (SessionLifecycleIntegrationTests)
        refresh(next.refreshToken()).expectStatus().isUnauthorized();
    }

    @Test
    void rejectsRefresh_whenTokenUnknownOrMalformed() {
        refresh("A".repeat(43)).expectStatus().isUnauthorized();
        refresh("not a token").expectStatus().isUnauthorized();
        client.post().uri("/api/auth/refresh").contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(d -> assertThat((String) d).contains("refreshToken"));
    }

    @Test
    void answersProblemDetail400_whenNicknameInvalid() {
        String body = client.post().uri("/api/auth/dev-login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", "x".repeat(33)))
                .exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(body).contains("\"status\":400").contains("nickname: must be 1 to 32 characters");
        assertNoInternals(body);

        client.post().uri("/api/auth/dev-login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", "bad\u0007bell"))
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").isEqualTo("nickname: must not contain control characters");
    }

    @Test
    void answersProblemDetail400_whenBodyIsNotJson() {
        String body = client.post().uri("/api/auth/dev-login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("nickname=alice")
                .exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(body).contains("\"status\":400").contains("\"title\":\"Malformed request\"");
        assertNoInternals(body);

        client.post().uri("/api/auth/dev-login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"nickname\": [1, 2]}")
                .exchange()
                .expectStatus().isBadRequest();
        client.post().uri("/api/auth/refresh").contentType(MediaType.APPLICATION_JSON)
                .exchange()
                .expectStatus().isBadRequest();
    }

    @Test
    void answersProblemDetail415_whenContentTypeIsNotJson() {
        client.post().uri("/api/auth/dev-login")
                .contentType(MediaType.TEXT_PLAIN)
                .bodyValue("alice")
                .exchange()
                .expectStatus().isEqualTo(415)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void reportsHealthUp_onManagementPort() {
        WebTestClient management = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + managementPort).responseTimeout(TIMEOUT).build();

        management.get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
        management.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
        management.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    }

    private TokenResponse devLogin(String nickname, String avatarUrl) {
        Map<String, String> body = avatarUrl == null
                ? Map.of("nickname", nickname)
                : Map.of("nickname", nickname, "avatarUrl", avatarUrl);
        return client.post().uri("/api/auth/dev-login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange()
                .expectStatus().isOk()
                .expectBody(TokenResponse.class)
                .returnResult().getResponseBody();
    }

    private WebTestClient.ResponseSpec refresh(String refreshToken) {
        return client.post().uri("/api/auth/refresh")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("refreshToken", refreshToken))
                .exchange();
    }

    static void assertNoInternals(String problemBody) {
        assertThat(problemBody).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("trace")
                .doesNotContain("io.wxim").doesNotContain("tools.jackson");
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String sha256Hex(String value) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(value.getBytes(StandardCharsets.UTF_8)));
    }
}
