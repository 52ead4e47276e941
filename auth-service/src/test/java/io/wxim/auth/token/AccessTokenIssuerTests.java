package io.wxim.auth.token;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.wxim.auth.config.AuthProperties;
import io.wxim.auth.key.KeyMaterialLoader;
import io.wxim.protocol.UserRef;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AccessTokenIssuerTests {
    private static final Instant NOW = Instant.parse("2026-11-22T10:15:30.750Z");
    private static RSAKey key;

    private final AccessTokenIssuer issuer = new AccessTokenIssuer(key, props(Duration.ofMinutes(15)),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @BeforeAll
    static void generateKey() {
        key = KeyMaterialLoader.generate(null);
    }

    @Test
    void signsTokenVerifiableWithPublicJwk_withKidAndClaims() throws Exception {
        AccessToken token = issuer.issue(new UserRef("uabcdefghijklmnopqrst", "Alice", "https://img.example/a.png"), "s1");

        SignedJWT jwt = SignedJWT.parse(token.value());
        assertThat(jwt.verify(new RSASSAVerifier(key.toPublicJWK()))).isTrue();
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(jwt.getHeader().getKeyID()).isEqualTo(key.getKeyID());

        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo("wxim-test-iss");
        assertThat(claims.getAudience()).isEqualTo(List.of("wxim-test-aud"));
        assertThat(claims.getSubject()).isEqualTo("uabcdefghijklmnopqrst");
        assertThat(claims.getJWTID()).isNotBlank();
        assertThat(claims.getStringClaim("name")).isEqualTo("Alice");
        assertThat(claims.getStringClaim("picture")).isEqualTo("https://img.example/a.png");
        assertThat(claims.getStringClaim("sid")).isEqualTo("s1");
    }

    @Test
    void setsExpToIatPlusTtl_inWholeSeconds() throws Exception {
        AccessToken token = issuer.issue(new UserRef("u1", "Alice", null), "s1");

        JWTClaimsSet claims = SignedJWT.parse(token.value()).getJWTClaimsSet();
        assertThat(claims.getIssueTime().toInstant()).isEqualTo(Instant.parse("2026-11-22T10:15:30Z"));
        assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofMinutes(15));
        assertThat(token.issuedAt()).isEqualTo(claims.getIssueTime().toInstant());
        assertThat(token.expiresAt()).isEqualTo(claims.getExpirationTime().toInstant());
    }

    @Test
    void writesAudienceAsSingleString_andOmitsPicture_whenUserHasNoAvatar() throws Exception {
        AccessToken token = issuer.issue(new UserRef("u1", "Bob", null), "s1");

        String payload = new String(Base64.getUrlDecoder().decode(token.value().split("\\.")[1]),
                StandardCharsets.UTF_8);
        assertThat(payload).contains("\"aud\":\"wxim-test-aud\"").doesNotContain("picture");
        assertThat(SignedJWT.parse(token.value()).getJWTClaimsSet().getClaims()).doesNotContainKey("picture");
    }

    @Test
    void usesFreshJti_forEachToken() throws Exception {
        UserRef user = new UserRef("u1", "Bob", null);

        String first = SignedJWT.parse(issuer.issue(user, "s1").value()).getJWTClaimsSet().getJWTID();
        String second = SignedJWT.parse(issuer.issue(user, "s1").value()).getJWTClaimsSet().getJWTID();

        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void failsVerification_withAnotherKey() throws Exception {
        AccessToken token = issuer.issue(new UserRef("u1", "Bob", null), "s1");

        RSAKey other = KeyMaterialLoader.generate(null);
        assertThat(SignedJWT.parse(token.value()).verify(new RSASSAVerifier(other.toPublicJWK()))).isFalse();
    }

    static AuthProperties props(Duration accessTtl) {
        return new AuthProperties(new AuthProperties.DevLogin(false),
                new AuthProperties.Token("wxim-test-iss", "wxim-test-aud", accessTtl, Duration.ofDays(30),
                        Duration.ofSeconds(30)),
                new AuthProperties.Signing(null, null, true), Duration.ofSeconds(2), Duration.ofSeconds(3), null);
    }
}
