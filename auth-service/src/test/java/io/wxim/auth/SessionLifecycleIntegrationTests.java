package io.wxim.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.wxim.auth.token.TokenResponse;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.Revocation;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.Disposable;
import tools.jackson.databind.json.JsonMapper;

/**
 * Session lifecycle: refresh token reuse revokes the session, logout and ban end sessions (with a revocation
 * published for gateways), banned users cannot log in or refresh, profile updates need a live token.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@AutoConfigureWebTestClient
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SessionLifecycleIntegrationTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void infra(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", TestInfra::redisHost);
        registry.add("spring.data.redis.port", TestInfra::redisPort);
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_auth_session_test"));
        registry.add("management.server.port", () -> 0);
        registry.add("im.auth.dev-login.enabled", () -> true);
        registry.add("im.auth.signing.generate-if-missing", () -> true);
        registry.add("im.auth.admin-token", () -> ADMIN);
    }

    private static final String ADMIN = "admin-" + UUID.randomUUID() + UUID.randomUUID();

    @Autowired
    WebTestClient client;
    @Autowired
    ReactiveStringRedisTemplate redis;
    @Autowired
    ReactiveRedisConnectionFactory factory;

    private final List<Revocation> published = new CopyOnWriteArrayList<>();
    private ReactiveRedisMessageListenerContainer container;
    private Disposable listening;

    @BeforeEach
    void listen() {
        client = client.mutate().responseTimeout(TIMEOUT).build();
        container = new ReactiveRedisMessageListenerContainer(factory);
        listening = container.receiveLater(ChannelTopic.of(RedisNames.REVOCATIONS)).block(TIMEOUT)
                .subscribe(m -> published.add(JSON.readValue(m.getMessage(), Revocation.class)));
    }

    @AfterEach
    void stop() {
        listening.dispose();
        container.destroyLater().block(TIMEOUT);
    }

    @Test
    void reusingARotatedRefreshToken_revokesTheWholeSession() throws Exception {
        TokenResponse login = devLogin(unique("Reuse"));
        String sid = SignedJWT.parse(login.accessToken()).getJWTClaimsSet().getStringClaim("sid");
        assertThat(sid).isNotBlank();
        TokenResponse rotated = refresh(login.refreshToken()).expectStatus().isOk()
                .expectBody(TokenResponse.class).returnResult().getResponseBody();
        assertThat(SignedJWT.parse(rotated.accessToken()).getJWTClaimsSet().getStringClaim("sid")).isEqualTo(sid);

        TokenResponse current = refresh(rotated.refreshToken()).expectStatus().isOk()
                .expectBody(TokenResponse.class).returnResult().getResponseBody();

        // the old token again after its successor was used (so not a retry within the grace): someone copied it.
        // 401, and the current token of the session dies too
        refresh(login.refreshToken()).expectStatus().isUnauthorized();
        refresh(current.refreshToken()).expectStatus().isUnauthorized();
        assertThat(redis.hasKey(RedisNames.revokedSession(sid)).block(TIMEOUT)).isTrue();
        awaitPublished(new Revocation(login.user().id(), sid));

        assertThat(redis.hasKey(RedisNames.revokedFamily(sid)).block(TIMEOUT)).isTrue();
        // another session of the same user is untouched
        TokenResponse other = devLogin(login.user().nickname());
        refresh(other.refreshToken()).expectStatus().isOk();
    }

    @Test
    void logout_endsThatSessionOnly() throws Exception {
        String nickname = unique("Leaver");
        TokenResponse phone = devLogin(nickname);
        TokenResponse laptop = devLogin(nickname);
        String sid = SignedJWT.parse(phone.accessToken()).getJWTClaimsSet().getStringClaim("sid");

        client.post().uri("/api/auth/logout").exchange().expectStatus().isUnauthorized();
        client.post().uri("/api/auth/logout").header("Authorization", "Bearer not-a-token").exchange()
                .expectStatus().isUnauthorized();
        client.post().uri("/api/auth/logout").header("Authorization", "Bearer " + phone.accessToken()).exchange()
                .expectStatus().isNoContent();

        refresh(phone.refreshToken()).expectStatus().isUnauthorized();
        awaitPublished(new Revocation(phone.user().id(), sid));
        // the revoked token is refused here too, the other session still works
        client.put().uri("/api/auth/profile").header("Authorization", "Bearer " + phone.accessToken())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("nickname", "x")).exchange()
                .expectStatus().isUnauthorized();
        refresh(laptop.refreshToken()).expectStatus().isOk();
    }

    @Test
    void ban_refusesLoginAndRefresh_andRevokesEveryToken_untilLifted() {
        TokenResponse login = devLogin(unique("Troll"));
        String userId = login.user().id();

        client.post().uri("/internal/users/{id}/ban", userId).exchange().expectStatus().isUnauthorized();
        client.post().uri("/internal/users/{id}/ban", userId).header("Authorization", "Bearer wrong-" + ADMIN).exchange()
                .expectStatus().isUnauthorized();
        client.post().uri("/internal/users/{id}/ban", "unobody0000").header("Authorization", "Bearer " + ADMIN).exchange()
                .expectStatus().isNotFound();
        client.post().uri("/internal/users/{id}/ban", userId).header("Authorization", "Bearer " + ADMIN).exchange()
                .expectStatus().isNoContent();
        awaitPublished(new Revocation(userId, null));
        assertThat(redis.hasKey(RedisNames.revokedUser(userId)).block(TIMEOUT)).isTrue();

        refresh(login.refreshToken()).expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("banned")
                .jsonPath("$.retryable").isEqualTo(false);
        client.post().uri("/api/auth/dev-login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", login.user().nickname())).exchange()
                .expectStatus().isForbidden().expectBody().jsonPath("$.code").isEqualTo("banned")
                .jsonPath("$.retryable").isEqualTo(false);
        client.put().uri("/api/auth/profile").header("Authorization", "Bearer " + login.accessToken())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("nickname", "x")).exchange()
                .expectStatus().isUnauthorized();

        client.delete().uri("/internal/users/{id}/ban", userId).header("Authorization", "Bearer " + ADMIN).exchange()
                .expectStatus().isNoContent();
        // lifting the ban does not revive the sessions it ended; a new login (after the ban's margin) works
        refresh(login.refreshToken()).expectStatus().isUnauthorized();
        sleep(6000);
        TokenResponse again = devLogin(login.user().nickname());
        assertThat(again.user().id()).isEqualTo(userId);
        refresh(again.refreshToken()).expectStatus().isOk();
    }

    @Test
    void profileUpdate_needsALiveToken_andValidFields() throws Exception {
        TokenResponse login = devLogin(unique("Painter"));
        UserRef updated = client.put().uri("/api/auth/profile").header("Authorization", "Bearer " + login.accessToken())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", "New name", "avatarUrl", "https://img.example/new.png"))
                .exchange().expectStatus().isOk().expectBody(UserRef.class).returnResult().getResponseBody();
        assertThat(updated).isEqualTo(new UserRef(login.user().id(), "New name", "https://img.example/new.png"));
        // the next tokens carry it
        TokenResponse next = refresh(login.refreshToken()).expectStatus().isOk()
                .expectBody(TokenResponse.class).returnResult().getResponseBody();
        assertThat(SignedJWT.parse(next.accessToken()).getJWTClaimsSet().getStringClaim("name")).isEqualTo("New name");

        client.put().uri("/api/auth/profile").header("Authorization", "Bearer " + next.accessToken())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("avatarUrl", "javascript:alert(1)"))
                .exchange().expectStatus().isBadRequest();
        client.put().uri("/api/auth/profile").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", "x")).exchange().expectStatus().isUnauthorized();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitPublished(Revocation expected) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!published.contains(expected) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        assertThat(published).contains(expected);
    }

    private TokenResponse devLogin(String nickname) {
        return client.post().uri("/api/auth/dev-login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", nickname)).exchange()
                .expectStatus().isOk().expectBody(TokenResponse.class).returnResult().getResponseBody();
    }

    private WebTestClient.ResponseSpec refresh(String refreshToken) {
        return client.post().uri("/api/auth/refresh").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("refreshToken", refreshToken)).exchange();
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
