package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.auth.AuthApplication;
import io.wxim.testinfra.TestInfra;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

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
        Map<String, String> props = new LinkedHashMap<>();
        props.put("server.port", "0");
        props.put("management.server.port", "0");
        props.put("spring.main.banner-mode", "off");
        props.put("spring.data.redis.host", TestInfra.redisHost());
        props.put("spring.data.redis.port", String.valueOf(TestInfra.redisPort()));
        props.put("spring.mongodb.uri", TestInfra.mongoUri("im_auth_test"));
        props.put("im.auth.signing.generate-if-missing", "true");
        props.put("im.auth.wechat.enabled", "true");
        props.putAll(wechat);
        String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);

        assertThatThrownBy(() -> {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(AuthApplication.class)
                    .properties("spring.config.name=" + AuthApplication.CONFIG_NAME)
                    .registerShutdownHook(false)
                    .run(args);
            context.close();
        }).satisfies(e -> {
            List<String> messages = new ArrayList<>();
            for (Throwable t = e; t != null; t = t.getCause()) {
                messages.add(String.valueOf(t.getMessage()));
            }
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertThat(root).isInstanceOf(IllegalStateException.class);
            for (String part : messageParts) {
                assertThat(root.getMessage()).contains(part);
            }
            assertThat(String.join("\n", messages)).doesNotContain(secret).doesNotContain(vaultKey);
        });
    }
}
