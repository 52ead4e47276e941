package io.wxim.auth.wechat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class SessionKeyVaultTests {
    private final SessionKeyVault vault = vault();

    @Test
    void opensWhatItSealed_andNeverStoresThePlaintext() {
        String sessionKey = WeChatTestData.sessionKey();

        String first = vault.seal("u1", sessionKey);
        String second = vault.seal("u1", sessionKey);

        assertThat(vault.open("u1", first)).isEqualTo(sessionKey);
        assertThat(first).isNotEqualTo(second).doesNotContain(sessionKey);
        // 12-byte nonce + 24 bytes of session key + 16-byte tag
        assertThat(Base64.getDecoder().decode(first)).hasSize(12 + sessionKey.length() + 16);
    }

    @Test
    void refusesToOpen_whenEntryIsForAnotherUserTamperedOrFromAnotherKey() {
        String sealed = vault.seal("u1", WeChatTestData.sessionKey());
        byte[] bytes = Base64.getDecoder().decode(sealed);
        bytes[bytes.length - 1] ^= 1;

        assertThatThrownBy(() -> vault.open("u2", sealed)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> vault.open("u1", Base64.getEncoder().encodeToString(bytes)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> vault().open("u1", sealed)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> vault.open("u1", "AAAA")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> vault.open("u1", "not base64!")).isInstanceOf(IllegalStateException.class);
    }

    private static SessionKeyVault vault() {
        byte[] key = Base64.getDecoder().decode(WeChatTestData.vaultKey());
        return new SessionKeyVault(new SecretKeySpec(key, "AES"), new SecureRandom());
    }
}
