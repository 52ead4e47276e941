package io.wxim.auth.config;

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
 * Encrypts secrets kept in Redis or MongoDB: {@code base64(nonce || AES-256-GCM(plaintext))} with a fresh 12-byte
 * nonce per seal and a caller-chosen context (the owner's id) as associated data, so an entry only opens under the
 * owner it was sealed for and a dump of the store reveals nothing without the key. CPU only; thread-safe.
 */
public final class AtRestCipher {
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKey key;
    private final SecureRandom random;

    /** Runs a self-test, so a JVM that cannot do AES-256-GCM with the key fails at startup, not at first use. */
    public AtRestCipher(SecretKey key, SecureRandom random) {
        this.key = key;
        this.random = random;
        byte[] probe = "selftest".getBytes(StandardCharsets.UTF_8);
        if (!Arrays.equals(probe, open("selftest", seal("selftest", probe)))) {
            throw new IllegalStateException("at-rest cipher self-test failed");
        }
    }

    public String seal(String context, byte[] plaintext) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            byte[] sealed = cipher(Cipher.ENCRYPT_MODE, nonce, context).doFinal(plaintext);
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE_BYTES + sealed.length)
                    .put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal: " + e.getClass().getSimpleName());
        }
    }

    /** The plaintext sealed for {@code context}; fails if the entry was altered, moved or sealed with another key. */
    public byte[] open(String context, String entry) {
        try {
            byte[] bytes = Base64.getDecoder().decode(entry);
            if (bytes.length <= NONCE_BYTES) {
                throw new IllegalStateException("sealed entry too short");
            }
            return cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(bytes, NONCE_BYTES), context)
                    .doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot open a sealed entry: " + e.getClass().getSimpleName());
        }
    }

    private Cipher cipher(int mode, byte[] nonce, String context) throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance(TRANSFORMATION);
        cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
        cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
        return cipher;
    }
}
