package io.wxim.auth.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * auth-service settings ({@code im.auth.*}).
 *
 * @param devLogin     nickname-only login for development and demos
 * @param token        access and refresh token lifetimes and claims
 * @param signing      the RS256 signing key
 * @param redisTimeout bound on every Redis call; Redis answers in well under 1 ms, so 2s means it is down
 * @param mongoTimeout bound on every Mongo call; a keyed read or upsert takes a few ms, so 3s means trouble
 * @param adminToken   bearer token of the internal admin API ({@code /internal/users/{id}/ban}); unset: that API
 *                     answers 404. A secret (env {@code IM_AUTH_ADMIN_TOKEN}), at least 32 characters
 */
@Validated
@ConfigurationProperties("im.auth")
public record AuthProperties(
        @Valid @DefaultValue DevLogin devLogin,
        @Valid @DefaultValue Token token,
        @Valid @DefaultValue Signing signing,
        @DefaultValue("2s") Duration redisTimeout,
        @DefaultValue("3s") Duration mongoTimeout,
        String adminToken) {

    public AuthProperties {
        requirePositive(redisTimeout, "im.auth.redis-timeout");
        requirePositive(mongoTimeout, "im.auth.mongo-timeout");
        adminToken = adminToken == null || adminToken.isBlank() ? null : adminToken.strip();
        if (adminToken != null && adminToken.length() < 32) {
            throw new IllegalArgumentException("im.auth.admin-token must be at least 32 characters");
        }
    }

    @Override
    public String toString() {
        return "AuthProperties[devLogin=" + devLogin + ", token=" + token + ", signing=" + signing
                + ", redisTimeout=" + redisTimeout + ", mongoTimeout=" + mongoTimeout
                + ", adminToken=" + (adminToken == null ? "unset" : "<redacted>") + "]";
    }

    /**
     * @param enabled whether {@code POST /api/auth/dev-login} exists. Default false: anyone who knows a nickname
     *                can log in as that user, so it is for the {@code local} profile and demos only.
     */
    public record DevLogin(@DefaultValue("false") boolean enabled) {
    }

    /**
     * @param issuer     {@code iss} claim; verifiers (gateway, history) check it
     * @param audience   {@code aud} claim (a single string); verifiers check it
     * @param accessTtl  access token lifetime. 15 minutes: short enough that a leaked token expires soon, long
     *                   enough that a client refreshes a few times an hour
     * @param refreshTtl refresh token lifetime (and Redis TTL of its entry). 30 days: a mini-program user who
     *                   comes back within a month stays logged in
     * @param refreshRetryGrace how long after a rotation the rotated refresh token may be presented again as a retry
     *                   (the answer was lost: a mobile network, the gateway's 10 s timeout) instead of counting as a
     *                   reuse, as long as the token that rotation issued was not used. 30s: covers a client's 15 s
     *                   request timeout and a retry; 0 turns it off (every second presentation revokes the session).
     *                   At most 5 minutes: within it a copied token still gets a pair (the session then ends at the
     *                   legitimate client's next refresh). At least 2 s unless 0: a retry takes over a new token its
     *                   rotation never stored from half the grace (10 s at most), and that rotation's store is refused
     *                   from then on; below 1 s an ordinary rotation would have its store refused (answered 503)
     */
    public record Token(
            @NotBlank @DefaultValue("wxim") String issuer,
            @NotBlank @DefaultValue("wxim") String audience,
            @DefaultValue("15m") Duration accessTtl,
            @DefaultValue("30d") Duration refreshTtl,
            @DefaultValue("30s") Duration refreshRetryGrace) {

        private static final Duration MAX_REFRESH_RETRY_GRACE = Duration.ofMinutes(5);
        private static final Duration MIN_REFRESH_RETRY_GRACE = Duration.ofSeconds(2);

        public Token {
            requirePositive(accessTtl, "im.auth.token.access-ttl");
            requirePositive(refreshTtl, "im.auth.token.refresh-ttl");
            if (refreshRetryGrace == null || refreshRetryGrace.isNegative()
                    || refreshRetryGrace.compareTo(MAX_REFRESH_RETRY_GRACE) > 0
                    || !refreshRetryGrace.isZero() && refreshRetryGrace.compareTo(MIN_REFRESH_RETRY_GRACE) < 0) {
                throw new IllegalArgumentException("im.auth.token.refresh-retry-grace must be 0s or between "
                        + MIN_REFRESH_RETRY_GRACE.toSeconds() + "s and " + MAX_REFRESH_RETRY_GRACE.toMinutes()
                        + "m, was " + refreshRetryGrace);
            }
        }
    }

    /**
     * @param keyFile           PEM file with the RSA private key (PKCS#8 {@code PRIVATE KEY} or PKCS#1
     *                          {@code RSA PRIVATE KEY}, unencrypted, at least 2048 bits), mounted as a secret.
     *                          No default: a signing key is a secret and never ships with the service
     * @param keyId             {@code kid} header and JWK id. Default: the key's RFC 7638 thumbprint, so the same
     *                          key always gets the same id and a new key a new one
     * @param generateIfMissing when true and no keyFile is set, generate an in-memory RSA-2048 key at startup.
     *                          Default false: tokens signed with it do not survive a restart and replicas would
     *                          not share it; for the {@code local} profile and tests only
     */
    public record Signing(Path keyFile, String keyId, @DefaultValue("false") boolean generateIfMissing) {

        public Signing {
            // an unset environment placeholder binds as an empty path or string: treat it as absent
            keyFile = keyFile == null || keyFile.toString().isBlank() ? null : keyFile;
            keyId = keyId == null || keyId.isBlank() ? null : keyId.strip();
        }
    }

    private static void requirePositive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + value);
        }
    }
}
