package io.wxim.auth.config;

import java.security.SecureRandom;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Bean wiring that is not a feature of its own. */
@Configuration(proxyBeanMethods = false)
class AuthConfig {
    /** Time source for token claims; replaced in tests that need a fixed time. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** Source of refresh tokens and user ids. Non-blocking on Linux (reads /dev/urandom). */
    @Bean
    SecureRandom secureRandom() {
        return new SecureRandom();
    }
}
