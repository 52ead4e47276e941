package io.wxim.gateway.config;

import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.MappedJwtClaimSetConverter;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import reactor.core.publisher.Mono;

/**
 * The gateway's token verification ({@link ReactiveJwtDecoder}: RS256 against auth-service's JWKS, audience, subject,
 * then revocation), used by the {@code /ws} handshake ({@code WebSocketEndpoint}, served ahead of WebFlux) and the
 * in-band {@code auth} refresh, and by the {@code /api/**} edge ({@code ApiProxyRouter}: a bearer token is checked
 * before it is passed on, except on the {@code auth} route; each service still authenticates its own API).
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class SecurityConfig {

    /**
     * Signature (RS256, JWKS), exp/nbf, audience and subject, then revocation (logout, ban, refresh reuse). A token that
     * could not be checked is counted ({@code im.gateway.tokens.unchecked}) and logged at DEBUG only where it is
     * refused: under a flood of made-up key ids a line per request would be the flood again, and the key fetch's own
     * WARN already says when auth-service's keys are out of reach.
     */
    @Bean
    ReactiveJwtDecoder jwtDecoder(GatewayProperties props, io.wxim.gateway.auth.RevocationCheck revocations,
                                  io.micrometer.core.instrument.MeterRegistry meters) {
        return revocationChecked(signatureDecoder(props), revocations::check, meters.counter("im.gateway.tokens.unchecked"));
    }

    /** {@code verified}, then {@code revocation}; a token either could not check is counted on {@code unchecked}. */
    static ReactiveJwtDecoder revocationChecked(ReactiveJwtDecoder verified,
                                                java.util.function.Function<Jwt, Mono<Jwt>> revocation,
                                                io.micrometer.core.instrument.Counter unchecked) {
        return token -> verified.decode(token).flatMap(revocation)
                .doOnError(io.wxim.gateway.auth.TokenChecks::notChecked, e -> unchecked.increment());
    }

    /**
     * The signature decoder, bounded in time: a token whose key is not held may wait for the JWK set to be fetched
     * ({@link JwkSetCache}: at most every {@code jwks-min-refetch}, each fetch bounded too). Past {@code checkTimeout} the check
     * fails as a {@link JwtException} (not checked: 503 at the handshake and on {@code /api}, {@code unavailable} for
     * an in-band {@code auth}), and the fetch is cancelled.
     */
    static ReactiveJwtDecoder signatureDecoder(GatewayProperties props) {
        return signatureDecoder(props, System::nanoTime);
    }

    /** With the clock the key set's refetch interval is measured on ({@code nanoTime}), for tests. */
    static ReactiveJwtDecoder signatureDecoder(GatewayProperties props, java.util.function.LongSupplier nanoTime) {
        ReactiveJwtDecoder decoder = unboundedSignatureDecoder(props, nanoTime);
        java.time.Duration timeout = props.auth().checkTimeout();
        return token -> decoder.decode(token)
                // Spring wraps a key source's failure as IllegalStateException("Could not obtain the keys")
                .onErrorMap(IllegalStateException.class, e -> e.getCause() instanceof JwtException cause ? cause
                        : new JwtException("auth-service's keys could not be obtained", e))
                .timeout(timeout, Mono.error(() ->
                        new JwtException("the token could not be checked within " + timeout.toMillis() + " ms")));
    }

    private static ReactiveJwtDecoder unboundedSignatureDecoder(GatewayProperties props,
                                                                java.util.function.LongSupplier nanoTime) {
        JwkSetCache keys = new JwkSetCache(org.springframework.web.reactive.function.client.WebClient.create(),
                props.auth().jwksUri(), props.auth().checkTimeout(), props.auth().jwksMinRefetch(), nanoTime);
        NimbusReactiveJwtDecoder decoder = NimbusReactiveJwtDecoder.withJwkSource(keys::keysFor)
                .jwsAlgorithm(SignatureAlgorithm.RS256)
                .build();
        // iss stays a string: the default converter tries java.net.URL first and, for a non-URL issuer such as ours,
        // throws and catches an exception per token (~2 % of the gateway's CPU in a reconnect storm).
        decoder.setClaimSetConverter(MappedJwtClaimSetConverter.withDefaults(
                java.util.Map.of(JwtClaimNames.ISS, iss -> iss == null ? null : iss.toString())));
        String audience = props.auth().audience();
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(
                JwtValidators.createDefault(),
                new JwtClaimValidator<List<String>>("aud", aud -> aud != null && aud.contains(audience)),
                new JwtClaimValidator<String>("sub", sub -> sub != null && sub.matches("[A-Za-z0-9_-]{1,64}"))));
        return decoder;
    }

    @Bean
    SecurityWebFilterChain passThroughChain(ServerHttpSecurity http) {
        return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(ServerHttpSecurity.RequestCacheSpec::disable)
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .authorizeExchange(a -> a.anyExchange().permitAll())
                .build();
    }
}
