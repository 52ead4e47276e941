package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import io.wxim.auth.AuthApplication;
import io.wxim.auth.token.TokenResponse;
import io.wxim.auth.user.LoginMethod;
import io.wxim.auth.user.ProfileUpdate;
import io.wxim.auth.user.UserService;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import io.wxim.wechatfake.FakeWeChatServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.test.StepVerifier;

/** WeChat login end to end against the fake WeChat: users, links, the session_key vault, and every error mapping. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@AutoConfigureWebTestClient
class WeChatLoginIntegrationTests {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final String APP_ID = WeChatTestData.appId();
    static final String SECRET = WeChatTestData.secret();
    /** Not closed: it must outlive reruns of this class and the cached context that points at it (daemon threads). */
    static final FakeWeChatServer WECHAT = FakeWeChatServer.start(APP_ID, SECRET);

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
    UserService users;

    @Autowired
    WeChatSessionKeyRepository sessionKeys;

    @Autowired
    ReactiveStringRedisTemplate redis;

    @BeforeEach
    void boundResponses() {
        client = client.mutate().responseTimeout(TIMEOUT).build();
    }

    @Test
    void createsUser_onFirstLogin_andFindsHim_whenSameOpenIdLogsInAgain() throws Exception {
        String user = unique("amy");

        TokenResponse first = login(Map.of("code", user + ".1"));
        TokenResponse again = login(Map.of("code", user + ".2"));
        TokenResponse other = login(Map.of("code", unique("ben")));

        assertThat(first.user().id()).matches("u[a-z2-7]{20}");
        assertThat(again.user().id()).isEqualTo(first.user().id());
        assertThat(other.user().id()).isNotEqualTo(first.user().id());
        assertThat(first.tokenType()).isEqualTo("Bearer");
        assertThat(first.expiresIn()).isEqualTo(900);
        assertThat(first.refreshToken()).matches("[A-Za-z0-9_-]{43}");
        assertThat(SignedJWT.parse(first.accessToken()).getJWTClaimsSet().getSubject()).isEqualTo(first.user().id());
        assertThat(userIdOf(LoginMethod.WECHAT, WECHAT.openIdFor(user + ".1"))).isEqualTo(first.user().id());
        // the vault holds the latest login's session key, sealed, for sessionKeyTtl
        String key = WeChatSessionKeyRepository.key(first.user().id());
        StepVerifier.create(redis.getExpire(key))
                .assertNext(ttl -> assertThat(ttl).isBetween(Duration.ofDays(3).minusMinutes(1), Duration.ofDays(3)))
                .expectComplete().verify(TIMEOUT);
        StepVerifier.create(sessionKeys.find(first.user().id()))
                .expectNext(WECHAT.sessionKeyFor(user + ".2"))
                .expectComplete().verify(TIMEOUT);
    }

    @Test
    void linksUnionId_onFirstLogin_andFindsUserByIt() {
        String code = unique("u-cat");

        TokenResponse first = login(Map.of("code", code + ".1"));
        TokenResponse again = login(Map.of("code", code + ".2"));

        assertThat(again.user().id()).isEqualTo(first.user().id());
        assertThat(userIdOf(LoginMethod.WECHAT_UNION, WECHAT.unionIdFor(code))).isEqualTo(first.user().id());
        assertThat(userIdOf(LoginMethod.WECHAT, WECHAT.openIdFor(code))).isEqualTo(first.user().id());
    }

    @Test
    void logsInAsUnionIdUser_andLinksOpenId_whenUnionIdIsKnownFromElsewhere() {
        String code = unique("u-dora");
        // the same person came in through another app of the open platform account before
        UserRef known = users.findOrCreate(LoginMethod.WECHAT_UNION, WECHAT.unionIdFor(code),
                new ProfileUpdate("Dora", null)).block(TIMEOUT);

        TokenResponse login = login(Map.of("code", code));

        assertThat(login.user().id()).isEqualTo(known.id());
        assertThat(login.user().nickname()).isEqualTo("Dora");
        assertThat(userIdOf(LoginMethod.WECHAT, WECHAT.openIdFor(code))).isEqualTo(known.id());
    }

    @Test
    void linksUnionId_toOpenIdUser_whenAppGotBoundToOpenPlatformLater() {
        String code = unique("u-eve");
        UserRef known = users.findOrCreate(LoginMethod.WECHAT, WECHAT.openIdFor(code), new ProfileUpdate("Eve", null))
                .block(TIMEOUT);

        TokenResponse login = login(Map.of("code", code));

        assertThat(login.user().id()).isEqualTo(known.id());
        assertThat(userIdOf(LoginMethod.WECHAT_UNION, WECHAT.unionIdFor(code))).isEqualTo(known.id());
    }

    @Test
    void takesProfile_fromSignedRawData() {
        String code = unique("fay");
        String sessionKey = WeChatTestData.sessionKey();
        WECHAT.useSessionKey(code, sessionKey);
        String rawData = WeChatTestData.rawData("Fay", "https://thirdwx.qlogo.cn/mmopen/fay/132");

        TokenResponse login = login(Map.of("code", code, "rawData", rawData,
                "signature", WeChatTestData.sign(rawData, sessionKey)));

        assertThat(login.user().nickname()).isEqualTo("Fay");
        assertThat(login.user().avatarUrl()).isEqualTo("https://thirdwx.qlogo.cn/mmopen/fay/132");
    }

    @Test
    void answers400BadSignature_andCreatesNoUser_whenRawDataSignatureIsWrong() {
        String code = unique("gus");
        String rawData = WeChatTestData.rawData("Gus", "https://a.example/g.png");

        expectProblem(Map.of("code", code, "rawData", rawData, "signature", WeChatTestData.sign(rawData, "guess")),
                400, "bad_signature", false);
        assertThat(userIdOf(LoginMethod.WECHAT, WECHAT.openIdFor(code))).isNull();
    }

    @Test
    void takesTheProfile_fromEncryptedData_butNeverLinksItsUnionId() {
        String code = unique("hal");
        String sessionKey = WeChatTestData.sessionKey();
        WECHAT.useSessionKey(code, sessionKey);
        String unionId = "uUNION" + UUID.randomUUID().toString().replace("-", "");
        String[] data = WeChatTestData.encrypt(WeChatTestData.userData(WECHAT.openIdFor(code), "哈尔",
                "https://a.example/h.png", unionId, APP_ID), sessionKey);

        TokenResponse login = login(Map.of("code", code, "encryptedData", data[0], "iv", data[1]));

        assertThat(login.user().nickname()).isEqualTo("哈尔");
        assertThat(login.user().avatarUrl()).isEqualTo("https://a.example/h.png");
        // encryptedData is AES-CBC without integrity: only code2session's unionid (server to server) links accounts
        assertThat(userIdOf(LoginMethod.WECHAT_UNION, unionId)).isNull();
    }

    @Test
    void answers400_whenEncryptedDataHasOtherWatermarkOrIsGarbage() {
        String sessionKey = WeChatTestData.sessionKey();
        String foreign = unique("ivy");
        WECHAT.useSessionKey(foreign, sessionKey);
        String[] otherApp = WeChatTestData.encrypt(WeChatTestData.userData("o", "Ivy", "https://a.example/i.png",
                null, WeChatTestData.appId()), sessionKey);
        String garbage = unique("jon");
        String[] wrongKey = WeChatTestData.encrypt(WeChatTestData.userData("o", "Jon", "https://a.example/j.png",
                null, APP_ID), WeChatTestData.sessionKey());

        expectProblem(Map.of("code", foreign, "encryptedData", otherApp[0], "iv", otherApp[1]), 400, "bad_watermark",
                false);
        expectProblem(Map.of("code", garbage, "encryptedData", wrongKey[0], "iv", wrongKey[1]), 400,
                "bad_encrypted_data", false);
        assertThat(userIdOf(LoginMethod.WECHAT, WECHAT.openIdFor(foreign))).isNull();
        assertThat(userIdOf(LoginMethod.WECHAT, WECHAT.openIdFor(garbage))).isNull();
    }

    @Test
    void answers503Busy_afterOneRetry() {
        String code = "busy-" + UUID.randomUUID();

        expectProblem(Map.of("code", code), 503, "wechat_busy", true)
                .expectHeader().valueEquals("Retry-After", "1");
        assertThat(WECHAT.calls(code)).isEqualTo(2);
    }

    @Test
    void answers400_whenCodeIsInvalidOrUsed_withoutRetrying() {
        String invalid = "nonsense-" + UUID.randomUUID();
        String used = unique("kim");
        login(Map.of("code", used));

        expectProblem(Map.of("code", invalid), 400, "invalid_code", false)
                .expectHeader().doesNotExist("Retry-After");
        expectProblem(Map.of("code", used), 400, "code_used", false);

        assertThat(WECHAT.calls(invalid)).isEqualTo(1);
        assertThat(WECHAT.calls(used)).isEqualTo(2);
    }

    @Test
    void answers429_whenRateLimited_and403_whenBlocked() {
        String limited = "ratelimit-" + UUID.randomUUID();
        String blocked = "blocked-" + UUID.randomUUID();

        expectProblem(Map.of("code", limited), 429, "rate_limited", true)
                .expectHeader().valueEquals("Retry-After", "60");
        expectProblem(Map.of("code", blocked), 403, "user_blocked", false);
        assertThat(WECHAT.calls(limited)).isEqualTo(1);
        assertThat(WECHAT.calls(blocked)).isEqualTo(1);
    }

    @Test
    void answers400_whenRequestIsInvalid_withoutCallingWeChat() {
        String tooLong = "code-" + "x".repeat(124);
        client.post().uri("/api/auth/wechat/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("code", tooLong)).exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").isEqualTo("code: must be 1 to 128 characters");
        client.post().uri("/api/auth/wechat/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("rawData", "{}")).exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.detail").value(d -> assertThat((String) d)
                        .contains("code: is required").contains("rawData and signature go together"));
        client.post().uri("/api/auth/wechat/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("code", "code-a b")).exchange()
                .expectStatus().isBadRequest();
        client.post().uri("/api/auth/wechat/login").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("not json").exchange()
                .expectStatus().isBadRequest();
        assertThat(WECHAT.calls(tooLong)).isZero();
        assertThat(WECHAT.calls("code-a b")).isZero();
    }

    private WebTestClient.ResponseSpec expectProblem(Map<String, String> body, int status, String code,
                                                     boolean retryable) {
        WebTestClient.ResponseSpec response = client.post().uri("/api/auth/wechat/login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange();
        response.expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(status)
                .jsonPath("$.code").isEqualTo(code)
                .jsonPath("$.retryable").isEqualTo(retryable)
                .jsonPath("$.title").isEqualTo("WeChat login failed")
                .jsonPath("$.detail").isNotEmpty()
                .jsonPath("$.accessToken").doesNotExist();
        return response;
    }

    private TokenResponse login(Map<String, String> body) {
        return client.post().uri("/api/auth/wechat/login")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(new HashMap<>(body))
                .exchange()
                .expectStatus().isOk()
                .expectBody(TokenResponse.class)
                .returnResult().getResponseBody();
    }

    private String userIdOf(LoginMethod method, String key) {
        return users.findUserId(method, key).block(TIMEOUT);
    }

    /** A fresh valid fake code: {@code code-<prefix>-<random>}; add {@code .1}, {@code .2} for more codes of that user. */
    static String unique(String prefix) {
        return "code-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
