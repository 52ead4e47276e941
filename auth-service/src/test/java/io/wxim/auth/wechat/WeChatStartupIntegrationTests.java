package io.wxim.auth.wechat;

import io.wxim.auth.StartupRefusal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With WeChat login on, the real application refuses to start without well-formed credentials, and says why. */
class WeChatStartupIntegrationTests {
    private final String appId = WeChatTestData.appId();
    private final String secret = WeChatTestData.secret();
    private final String vaultKey = WeChatTestData.vaultKey();

    @Test
    void refusesToStart_whenEnabledWithoutSecret() {
        assertRefusesToStart(Map.of("im.auth.wechat.app-id", appId, "im.auth.wechat.vault-key", vaultKey),
                "im.auth.wechat.secret-file (env WECHAT_SECRET_FILE)");
    }

    @Test
    void refusesToStart_whenEnabledWithoutAppIdOrVaultKey() {
        assertRefusesToStart(Map.of("im.auth.wechat.secret", secret, "im.auth.wechat.vault-key", vaultKey),
                "set im.auth.wechat.app-id (env WECHAT_APPID)");
        assertRefusesToStart(Map.of("im.auth.wechat.app-id", appId, "im.auth.wechat.secret", secret),
                "im.auth.wechat.vault-key-file (env WECHAT_VAULT_KEY_FILE)");
    }

    @Test
    void refusesToStart_whenVaultKeyIsMalformed() {
        assertRefusesToStart(Map.of("im.auth.wechat.app-id", appId, "im.auth.wechat.secret", secret,
                "im.auth.wechat.vault-key", "c2hvcnQ="), "vault key", "malformed", "base64 of 32 random bytes");
    }

    private void assertRefusesToStart(Map<String, String> wechat, String... messageParts) {
        Map<String, String> props = new java.util.LinkedHashMap<>(wechat);
        props.put("im.auth.wechat.enabled", "true");
        StartupRefusal.assertRefusesToStart(props, List.of(secret, vaultKey), messageParts);
    }
}
