package io.wxim.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

/** Tokens that could not be checked are counted (they are logged at DEBUG only); verdicts are not. */
@Timeout(10)
class UncheckedTokenCountTests {

    @Test
    void onlyTokensThatCouldNotBeChecked_areCounted() {
        Jwt jwt = new Jwt("t", Instant.now(), Instant.now().plusSeconds(60), Map.of("alg", "RS256"), Map.of("sub", "u1"));
        ReactiveJwtDecoder verified = token -> switch (token) {
            case "unchecked" -> Mono.error(new JwtException("key id not among the keys fetched; retry shortly"));
            case "bad" -> Mono.error(new BadJwtException("bad signature"));
            default -> Mono.just(jwt);
        };
        Counter unchecked = new SimpleMeterRegistry().counter("im.gateway.tokens.unchecked");
        ReactiveJwtDecoder decoder = SecurityConfig.revocationChecked(verified, Mono::just, unchecked);

        decoder.decode("bad").onErrorResume(e -> Mono.empty()).block();
        decoder.decode("good").block();
        assertThat(unchecked.count()).isZero();

        decoder.decode("unchecked").onErrorResume(e -> Mono.empty()).block();
        decoder.decode("unchecked").onErrorResume(e -> Mono.empty()).block();
        assertThat(unchecked.count()).isEqualTo(2.0);
    }
}
