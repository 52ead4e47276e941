package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class WeChatUserInfoTests {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final String appId = WeChatTestData.appId();
    private final String sessionKey = WeChatTestData.sessionKey();

    @Test
    void takesProfile_whenRawDataSignatureMatches() {
        String rawData = WeChatTestData.rawData("Band", "https://thirdwx.qlogo.cn/mmopen/x/132");

        WeChatUserInfo info = WeChatUserInfo.fromRawData(rawData, WeChatTestData.sign(rawData, sessionKey),
                sessionKey, JSON);

        assertThat(info).isEqualTo(new WeChatUserInfo("Band", "https://thirdwx.qlogo.cn/mmopen/x/132", null));
    }

    @Test
    void acceptsUpperCaseSignature() {
        String rawData = WeChatTestData.rawData("Band", "https://a.example/1.png");
        String signature = WeChatTestData.sign(rawData, sessionKey).toUpperCase(Locale.ROOT);

        assertThat(WeChatUserInfo.fromRawData(rawData, signature, sessionKey, JSON).nickname()).isEqualTo("Band");
    }

    @Test
    void rejectsRawData_whenSignatureIsForOtherDataOrKey() {
        String rawData = WeChatTestData.rawData("Band", "https://a.example/1.png");
        String tampered = rawData.replace("Band", "Admin");

        assertCode(() -> WeChatUserInfo.fromRawData(tampered, WeChatTestData.sign(rawData, sessionKey), sessionKey,
                JSON), "bad_signature");
        assertCode(() -> WeChatUserInfo.fromRawData(rawData, WeChatTestData.sign(rawData,
                WeChatTestData.sessionKey()), sessionKey, JSON), "bad_signature");
    }

    @Test
    void takesProfileAndUnionId_whenEncryptedDataHasOurWatermark() {
        String[] data = WeChatTestData.encrypt(WeChatTestData.userData("oOPEN", "小明", "https://a.example/2.png",
                "uUNION", appId), sessionKey);

        WeChatUserInfo info = WeChatUserInfo.fromEncryptedData(data[0], data[1], sessionKey, appId, JSON);

        assertThat(info).isEqualTo(new WeChatUserInfo("小明", "https://a.example/2.png", "uUNION"));
    }

    @Test
    void rejectsEncryptedData_whenWatermarkNamesAnotherApp() {
        String[] data = WeChatTestData.encrypt(WeChatTestData.userData("o1", "A", "https://a.example/a.png", null,
                WeChatTestData.appId()), sessionKey);

        assertCode(() -> WeChatUserInfo.fromEncryptedData(data[0], data[1], sessionKey, appId, JSON), "bad_watermark");
        String[] noWatermark = WeChatTestData.encrypt("{\"nickName\":\"A\"}", sessionKey);
        assertCode(() -> WeChatUserInfo.fromEncryptedData(noWatermark[0], noWatermark[1], sessionKey, appId, JSON),
                "bad_watermark");
    }

    @Test
    void rejectsEncryptedData_whenItDoesNotDecrypt() {
        String[] data = WeChatTestData.encrypt(WeChatTestData.userData("o1", "A", "https://a.example/a.png", null,
                appId), sessionKey);
        String otherKey = WeChatTestData.sessionKey();
        String garbage = Base64.getEncoder().encodeToString(WeChatTestData.bytes(48));
        String[] notJson = WeChatTestData.encrypt("not json at all", sessionKey);

        assertCode(() -> WeChatUserInfo.fromEncryptedData(garbage, data[1], sessionKey, appId, JSON),
                "bad_encrypted_data");
        assertCode(() -> WeChatUserInfo.fromEncryptedData(data[0], data[1], otherKey, appId, JSON),
                "bad_encrypted_data");
        assertCode(() -> WeChatUserInfo.fromEncryptedData("%%%", data[1], sessionKey, appId, JSON),
                "bad_encrypted_data");
        assertCode(() -> WeChatUserInfo.fromEncryptedData(data[0], "AAAA", sessionKey, appId, JSON),
                "bad_encrypted_data");
        assertCode(() -> WeChatUserInfo.fromEncryptedData(notJson[0], notJson[1], sessionKey, appId, JSON),
                "bad_encrypted_data");
    }

    @Test
    void dropsProfileValues_thatDoNotFitOurRules() {
        String rawData = "{\"nickName\":\"  a\\u0007b" + "x".repeat(40) + "\",\"avatarUrl\":\"javascript:alert(1)\"}";

        WeChatUserInfo info = WeChatUserInfo.fromRawData(rawData, WeChatTestData.sign(rawData, sessionKey),
                sessionKey, JSON);

        assertThat(info.nickname()).startsWith("abx").hasSize(32);
        assertThat(info.avatarUrl()).isNull();
        String blank = "{\"nickName\":\"   \"}";
        assertThat(WeChatUserInfo.fromRawData(blank, WeChatTestData.sign(blank, sessionKey), sessionKey, JSON))
                .isEqualTo(WeChatUserInfo.NONE);
    }

    @Test
    void prefersOwnValues_andFillsGapsFromOther() {
        WeChatUserInfo encrypted = new WeChatUserInfo("E", null, "u1");
        WeChatUserInfo raw = new WeChatUserInfo("R", "https://a.example/r.png", null);

        assertThat(encrypted.or(raw)).isEqualTo(new WeChatUserInfo("E", "https://a.example/r.png", "u1"));
    }

    private static void assertCode(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(WeChatLoginException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.status().value()).isEqualTo(400);
            assertThat(e.retryable()).isFalse();
        });
    }
}
