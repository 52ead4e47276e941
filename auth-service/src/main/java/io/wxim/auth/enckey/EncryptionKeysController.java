package io.wxim.auth.enckey;

import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/auth/keys}: the public encryption keys as a JWK set ({@code use: enc}, {@code alg: RSA-OAEP-256}),
 * newest first, with {@code current} naming the one to use; a key being retired carries {@code exp}. Public, cacheable
 * for a minute.
 *
 * <p>{@code GET /internal/encryption-keys}: the private keys for gateways (never routed by the gateway; needs
 * {@code Authorization: Bearer <im.auth.encryption.gateway-token>}, else 401): every key not yet retired, the next one
 * included, as base64 PKCS#8 with its activation and retirement times. {@code Cache-Control: no-store}.
 *
 * <p>Both are 503 (problem+json, {@code Retry-After}) until the first key exists, and absent (404) when encryption is off.
 */
@RestController
@ConditionalOnBooleanProperty("im.auth.encryption.enabled")
class EncryptionKeysController {
    static final Duration MAX_AGE = Duration.ofSeconds(60);

    private final EncryptionKeyRing ring;
    private final EncryptionConfig.GatewayKeyAccess access;

    EncryptionKeysController(EncryptionKeyRing ring, EncryptionConfig.GatewayKeyAccess access) {
        this.ring = ring;
        this.access = access;
    }

    @GetMapping("/api/auth/keys")
    ResponseEntity<?> publicKeys() {
        List<EncryptionKey> keys = ring.published();
        if (keys.isEmpty()) {
            return unavailable();
        }
        List<Map<String, Object>> jwks = keys.stream().map(k -> {
            RSAKey.Builder jwk = new RSAKey.Builder(k.publicKey()).keyID(k.kid()).keyUse(KeyUse.ENCRYPTION)
                    .algorithm(JWEAlgorithm.RSA_OAEP_256).issueTime(Date.from(k.activatesAt()));
            if (k.retiresAt() != null) {
                jwk.expirationTime(Date.from(k.retiresAt()));
            }
            return jwk.build().toPublicJWK().toJSONObject();
        }).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current", keys.get(0).kid());
        body.put("keys", jwks);
        return ResponseEntity.ok().cacheControl(CacheControl.maxAge(MAX_AGE).cachePublic()).body(body);
    }

    @GetMapping("/internal/encryption-keys")
    ResponseEntity<?> privateKeys(
            @RequestHeader(name = HttpHeaders.AUTHORIZATION, required = false) String authorization) {
        if (!access.token().matches(authorization)) {
            return ResponseEntity.status(HttpStatus.UNAUTHORIZED).build();
        }
        List<EncryptionKey> keys = ring.keys();
        if (keys.isEmpty()) {
            return unavailable();
        }
        List<Map<String, Object>> entries = keys.stream().map(k -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("kid", k.kid());
            entry.put("privateKey", Base64.getEncoder().encodeToString(k.privateKey().getEncoded()));
            entry.put("activatesAt", k.activatesAt().toEpochMilli());
            entry.put("retiresAt", k.retiresAt() == null ? null : k.retiresAt().toEpochMilli());
            return entry;
        }).toList();
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(Map.of("keys", entries));
    }

    private static ResponseEntity<?> unavailable() {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5")
                .body(ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, "No encryption key yet; retry shortly."));
    }
}
