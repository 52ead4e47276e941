package io.wxim.auth.key;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.time.Duration;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Publishes the public signing key(s) so that gateway and history can verify access tokens. */
@RestController
class JwksController {
    /**
     * Verifiers cache the set this long. Short, so that a rotated key reaches them within minutes; a verifier that
     * sees an unknown {@code kid} should refetch at once anyway.
     */
    static final Duration MAX_AGE = Duration.ofMinutes(5);

    private final String jwks;

    JwksController(RSAKey signingKey) {
        // JWKSet.toString() writes public parameters only; toPublicJWK() makes that explicit.
        this.jwks = new JWKSet(signingKey.toPublicJWK()).toString();
    }

    @GetMapping(path = "/api/auth/jwks", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<String> jwks() {
        return ResponseEntity.ok()
                .cacheControl(CacheControl.maxAge(MAX_AGE).cachePublic())
                .contentType(MediaType.APPLICATION_JSON)
                .body(jwks);
    }
}
