package io.wxim.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The default configuration: dev login is off and its path does not exist. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@AutoConfigureWebTestClient
class DevLoginDisabledIntegrationTests {

    @DynamicPropertySource
    static void infra(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", TestInfra::redisHost);
        registry.add("spring.data.redis.port", TestInfra::redisPort);
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_auth_test"));
        registry.add("management.server.port", () -> 0);
        registry.add("im.auth.signing.generate-if-missing", () -> true);
        // im.auth.dev-login.enabled is left at its default
    }

    @Autowired
    WebTestClient client;

    @BeforeEach
    void boundResponses() {
        client = client.mutate().responseTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void answers404LikeAnUnknownPath_whenDevLoginDisabled() {
        String devLogin = post404("/api/auth/dev-login");
        String unknown = post404("/api/auth/no-such-endpoint");

        assertThat(devLogin).doesNotContain("accessToken").contains("\"status\":404");
        assertThat(devLogin.replace("dev-login", "X")).isEqualTo(unknown.replace("no-such-endpoint", "X"));
    }

    private String post404(String path) {
        return client.post().uri(path)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", "alice"))
                .exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).returnResult().getResponseBody();
    }

    @Test
    void stillServesJwksAndRefresh_whenDevLoginDisabled() {
        client.get().uri("/api/auth/jwks").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.keys[0].kid").isNotEmpty();
        client.post().uri("/api/auth/refresh")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("refreshToken", "B".repeat(43)))
                .exchange()
                .expectStatus().isUnauthorized();
    }
}
