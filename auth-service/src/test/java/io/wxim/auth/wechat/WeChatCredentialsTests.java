package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class WeChatCredentialsTests {
    private final String appId = WeChatTestData.appId();
    private final String secret = WeChatTestData.secret();
    private final String vaultKey = WeChatTestData.vaultKey();

    @TempDir
    Path dir;

    @Test
    void loadsInlineValues() {
        WeChatCredentials credentials = WeChatCredentials.load(props(Map.of("app-id", appId, "secret", secret,
                "vault-key", vaultKey)));

        assertThat(credentials.appId()).isEqualTo(appId);
        assertThat(credentials.secret()).isEqualTo(secret);
        assertThat(credentials.vaultKey().getEncoded()).isEqualTo(Base64.getDecoder().decode(vaultKey));
        assertThat(credentials.toString()).doesNotContain(secret).doesNotContain(vaultKey);
    }

    @Test
    void readsSecretAndVaultKeyFromMountedFiles_trimmingTheNewline() throws Exception {
        Path secretFile = Files.writeString(dir.resolve("secret"), secret + "\n");
        Path keyFile = Files.writeString(dir.resolve("vault-key"), vaultKey + "\n");

        WeChatCredentials credentials = WeChatCredentials.load(props(Map.of("app-id", appId,
                "secret-file", secretFile.toString(), "vault-key-file", keyFile.toString())));

        assertThat(credentials.secret()).isEqualTo(secret);
        assertThat(credentials.vaultKey().getEncoded()).isEqualTo(Base64.getDecoder().decode(vaultKey));
    }

    @Test
    void refuses_whenAppIdMissingOrMalformed() {
        assertRefused(Map.of("secret", secret, "vault-key", vaultKey), "im.auth.wechat.app-id", "WECHAT_APPID");
        assertRefused(Map.of("app-id", "", "secret", secret, "vault-key", vaultKey), "WECHAT_APPID");
        assertRefused(Map.of("app-id", "wx123", "secret", secret, "vault-key", vaultKey), "malformed");
    }

    @Test
    void refuses_whenSecretMissingTwiceMalformedOrUnreadable() throws Exception {
        assertRefused(Map.of("app-id", appId, "vault-key", vaultKey), "WECHAT_SECRET_FILE", "WECHAT_SECRET");
        Path secretFile = Files.writeString(dir.resolve("secret"), secret);
        assertRefused(Map.of("app-id", appId, "secret", secret, "secret-file", secretFile.toString(),
                "vault-key", vaultKey), "not both");
        assertRefused(Map.of("app-id", appId, "secret", "has spaces in it, too short?", "vault-key", vaultKey),
                "malformed");
        assertRefused(Map.of("app-id", appId, "secret-file", dir.resolve("absent").toString(), "vault-key", vaultKey),
                "does not exist");
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertRefused(Map.of("app-id", appId, "secret-file", empty.toString(), "vault-key", vaultKey), "is empty");
    }

    @Test
    void refuses_whenVaultKeyMissingOrNot32Base64Bytes() {
        assertRefused(Map.of("app-id", appId, "secret", secret), "WECHAT_VAULT_KEY_FILE");
        assertRefused(Map.of("app-id", appId, "secret", secret, "vault-key", "not base64!"), "not base64");
        String shortKey = Base64.getEncoder().encodeToString(WeChatTestData.bytes(16));
        assertRefused(Map.of("app-id", appId, "secret", secret, "vault-key", shortKey), "decodes to 16 bytes",
                "openssl rand -base64 32");
    }

    private void assertRefused(Map<String, String> values, String... messageParts) {
        assertThatThrownBy(() -> WeChatCredentials.load(props(values)))
                .isInstanceOf(IllegalStateException.class)
                .satisfies(e -> {
                    for (String part : messageParts) {
                        assertThat(e.getMessage()).contains(part);
                    }
                    assertThat(e.getMessage()).doesNotContain(secret).doesNotContain(vaultKey);
                });
    }

    static WeChatProperties props(Map<String, String> values) {
        Map<String, String> prefixed = new HashMap<>();
        prefixed.put("im.auth.wechat.enabled", "true");
        values.forEach((key, value) -> prefixed.put("im.auth.wechat." + key, value));
        return new Binder(new MapConfigurationPropertySource(prefixed))
                .bindOrCreate("im.auth.wechat", WeChatProperties.class);
    }
}
