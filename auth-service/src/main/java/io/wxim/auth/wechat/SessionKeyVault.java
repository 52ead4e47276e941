package io.wxim.auth.wechat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts session keys at rest: {@code base64(nonce || AES-256-GCM(session_key))} with a fresh 12-byte nonce per
 * seal and the user id as associated data, so an entry only opens under the user it was sealed for. The key comes
 * from {@code im.auth.wechat.vault-key(-file)}; without it a Redis dump reveals no session key. CPU only.
 */
class SessionKeyVault {
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKey key;
    private final SecureRandom random;

    SessionKeyVault(SecretKey key, SecureRandom random) {
        this.key = key;
        this.random = random;
        // Fail at startup, not at the first login, if this JVM cannot do AES-256-GCM with the key.
        if (!"selftest".equals(open("selftest", seal("selftest", "selftest")))) {
            throw new IllegalStateException("session_key vault self-test failed");
        }
    }

    String seal(String userId, String sessionKey) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, userId);
            byte[] sealed = cipher.doFinal(sessionKey.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE_BYTES + sealed.length)
                    .put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal a session key: " + e.getClass().getSimpleName());
        }
    }

    /** The session key sealed for {@code userId}; fails if the entry was altered, moved or sealed with another key. */
    String open(String userId, String entry) {
        try {
            byte[] bytes = Base64.getDecoder().decode(entry);
            if (bytes.length <= NONCE_BYTES) {
                throw new IllegalStateException("session key entry too short");
            }
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(bytes, NONCE_BYTES), userId);
            byte[] plain = cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES);
            return new String(plain, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot open a session key entry: " + e.getClass().getSimpleName());
        }
    }

    private Cipher cipher(int mode, byte[] nonce, String userId) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance(TRANSFORMATION);
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(userId.getBytes(StandardCharsets.UTF_8));
        return cipher;
    }
}
