package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.wxim.auth.AuthApplication;
import io.wxim.testinfra.TestInfra;
import io.wxim.wechatfake.FakeWeChatServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/**
 * Canary: a session_key with a recognizable value goes through successful and failed logins with DEBUG logging on
 * for our code and for Spring's web client, server and codecs, and must not show up anywhere outside the vault: not
 * in answers (body or headers), not in the access token, not in any log line. The vault entry must exist, and must
 * not be the plaintext. The AppSecret must not show up in logs or answers either.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.config.name=" + AuthApplication.CONFIG_NAME,
                "logging.level.io.wxim=DEBUG",
                "logging.level.org.springframework.web=DEBUG",
                "logging.level.org.springframework.http=DEBUG",
                "logging.level.org.springframework.core.codec=DEBUG",
                "logging.level.reactor.netty=DEBUG"})
@AutoConfigureWebTestClient
@ExtendWith(OutputCaptureExtension.class)
class SessionKeyCanaryIntegrationTests {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final String APP_ID = WeChatTestData.appId();
    static final String SECRET = WeChatTestData.secret();
    /** Not closed: it must outlive reruns of this class and the cached context that points at it (daemon threads). */
    static final FakeWeChatServer WECHAT = FakeWeChatServer.start(APP_ID, SECRET);
    /** 16 bytes, so it works as a real session key (AES-128) for signatures and encryptedData. */
    static final byte[] CANARY_BYTES = "CANARY-wx-sk-42!".getBytes(StandardCharsets.US_ASCII);
    static final String CANARY = Base64.getEncoder().encodeToString(CANARY_BYTES);
    static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void infra(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", TestInfra::redisHost);
        registry.add("spring.data.redis.port", TestInfra::redisPort);
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_auth_test"));
        registry.add("management.server.port", () -> 0);
        registry.add("im.auth.signing.generate-if-missing", () -> true);
        registry.add("im.auth.wechat.enabled", () -> true);
        registry.add("im.auth.wechat.base-url", WECHAT::baseUrl);
        registry.add("im.auth.wechat.app-id", () -> APP_ID);
        registry.add("im.auth.wechat.secret", () -> SECRET);
        registry.add("im.auth.wechat.vault-key", WeChatTestData::vaultKey);
    }


    @Autowired
    WebTestClient client;

    @Autowired
    ReactiveStringRedisTemplate redis;

    @Autowired
    WeChatSessionKeyRepository sessionKeys;

    @Test
    void neverRevealsSessionKey_inAnswersTokensOrLogs_butKeepsItSealedInTheVault(CapturedOutput output)
            throws Exception {
        WebTestClient bounded = client.mutate().responseTimeout(TIMEOUT).build();
        String code = WeChatLoginIntegrationTests.unique("u-canary");
        WECHAT.useSessionKey(code, CANARY);
        String rawData = WeChatTestData.rawData("Canary", "https://a.example/canary.png");
        String[] data = WeChatTestData.encrypt(WeChatTestData.userData(WECHAT.openIdFor(code), "Canary",
                "https://a.example/canary.png", null, APP_ID), CANARY);

        EntityExchangeResult<String> ok = bounded.post().uri("/api/auth/wechat/login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json(Map.of("code", code, "rawData", rawData,
                        "signature", WeChatTestData.sign(rawData, CANARY), "encryptedData", data[0], "iv", data[1])))
                .exchange()
                .expectStatus().isOk()
                .expectBody(String.class).returnResult();
        // failures with the same session key: a bad signature, a bad watermark, a used code
        String badCode = WeChatLoginIntegrationTests.unique("canary-bad");
        WECHAT.useSessionKey(badCode, CANARY);
        EntityExchangeResult<String> badSignature = bounded.post().uri("/api/auth/wechat/login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json(Map.of("code", badCode, "rawData", rawData, "signature", "0".repeat(40))))
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody(String.class).returnResult();
        EntityExchangeResult<String> used = bounded.post().uri("/api/auth/wechat/login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(json(Map.of("code", code)))
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody(String.class).returnResult();

        assertThat(WECHAT.sessionKeyFor(code)).isEqualTo(CANARY);
        for (EntityExchangeResult<String> result : List.of(ok, badSignature, used)) {
            assertNoCanary("answer body", result.getResponseBody());
            assertNoCanary("answer headers", result.getResponseHeaders().toString());
            assertThat(result.getResponseBody()).doesNotContain(SECRET);
        }
        String accessToken = ok.getResponseBody().replaceAll(".*\"accessToken\":\"([^\"]+)\".*", "$1");
        SignedJWT jwt = SignedJWT.parse(accessToken);
        assertNoCanary("token header", jwt.getHeader().toString());
        assertNoCanary("token claims", jwt.getJWTClaimsSet().toString());
        assertThat(jwt.getJWTClaimsSet().getStringClaim("name")).isEqualTo("Canary");

        String userId = jwt.getJWTClaimsSet().getSubject();
        String entry = redis.opsForValue().get(WeChatSessionKeyRepository.key(userId)).block(TIMEOUT);
        assertThat(entry).isNotBlank().isNotEqualTo(CANARY);
        assertNoCanary("vault entry", entry);
        assertNoCanary("vault entry bytes", new String(Base64.getDecoder().decode(entry), StandardCharsets.ISO_8859_1));
        StepVerifier.create(sessionKeys.find(userId)).expectNext(CANARY).expectComplete().verify(TIMEOUT);

        // the logs did run at DEBUG (so this proves something), and carry neither the session key nor the secret
        assertThat(output.getAll()).contains("wechat login: userId=" + userId + " outcome=ok")
                .contains("outcome=bad_signature").contains("outcome=code_used")
                .containsPattern("DEBUG .*(ExchangeFunctions|HttpClient|codec)");
        assertNoCanary("logs", output.getAll());
        assertThat(output.getAll()).doesNotContain(SECRET).doesNotContain(code);
    }

    /**
     * The request body as bytes: the test's own WebClient would otherwise log the body (with the login code) at
     * DEBUG, and this test checks that the service never logs codes.
     */
    private static byte[] json(Map<String, String> body) {
        return JSON.writeValueAsBytes(body);
    }

    private static void assertNoCanary(String where, String text) {
        assertThat(text).as(where)
                .doesNotContain(CANARY)
                .doesNotContain(CANARY.replace("=", ""))
                .doesNotContain(new String(CANARY_BYTES, StandardCharsets.US_ASCII))
                .doesNotContainIgnoringCase(HexFormat.of().formatHex(CANARY_BYTES))
                .doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(CANARY_BYTES));
    }
}
