package io.wxim.auth.wechat;

import io.wxim.auth.config.AtRestCipher;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import javax.crypto.SecretKey;

/**
 * Encrypts session keys at rest ({@link AtRestCipher}, the user id as associated data, so an entry only opens under the
 * user it was sealed for). The key comes from {@code im.auth.wechat.vault-key(-file)}; without it a Redis dump reveals
 * no session key. CPU only.
 */
class SessionKeyVault {
    private final AtRestCipher cipher;

    SessionKeyVault(SecretKey key, SecureRandom random) {
        this.cipher = new AtRestCipher(key, random);
    }

    String seal(String userId, String sessionKey) {
        return cipher.seal(userId, sessionKey.getBytes(StandardCharsets.UTF_8));
    }

    /** The session key sealed for {@code userId}; fails if the entry was altered, moved or sealed with another key. */
    String open(String userId, String entry) {
        return new String(cipher.open(userId, entry), StandardCharsets.UTF_8);
    }
}
