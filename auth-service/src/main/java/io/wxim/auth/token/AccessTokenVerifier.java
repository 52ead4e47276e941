package io.wxim.auth.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.wxim.auth.config.AuthProperties;
import java.text.ParseException;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.ErrorResponseException;

/**
 * Verifies this service's own access tokens (for its bearer-protected endpoints: logout, profile): RS256 with the
 * signing key only, {@code iss}, {@code aud}, {@code exp}, {@code sub} and {@code sid} required. CPU only.
 */
@Component
public class AccessTokenVerifier {
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    AccessTokenVerifier(RSAKey signingKey, AuthProperties props) {
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256,
                new ImmutableJWKSet<>(new JWKSet(signingKey.toPublicJWK()))));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(props.token().audience(),
                new JWTClaimsSet.Builder().issuer(props.token().issuer()).build(), Set.of("sub", "exp", "sid")));
    }

    /** The claims of a valid token from an {@code Authorization} header value; 401 otherwise. */
    public JWTClaimsSet verifyBearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized();
        }
        try {
            return processor.process(authorization.substring(7).strip(), null);
        } catch (ParseException | BadJOSEException | JOSEException e) {
            throw unauthorized();
        }
    }

    private static ErrorResponseException unauthorized() {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED,
                "A valid access token is required (Authorization: Bearer ...).");
        problem.setTitle("Unauthorized");
        return new ErrorResponseException(HttpStatus.UNAUTHORIZED, problem, null);
    }
}
