package io.wxim.protocol.crypto;

import java.security.GeneralSecurityException;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * Transports the 32-byte AES-256 session key of a secure channel: the client wraps it with the server's RSA public key
 * using RSA-OAEP with SHA-256 and MGF1-SHA-256 (empty label), the server unwraps it.
 *
 * <p>The OAEP parameters are always passed explicitly: SunJCE's {@code OAEPWithSHA-256AndMGF1Padding} defaults MGF1 to
 * SHA-1 and does not interoperate with node-forge or node:crypto. Anything else (PKCS#1 v1.5, OAEP-SHA1, another key,
 * a payload that is not exactly 32 bytes) fails with one uniform {@link SecureChannelException} and no cause.
 *
 * <p>Instances are immutable and thread-safe (a {@link Cipher} is created per call). RSA-2048 OAEP decryption costs
 * about 1 ms of CPU: do it once per session and rate-limit handshakes.
 */
public final class KeyWrap {
    /** The only message of an unwrap failure. */
    public static final String FAILURE = "invalid wrapped key";
    public static final int MIN_RSA_BITS = 2048;
    public static final int KEY_BYTES = 32;

    private static final String TRANSFORMATION = "RSA/ECB/OAEPPadding";
    private static final OAEPParameterSpec OAEP_SHA256 =
            new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

    private final RSAPrivateKey privateKey;
    private final int modulusBytes;

    /** @throws IllegalArgumentException if the key is smaller than {@value #MIN_RSA_BITS} bits */
    public KeyWrap(RSAPrivateKey privateKey) {
        this.modulusBytes = checkSize(privateKey);
        this.privateKey = privateKey;
    }

    /** Unwraps a base64 (RFC 4648, with padding) wrapped key; see {@link #unwrap(byte[])}. */
    public byte[] unwrap(String wrappedBase64) {
        byte[] wrapped;
        try {
            wrapped = Base64.getDecoder().decode(wrappedBase64);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SecureChannelException(FAILURE);
        }
        return unwrap(wrapped);
    }

    /** Returns the 32-byte session key; the caller owns (and should zero) the returned array. */
    public byte[] unwrap(byte[] wrapped) {
        if (wrapped == null || wrapped.length != modulusBytes) {
            throw new SecureChannelException(FAILURE);
        }
        byte[] key = null;
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, privateKey, OAEP_SHA256);
            key = cipher.doFinal(wrapped);
        } catch (GeneralSecurityException | RuntimeException e) {
            // No cause, no detail: padding, label-hash and key errors must all look the same.
            throw new SecureChannelException(FAILURE);
        }
        if (key.length != KEY_BYTES) {
            Arrays.fill(key, (byte) 0);
            throw new SecureChannelException(FAILURE);
        }
        return key;
    }

    /** The client side (and tests): wraps a 32-byte key for the server's public key. */
    public static byte[] wrap(RSAPublicKey publicKey, byte[] key) {
        checkSize(publicKey);
        if (key == null || key.length != KEY_BYTES) {
            throw new IllegalArgumentException("key must be " + KEY_BYTES + " bytes");
        }
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, publicKey, OAEP_SHA256);
            return cipher.doFinal(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA-OAEP is unavailable", e);
        }
    }

    private static int checkSize(RSAKey key) {
        if (key == null) {
            throw new IllegalArgumentException("no RSA key");
        }
        int bits = key.getModulus().bitLength();
        if (bits < MIN_RSA_BITS) {
            throw new IllegalArgumentException("RSA key must have at least " + MIN_RSA_BITS + " bits, has " + bits);
        }
        return (bits + 7) / 8;
    }
}
