package io.wxim.protocol.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyWrapTests {
    private static final OAEPParameterSpec OAEP_SHA256 =
            new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
    private static KeyPair server;
    private static KeyPair other;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        server = generator.generateKeyPair();
        other = generator.generateKeyPair();
    }

    private static RSAPublicKey pub(KeyPair pair) {
        return (RSAPublicKey) pair.getPublic();
    }

    private static KeyWrap serverWrap() {
        return new KeyWrap((RSAPrivateKey) server.getPrivate());
    }

    private static byte[] key32() {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (0x40 + i);
        }
        return key;
    }

    private static void assertUniformFailure(ThrowingCallable call) {
        assertThatThrownBy(call).isExactlyInstanceOf(SecureChannelException.class)
                .hasMessage(KeyWrap.FAILURE).hasNoCause();
    }

    @Test
    void wrapThenUnwrap_returnsTheKey_asBytesAndAsBase64() {
        byte[] wrapped = KeyWrap.wrap(pub(server), key32());
        assertThat(wrapped).hasSize(256);
        assertThat(serverWrap().unwrap(wrapped)).isEqualTo(key32());
        assertThat(serverWrap().unwrap(Base64.getEncoder().encodeToString(wrapped))).isEqualTo(key32());
        assertThat(KeyWrap.wrap(pub(server), key32())).as("OAEP is randomized").isNotEqualTo(wrapped);
    }

    @Test
    void unwrap_matchesAnExplicitOaepSha256Mgf1Sha256Encryption() throws Exception {
        Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
        cipher.init(Cipher.ENCRYPT_MODE, server.getPublic(), OAEP_SHA256);
        assertThat(serverWrap().unwrap(cipher.doFinal(key32()))).isEqualTo(key32());
    }

    @Test
    void rejectsPkcs1v15WrappedKey() throws Exception {
        Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
        cipher.init(Cipher.ENCRYPT_MODE, server.getPublic());
        byte[] wrapped = cipher.doFinal(key32());
        assertUniformFailure(() -> serverWrap().unwrap(wrapped));
    }

    @Test
    void rejectsOaepSha1WrappedKey() throws Exception {
        Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        cipher.init(Cipher.ENCRYPT_MODE, server.getPublic());
        byte[] wrapped = cipher.doFinal(key32());
        assertUniformFailure(() -> serverWrap().unwrap(wrapped));
    }

    @Test
    void rejectsSunJceDefaultOaepSha256_whoseMgf1IsSha1() throws Exception {
        // STACK.md pitfall 7: this transformation name means OAEP-SHA256 with MGF1-SHA1 in SunJCE.
        Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
        cipher.init(Cipher.ENCRYPT_MODE, server.getPublic());
        byte[] wrapped = cipher.doFinal(key32());
        assertUniformFailure(() -> serverWrap().unwrap(wrapped));
    }

    @Test
    void rejectsKeyWrappedForAnotherRsaKey() {
        byte[] wrapped = KeyWrap.wrap(pub(other), key32());
        assertUniformFailure(() -> serverWrap().unwrap(wrapped));
    }

    @Test
    void rejectsANonEmptyOaepLabel() throws Exception {
        Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
        cipher.init(Cipher.ENCRYPT_MODE, server.getPublic(), new OAEPParameterSpec("SHA-256", "MGF1",
                MGF1ParameterSpec.SHA256, new PSource.PSpecified(new byte[] {1})));
        byte[] wrapped = cipher.doFinal(key32());
        assertUniformFailure(() -> serverWrap().unwrap(wrapped));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 16, 24, 31, 33, 48, 64})
    void rejectsAWrappedKeyOfTheWrongSize(int size) throws Exception {
        Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
        cipher.init(Cipher.ENCRYPT_MODE, server.getPublic(), OAEP_SHA256);
        byte[] wrapped = cipher.doFinal(new byte[size]);
        assertUniformFailure(() -> serverWrap().unwrap(wrapped));
    }

    @Test
    void rejectsMalformedInput_withTheSameMessage() {
        byte[] wrapped = KeyWrap.wrap(pub(server), key32());
        byte[] truncated = Arrays.copyOf(wrapped, 255);
        byte[] extended = Arrays.copyOf(wrapped, 257);
        byte[] flipped = wrapped.clone();
        flipped[100] ^= 1;
        assertUniformFailure(() -> serverWrap().unwrap(truncated));
        assertUniformFailure(() -> serverWrap().unwrap(extended));
        assertUniformFailure(() -> serverWrap().unwrap(flipped));
        assertUniformFailure(() -> serverWrap().unwrap(new byte[0]));
        assertUniformFailure(() -> serverWrap().unwrap(new byte[256])); // 0 < modulus: decrypts to garbage padding
        assertUniformFailure(() -> serverWrap().unwrap((byte[]) null));
        assertUniformFailure(() -> serverWrap().unwrap("not base64!"));
        assertUniformFailure(() -> serverWrap().unwrap((String) null));
    }

    @Test
    void rejectsRsaKeysSmallerThan2048Bits() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        KeyPair small = generator.generateKeyPair();
        assertThatThrownBy(() -> new KeyWrap((RSAPrivateKey) small.getPrivate()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2048");
        assertThatThrownBy(() -> KeyWrap.wrap((RSAPublicKey) small.getPublic(), key32()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2048");
    }

    @Test
    void wrapRefusesAKeyThatIsNot32Bytes() {
        assertThatThrownBy(() -> KeyWrap.wrap(pub(server), new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
