package io.wxim.auth.enckey;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.wxim.auth.AuthApplication;
import io.wxim.protocol.crypto.KeyWrap;
import io.wxim.testinfra.TestInfra;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The real application with payload encryption on: the public JWK set and the gateways' authenticated private path. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "spring.config.name=" + AuthApplication.CONFIG_NAME)
@AutoConfigureWebTestClient
@Timeout(60)
class EncryptionKeysIntegrationTests {
    static final String GATEWAY_TOKEN = "gw-" + UUID.randomUUID() + UUID.randomUUID();

    @DynamicPropertySource
    static void infra(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.host", TestInfra::redisHost);
        registry.add("spring.data.redis.port", TestInfra::redisPort);
        registry.add("spring.mongodb.uri", () -> TestInfra.mongoUri("im_auth_enc_" + UUID.randomUUID().toString().substring(0, 8)));
        registry.add("management.server.port", () -> 0);
        registry.add("im.auth.signing.generate-if-missing", () -> true);
        registry.add("im.auth.encryption.enabled", () -> true);
        registry.add("im.auth.encryption.key-encryption-key", () -> Base64.getEncoder().encodeToString(new byte[32]));
        registry.add("im.auth.encryption.gateway-token", () -> GATEWAY_TOKEN);
    }

    @Autowired
    WebTestClient client;

    @BeforeEach
    void boundResponses() {
        client = client.mutate().responseTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void publishesTheCurrentKeyAsAnEncryptionJwk_withoutAnyPrivateParameter() throws Exception {
        String body = awaitKeys();

        Map<String, Object> json = com.nimbusds.jose.util.JSONObjectUtils.parse(body);
        JWKSet set = JWKSet.parse(body);
        RSAKey key = set.getKeys().get(0).toRSAKey();
        assertThat(json.get("current")).isEqualTo(key.getKeyID());
        assertThat(key.getKeyUse().identifier()).isEqualTo("enc");
        assertThat(key.getAlgorithm().getName()).isEqualTo("RSA-OAEP-256");
        assertThat(key.isPrivate()).isFalse();
        assertThat(body).doesNotContain("\"d\"").doesNotContain("\"p\"").doesNotContain("privateKey");
        assertThat(key.toRSAPublicKey().getModulus().bitLength()).isEqualTo(2048);
    }

    @Test
    void givesGatewaysThePrivateKeys_onlyWithTheGatewayToken() throws Exception {
        RSAKey published = JWKSet.parse(awaitKeys()).getKeys().get(0).toRSAKey();

        client.get().uri("/internal/encryption-keys").exchange().expectStatus().isUnauthorized();
        client.get().uri("/internal/encryption-keys").header(HttpHeaders.AUTHORIZATION, "Bearer " + GATEWAY_TOKEN + "x")
                .exchange().expectStatus().isUnauthorized();
        client.get().uri("/api/auth/../internal/encryption-keys").exchange().expectStatus().value(s -> assertThat(s).isIn(400, 401, 404));

        Map<String, List<Map<String, Object>>> keys = client.get().uri("/internal/encryption-keys")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + GATEWAY_TOKEN)
                .exchange()
                .expectStatus().isOk()
                .expectHeader().cacheControl(org.springframework.http.CacheControl.noStore())
                .expectBody(new ParameterizedTypeReference<Map<String, List<Map<String, Object>>>>() { })
                .returnResult().getResponseBody();
        Map<String, Object> entry = keys.get("keys").stream()
                .filter(k -> published.getKeyID().equals(k.get("kid"))).findFirst().orElseThrow();
        RSAPrivateKey privateKey = (RSAPrivateKey) KeyFactory.getInstance("RSA").generatePrivate(
                new PKCS8EncodedKeySpec(Base64.getDecoder().decode((String) entry.get("privateKey"))));

        byte[] session = new byte[32];
        new java.security.SecureRandom().nextBytes(session);
        assertThat(new KeyWrap(privateKey).unwrap(KeyWrap.wrap(published.toRSAPublicKey(), session))).isEqualTo(session);
        assertThat(entry.get("activatesAt")).isInstanceOf(Number.class);
    }

    /** The first key is created right after startup; bounded wait for it. */
    private String awaitKeys() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            var result = client.get().uri("/api/auth/keys").exchange().expectBody(String.class).returnResult();
            if (result.getStatus().value() == 200) {
                assertThat(result.getResponseHeaders().getCacheControl()).contains("max-age=60");
                return result.getResponseBody();
            }
            assertThat(result.getStatus().value()).isEqualTo(503);
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
