package io.wxim.wechatfake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class FakeWeChatServerTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String APP_ID = "wx0123456789abcdef";
    private static final String SECRET = UUID.randomUUID().toString().replace("-", "");
    private static final FakeWeChatServer WECHAT = FakeWeChatServer.start(APP_ID, SECRET);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @AfterAll
    static void stop() {
        WECHAT.close();
    }

    @Test
    void answersOpenIdAndSessionKey_asTextPlainJson_whenCodeIsValid() throws Exception {
        HttpResponse<String> response = get(params(APP_ID, SECRET, "code-alice.1"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.has("errcode")).isFalse();
        assertThat(body.get("openid").asString()).isEqualTo(WECHAT.openIdFor("code-alice.1")).hasSize(28);
        assertThat(body.has("unionid")).isFalse();
        String sessionKey = body.get("session_key").asString();
        assertThat(Base64.getDecoder().decode(sessionKey)).hasSize(16);
        assertThat(WECHAT.sessionKeyFor("code-alice.1")).isEqualTo(sessionKey);
        assertThat(WECHAT.calls("code-alice.1")).isEqualTo(1);
    }

    @Test
    void keepsOpenIdPerUser_andIssuesNewSessionKeyPerCode() throws Exception {
        JsonNode first = call("code-bob.1");
        JsonNode second = call("code-bob.2");
        JsonNode other = call("code-carol");

        assertThat(second.get("openid").asString()).isEqualTo(first.get("openid").asString());
        assertThat(other.get("openid").asString()).isNotEqualTo(first.get("openid").asString());
        assertThat(second.get("session_key").asString()).isNotEqualTo(first.get("session_key").asString());
    }

    @Test
    void addsUnionId_whenUserStartsWithU() throws Exception {
        JsonNode first = call("code-u-dave.1");
        JsonNode second = call("code-u-dave.2");

        assertThat(first.get("unionid").asString()).isEqualTo(WECHAT.unionIdFor("code-u-dave.1")).hasSize(28);
        assertThat(second.get("unionid").asString()).isEqualTo(first.get("unionid").asString());
        assertThat(first.get("unionid").asString()).isNotEqualTo(first.get("openid").asString());
        assertThat(WECHAT.unionIdFor("code-erin")).isNull();
    }

    @Test
    void answers40163_whenCodeIsUsedAgain() throws Exception {
        call("code-frank");
        JsonNode again = call("code-frank");

        assertError(again, 40163, "code been used");
        assertThat(WECHAT.calls("code-frank")).isEqualTo(2);
    }

    @Test
    void answersWeChatErrors_byCodePrefix() throws Exception {
        assertError(call("busy-1"), -1, "system error");
        assertError(call("busy-1"), -1, "system error");
        assertError(call("ratelimit-1"), 45011, "api minute-quota reach limit");
        assertError(call("blocked-1"), 40226, "code blocked");
        assertError(call("nonsense"), 40029, "invalid code");
        assertError(call("code-"), 40029, "invalid code");
        assertThat(WECHAT.calls("busy-1")).isEqualTo(2);
        assertThat(WECHAT.sessionKeyFor("busy-1")).isNull();
    }

    @Test
    void checksCredentialsAndParameters_inWeChatOrder() throws Exception {
        assertError(body(params(null, SECRET, "code-x1")), 41002, "appid missing");
        assertError(body(params("wx0000000000000000", SECRET, "code-x1")), 40013, "invalid appid");
        assertError(body(params(APP_ID, null, "code-x1")), 41004, "appsecret missing");
        assertError(body(params(APP_ID, "wrong", "code-x1")), 40125, "invalid appsecret");
        assertError(body(params(APP_ID, SECRET, null)), 41008, "missing code");
        Map<String, String> noGrant = params(APP_ID, SECRET, "code-x1");
        noGrant.remove("grant_type");
        assertError(body(noGrant), 40002, "invalid grant_type");

        // none of these consumed the code
        assertThat(WECHAT.calls("code-x1")).isEqualTo(5);
        assertThat(call("code-x1").has("session_key")).isTrue();
    }

    @Test
    void answersWithFixedSessionKey_whenTestAskedForOne() throws Exception {
        WECHAT.useSessionKey("code-grace", "Q0FOQVJZLWNhbmFyeS0xMg==");

        assertThat(call("code-grace").get("session_key").asString()).isEqualTo("Q0FOQVJZLWNhbmFyeS0xMg==");
        assertThat(WECHAT.sessionKeyFor("code-grace")).isEqualTo("Q0FOQVJZLWNhbmFyeS0xMg==");
        assertThatThrownBy(() -> WECHAT.useSessionKey("busy-1", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void consumesCodeOnce_whenRequestsRace() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            responses.add(HTTP.sendAsync(request(params(APP_ID, SECRET, "code-race")),
                    HttpResponse.BodyHandlers.ofString()));
        }
        int successes = 0;
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            JsonNode body = JSON.readTree(response.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).body());
            if (body.has("session_key")) {
                successes++;
            } else {
                assertError(body, 40163, "code been used");
            }
        }
        assertThat(successes).isEqualTo(1);
        assertThat(WECHAT.calls("code-race")).isEqualTo(8);
    }

    @Test
    void answers404_forOtherPaths() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(WECHAT.baseUrl() + "/cgi-bin/token"))
                .timeout(TIMEOUT).GET().build();
        assertThat(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        assertThat(WECHAT.baseUrl()).startsWith("http://127.0.0.1:");
    }

    @Test
    void refusesToStart_withoutCredentials() {
        assertThatThrownBy(() -> FakeWeChatServer.start(" ", SECRET)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FakeWeChatServer.start(APP_ID, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writesEscapedJson() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("a", "x\"y\\z/\n");
        fields.put("n", -1);
        assertThat(FakeWeChatServer.json(fields)).isEqualTo("{\"a\":\"x\\\"y\\\\z\\/\\u000a\",\"n\":-1}");
    }

    private static void assertError(JsonNode body, int errcode, String errmsg) {
        assertThat(body.get("errcode").asInt()).isEqualTo(errcode);
        assertThat(body.get("errmsg").asString()).startsWith(errmsg).contains(", rid: ");
        assertThat(body.has("session_key")).isFalse();
        assertThat(body.has("openid")).isFalse();
    }

    private static JsonNode call(String code) throws Exception {
        return body(params(APP_ID, SECRET, code));
    }

    private static JsonNode body(Map<String, String> params) throws Exception {
        HttpResponse<String> response = get(params);
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> get(Map<String, String> params) throws Exception {
        return HTTP.send(request(params), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(Map<String, String> params) {
        StringBuilder query = new StringBuilder();
        params.forEach((name, value) -> {
            if (value != null) {
                query.append(query.length() == 0 ? "?" : "&").append(name).append('=')
                        .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        });
        return HttpRequest.newBuilder(URI.create(WECHAT.baseUrl() + FakeWeChatServer.CODE2SESSION_PATH + query))
                .timeout(TIMEOUT).GET().build();
    }

    private static Map<String, String> params(String appId, String secret, String code) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("appid", appId);
        params.put("secret", secret);
        params.put("js_code", code);
        params.put("grant_type", "authorization_code");
        return params;
    }
}
