package io.wxim.auth.key;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads the RSA signing key once at startup (Bouncy Castle PEM parsing) and turns it into a Nimbus {@link RSAKey}
 * with {@code kid}, {@code use=sig} and {@code alg=RS256}. Blocking file I/O: call at startup only.
 */
public final class KeyMaterialLoader {
    /** Smallest accepted modulus; RS256 with less is considered broken. */
    public static final int MIN_KEY_BITS = 2048;

    private KeyMaterialLoader() {
    }

    /**
     * Loads an unencrypted RSA private key from a PEM file (PKCS#8 {@code PRIVATE KEY} or PKCS#1
     * {@code RSA PRIVATE KEY}) and derives its public key.
     *
     * @param keyId the {@code kid} to use, or null/blank for the RFC 7638 thumbprint
     */
    public static RSAKey load(Path pemFile, String keyId) {
        if (!Files.isReadable(pemFile)) {
            throw new IllegalStateException("signing key file " + pemFile + " does not exist or is not readable");
        }
        Object parsed;
        try (Reader reader = Files.newBufferedReader(pemFile, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            parsed = parser.readObject();
        } catch (IOException e) {
            throw new IllegalStateException("signing key file " + pemFile + " is not valid PEM", e);
        }
        PrivateKey privateKey = toPrivateKey(parsed, pemFile);
        if (!(privateKey instanceof RSAPrivateCrtKey crt)) {
            throw new IllegalStateException("signing key file " + pemFile + " does not hold an RSA private key");
        }
        return toJwk(publicKeyOf(crt), crt, keyId);
    }

    /** Generates an in-memory RSA-2048 key (local development and tests only: it dies with the process). */
    public static RSAKey generate(String keyId) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(MIN_KEY_BITS);
            var pair = generator.generateKeyPair();
            return toJwk((RSAPublicKey) pair.getPublic(), (RSAPrivateCrtKey) pair.getPrivate(), keyId);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an RSA key", e);
        }
    }

    private static PrivateKey toPrivateKey(Object parsed, Path pemFile) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try {
            if (parsed instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            if (parsed instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
        } catch (IOException e) {
            throw new IllegalStateException("signing key file " + pemFile + " holds an unreadable private key", e);
        }
        if (parsed instanceof PEMEncryptedKeyPair || parsed instanceof PKCS8EncryptedPrivateKeyInfo) {
            throw new IllegalStateException("signing key file " + pemFile
                    + " is encrypted; mount an unencrypted PKCS#8 or PKCS#1 key (protect the file instead)");
        }
        throw new IllegalStateException("signing key file " + pemFile
                + " holds no private key (expected PEM 'PRIVATE KEY' or 'RSA PRIVATE KEY')");
    }

    private static RSAPublicKey publicKeyOf(RSAPrivateCrtKey key) {
        try {
            var spec = new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent());
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot derive the RSA public key", e);
        }
    }

    private static RSAKey toJwk(RSAPublicKey publicKey, RSAPrivateCrtKey privateKey, String keyId) {
        if (publicKey.getModulus().bitLength() < MIN_KEY_BITS) {
            throw new IllegalStateException("signing key has " + publicKey.getModulus().bitLength()
                    + " bits; at least " + MIN_KEY_BITS + " are required");
        }
        RSAKey.Builder builder = new RSAKey.Builder(publicKey)
                .privateKey(privateKey)
                .keyUse(KeyUse.SIGNATURE)
                .algorithm(JWSAlgorithm.RS256);
        try {
            return (keyId == null || keyId.isBlank() ? builder.keyIDFromThumbprint() : builder.keyID(keyId.strip()))
                    .build();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot compute the key thumbprint", e);
        }
    }
}
