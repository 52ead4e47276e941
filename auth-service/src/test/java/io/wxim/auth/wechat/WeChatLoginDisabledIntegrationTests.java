package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.auth.AuthApplication;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.ApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The default: WeChat login is off, its path does not exist, nothing of it is wired, and dev login works as before. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@AutoConfigureWebTestClient
class WeChatLoginDisabledIntegrationTests {

    @DynamicPropertySource
    static void infra(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", TestInfra::redisHost);
        registry.add("spring.data.redis.port", TestInfra::redisPort);
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_auth_test"));
        registry.add("management.server.port", () -> 0);
        registry.add("im.auth.signing.generate-if-missing", () -> true);
        registry.add("im.auth.dev-login.enabled", () -> true);
        // im.auth.wechat.enabled is left at its default; no appid or secrets are needed then
    }

    @Autowired
    WebTestClient client;

    @Autowired
    ApplicationContext context;

    @BeforeEach
    void boundResponses() {
        client = client.mutate().responseTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void answers404LikeAnUnknownPath_whenWeChatLoginDisabled() {
        String wechat = post404("/api/auth/wechat/login");
        String unknown = post404("/api/auth/wechat/nothing");

        assertThat(wechat).contains("\"status\":404").doesNotContain("accessToken");
        assertThat(wechat.replace("login", "X")).isEqualTo(unknown.replace("nothing", "X"));
        assertThat(context.getBeanNamesForType(Code2SessionClient.class)).isEmpty();
        assertThat(context.getBeanNamesForType(WeChatCredentials.class)).isEmpty();
    }

    @Test
    void encryptionKeyPathsDoNotExist_whenEncryptionDisabled() {
        client.get().uri("/api/auth/keys").exchange().expectStatus().isNotFound();
        client.get().uri("/internal/encryption-keys").header("Authorization", "Bearer " + "x".repeat(40))
                .exchange().expectStatus().isNotFound();
    }

    @Test
    void keepsDevLogin_whenWeChatLoginDisabled() {
        client.post().uri("/api/auth/dev-login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("nickname", "wechat-off"))
                .exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.accessToken").isNotEmpty();
    }

    private String post404(String path) {
        return client.post().uri(path)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("code", "code-x"))
                .exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(String.class).returnResult().getResponseBody();
    }
}
