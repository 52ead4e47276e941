package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The gateway's signature check against a real JWK set endpoint: how often it asks auth-service for the keys. */
@Timeout(60)
class JwkSetCacheTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicReference<String> served = new AtomicReference<>();
    /** The clock the refetch interval is measured on: moved by hand. */
    private final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
    private DisposableServer jwks;

    @AfterEach
    void stop() {
        if (jwks != null) {
            jwks.disposeNow();
        }
    }

    private ReactiveJwtDecoder decoder(String minRefetch, Duration answerDelay) {
        jwks = HttpServer.create().host("127.0.0.1").port(0)
                .handle((request, response) -> {
                    fetches.incrementAndGet();
                    String body = served.get();
                    return body == null ? response.status(503).send()
                            : response.header("Content-Type", "application/json")
                                    .sendString(Mono.just(body).delayElement(answerDelay));
                })
                .bindNow();
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of(
                "im.gateway.auth.jwks-uri", "http://127.0.0.1:" + jwks.port() + "/api/auth/jwks",
                "im.gateway.auth.jwks-min-refetch", minRefetch)))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        return SecurityConfig.signatureDecoder(props, nanos::get);
    }

    private static RSAKey key(String kid) throws Exception {
        return new RSAKeyGenerator(2048).keyID(kid).generate();
    }

    private void serve(RSAKey... keys) {
        served.set(new JWKSet(List.of(keys)).toPublicJWKSet().toString());
    }

    /** An access token as auth-service issues it, signed by {@code key} and naming key id {@code kid}. */
    private static String token(RSAKey key, String kid) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("u1").audience("wxim")
                .issueTime(new Date()).expirationTime(Date.from(Instant.now().plusSeconds(300))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(JOSEObjectType.JWT).build(),
                claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Test
    void madeUpKeyIds_doNotMakeTheGatewayFetchTheKeysAgain_withinTheInterval() throws Exception {
        RSAKey k1 = key("k1");
        serve(k1);
        ReactiveJwtDecoder tokens = decoder("1h", Duration.ZERO);
        assertThat(tokens.decode(token(k1, "k1")).block(WAIT).getSubject()).isEqualTo("u1");
        assertThat(fetches).hasValue(1);
        for (int i = 0; i < 20; i++) {
            String madeUp = token(k1, "made-up-" + i);
            assertThatThrownBy(() -> tokens.decode(madeUp).block(WAIT)).isInstanceOf(JwtException.class);
        }
        assertThat(fetches).hasValue(1); // Spring's remote key source: 21
        assertThat(tokens.decode(token(k1, "k1")).block(WAIT).getSubject()).isEqualTo("u1");
    }

    @Test
    void aKeyRotatedIn_isRetryLaterWithinTheInterval_checkedOnceItHasPassed_andTheOldOneKept() throws Exception {
        RSAKey k1 = key("k1");
        RSAKey k2 = key("k2");
        serve(k1);
        ReactiveJwtDecoder tokens = decoder("5s", Duration.ZERO);
        tokens.decode(token(k1, "k1")).block(WAIT);
        serve(k2); // a rolling rotation: this replica lists only the new key
        String fresh = token(k2, "k2");
        assertThatThrownBy(() -> tokens.decode(fresh).block(WAIT))
                .isInstanceOf(JwtException.class).isNotInstanceOf(BadJwtException.class); // not checked: retry, 503
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(tokens.decode(fresh).block(WAIT).getSubject()).isEqualTo("u1");
        assertThat(fetches).hasValue(2);
        assertThat(tokens.decode(token(k1, "k1")).block(WAIT).getSubject()) // the old key is kept (merged), no fetch
                .isEqualTo("u1");
        assertThat(fetches).hasValue(2);
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        String forged = token(key("k3"), "k3"); // after a fetch that did not find it, a key id is unknown: invalid
        assertThatThrownBy(() -> tokens.decode(forged).block(WAIT)).isInstanceOf(BadJwtException.class);
        assertThat(fetches).hasValue(3);
    }

    @Test
    void aTokenOfAnotherAlgorithm_isInvalidAtOnce_withoutAFetch() throws Exception {
        RSAKey k1 = key("k1");
        serve(k1);
        ReactiveJwtDecoder tokens = decoder("1h", Duration.ZERO);
        tokens.decode(token(k1, "k1")).block(WAIT);
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("u1").audience("wxim")
                .expirationTime(Date.from(Instant.now().plusSeconds(300))).build();
        SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims);
        hmac.sign(new com.nimbusds.jose.crypto.MACSigner(new byte[32]));
        assertThatThrownBy(() -> tokens.decode(hmac.serialize()).block(WAIT)).isInstanceOf(BadJwtException.class);
        nanos.addAndGet(Duration.ofHours(2).toNanos()); // even past the interval: no fetch for it
        assertThatThrownBy(() -> tokens.decode(hmac.serialize()).block(WAIT)).isInstanceOf(BadJwtException.class);
        assertThat(fetches).hasValue(1);
    }

    @Test
    void tokensThatArriveWhileTheKeysAreFetched_waitForThatOneFetch() throws Exception {
        RSAKey k1 = key("k1");
        serve(k1);
        ReactiveJwtDecoder tokens = decoder("1h", Duration.ofMillis(300));
        String valid = token(k1, "k1");
        List<String> subjects = Flux.range(0, 10).flatMap(i -> tokens.decode(valid)).map(jwt -> jwt.getSubject())
                .collectList().block(WAIT);
        assertThat(subjects).hasSize(10).containsOnly("u1");
        assertThat(fetches).hasValue(1);
    }

    @Test
    void keysNotReachable_tokensAreNotChecked_andTheFetchIsNotRepeatedWithinTheInterval() throws Exception {
        RSAKey k1 = key("k1");
        ReactiveJwtDecoder tokens = decoder("1h", Duration.ZERO); // serves 503
        String valid = token(k1, "k1");
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> tokens.decode(valid).block(WAIT))
                    .isInstanceOf(JwtException.class).isNotInstanceOf(BadJwtException.class);
        }
        assertThat(fetches).hasValue(1);
    }
}
