package io.wxim.auth.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.wxim.auth.config.AuthProperties;
import io.wxim.protocol.UserRef;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Signs access tokens: RS256 JWTs with header {@code kid} and claims {@code iss}, {@code aud} (one string),
 * {@code sub} (user id), {@code iat}, {@code exp} (= iat + accessTtl), {@code jti}, {@code name} (nickname) and
 * {@code picture} (avatar URL, omitted when the user has none) and {@code sid} (the session: the refresh token family
 * it belongs to, so a logout or a reused refresh token can revoke exactly that session). CPU only (about 1 ms per
 * token): no I/O.
 */
@Component
public class AccessTokenIssuer {
    private final RSAKey key;
    private final JWSSigner signer;
    private final AuthProperties.Token props;
    private final Clock clock;

    public AccessTokenIssuer(RSAKey signingKey, AuthProperties props, Clock clock) {
        this.key = signingKey;
        this.props = props.token();
        this.clock = clock;
        try {
            this.signer = new RSASSASigner(signingKey);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing key cannot sign RS256", e);
        }
    }

    public AccessToken issue(UserRef user, String sessionId) {
        // JWT times are whole seconds; truncate first so that exp - iat is exactly the TTL.
        Instant issuedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expiresAt = issuedAt.plus(props.accessTtl());
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(props.issuer())
                .audience(props.audience())
                .subject(user.id())
                .issueTime(Date.from(issuedAt))
                .expirationTime(Date.from(expiresAt))
                .jwtID(UUID.randomUUID().toString())
                .claim("name", user.nickname())
                .claim("sid", sessionId);
        if (user.avatarUrl() != null) {
            claims.claim("picture", user.avatarUrl());
        }
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build();
        SignedJWT jwt = new SignedJWT(header, claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign access token", e);
        }
        return new AccessToken(jwt.serialize(), issuedAt, expiresAt);
    }
}
