package io.wxim.history.config;

import org.springframework.http.HttpMethod;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;

/**
 * The one security configuration of history-service.
 * <ul>
 *   <li>{@code /api/**}: a JWT bearer token is required (RS256, verified against auth-service's JWKS at
 *       {@code spring.security.oauth2.resourceserver.jwt.jwk-set-uri}; audience {@code wxim} required through
 *       {@code spring.security.oauth2.resourceserver.jwt.audiences}; {@code exp} checked). No token or a bad one: 401.</li>
 *   <li>{@code GET /api/media/{id}}: no token; the signed URL's signature and expiry are checked instead.</li>
 *   <li>{@code /internal/**}: no token; reachable only inside the cluster (the gateway never routes it, and the
 *       network policy must keep it private).</li>
 *   <li>{@code /actuator/**}: open (it is served on the separate management port).</li>
 *   <li>Anything else: denied. Stateless: no session, no CSRF (no cookies are used), no saved requests.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class SecurityConfig {

    @Bean
    SecurityWebFilterChain securityWebFilterChain(ServerHttpSecurity http) {
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .authorizeExchange(exchanges -> exchanges
                        .pathMatchers("/internal/**", "/actuator/**").permitAll()
                        // signed media links: the signature is the credential (for <image src>, which sends no header)
                        .pathMatchers(HttpMethod.GET, "/api/media/*").permitAll()
                        .pathMatchers("/api/**").authenticated()
                        .anyExchange().denyAll())
                .oauth2ResourceServer(oauth2 -> oauth2.jwt(Customizer.withDefaults()))
                .build();
    }
}
