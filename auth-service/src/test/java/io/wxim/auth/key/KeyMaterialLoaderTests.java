package io.wxim.auth.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyMaterialLoaderTests {
    private static KeyPair pair;

    @TempDir
    Path dir;

    @BeforeAll
    static void generateKey() throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        pair = generator.generateKeyPair();
    }

    @Test
    void loadsPkcs8Pem_andDerivesPublicKey() throws Exception {
        Path file = write("pkcs8.pem", new JcaPKCS8Generator(pair.getPrivate(), null));
        assertThat(Files.readString(file)).startsWith("-----BEGIN PRIVATE KEY-----");

        RSAKey key = KeyMaterialLoader.load(file, null);

        assertThat(key.isPrivate()).isTrue();
        assertThat(key.toRSAPublicKey()).isEqualTo(pair.getPublic());
        assertThat(key.toRSAPrivateKey()).isEqualTo(pair.getPrivate());
        assertThat(key.getKeyUse()).isEqualTo(KeyUse.SIGNATURE);
        assertThat(key.getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(key.getKeyID()).isEqualTo(key.toPublicJWK().computeThumbprint().toString());
    }

    @Test
    void loadsPkcs1Pem_withSameKeyIdAsPkcs8OfSameKey() throws Exception {
        Path pkcs1 = write("pkcs1.pem", pair.getPrivate());
        assertThat(Files.readString(pkcs1)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        Path pkcs8 = write("pkcs8.pem", new JcaPKCS8Generator(pair.getPrivate(), null));

        RSAKey fromPkcs1 = KeyMaterialLoader.load(pkcs1, null);

        assertThat(fromPkcs1.toRSAPublicKey()).isEqualTo(pair.getPublic());
        assertThat(fromPkcs1.getKeyID()).isEqualTo(KeyMaterialLoader.load(pkcs8, null).getKeyID());
    }

    @Test
    void keyIdIsStable_whenSameKeyLoadedTwice_andDiffersForAnotherKey() throws Exception {
        Path file = write("pkcs8.pem", new JcaPKCS8Generator(pair.getPrivate(), null));

        String first = KeyMaterialLoader.load(file, null).getKeyID();
        String second = KeyMaterialLoader.load(file, " ").getKeyID();

        assertThat(first).isNotBlank().isEqualTo(second);
        assertThat(KeyMaterialLoader.generate(null).getKeyID()).isNotEqualTo(first);
    }

    @Test
    void usesConfiguredKeyId_whenGiven() throws Exception {
        Path file = write("pkcs8.pem", new JcaPKCS8Generator(pair.getPrivate(), null));

        assertThat(KeyMaterialLoader.load(file, "2026-11").getKeyID()).isEqualTo("2026-11");
    }

    @Test
    void failsClearly_whenFileMissingOrHoldsNoPrivateKey() throws Exception {
        assertThatThrownBy(() -> KeyMaterialLoader.load(dir.resolve("absent.pem"), null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("absent.pem");

        Path publicOnly = write("public.pem", pair.getPublic());
        assertThatThrownBy(() -> KeyMaterialLoader.load(publicOnly, null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("holds no private key");

        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a pem file\n");
        assertThatThrownBy(() -> KeyMaterialLoader.load(garbage, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsKey_whenShorterThan2048Bits() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        Path weak = write("weak.pem", new JcaPKCS8Generator(generator.generateKeyPair().getPrivate(), null));

        assertThatThrownBy(() -> KeyMaterialLoader.load(weak, null)).hasMessageContaining("2048");
    }

    @Test
    void generatesSigningKey_whenAsked() {
        RSAKey key = KeyMaterialLoader.generate(null);

        assertThat(key.isPrivate()).isTrue();
        assertThat(key.size()).isEqualTo(2048);
        assertThat(key.getKeyID()).isNotBlank();
    }

    private Path write(String name, Object pemObject) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(pemObject);
        }
        return Files.writeString(dir.resolve(name), out.toString());
    }
}
