package io.wxim.auth.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class AuthPropertiesTests {

    @Test
    void bindsDefaults_whenNothingIsSet() {
        AuthProperties props = bind(Map.of());

        assertThat(props.devLogin().enabled()).isFalse();
        assertThat(props.token().issuer()).isEqualTo("wxim");
        assertThat(props.token().audience()).isEqualTo("wxim");
        assertThat(props.token().accessTtl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(props.token().refreshTtl()).isEqualTo(Duration.ofDays(30));
        assertThat(props.token().refreshRetryGrace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(props.signing().keyFile()).isNull();
        assertThat(props.signing().keyId()).isNull();
        assertThat(props.signing().generateIfMissing()).isFalse();
        assertThat(props.redisTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(props.mongoTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void bindsKeyFileAsPath_andTreatsEmptyValuesAsAbsent() {
        AuthProperties props = bind(Map.of("im.auth.signing.key-file", "/run/secrets/auth-key.pem",
                "im.auth.signing.key-id", "k1", "im.auth.token.access-ttl", "5m"));
        assertThat(props.signing().keyFile()).isEqualTo(Path.of("/run/secrets/auth-key.pem"));
        assertThat(props.signing().keyId()).isEqualTo("k1");
        assertThat(props.token().accessTtl()).isEqualTo(Duration.ofMinutes(5));

        AuthProperties empty = bind(Map.of("im.auth.signing.key-file", "", "im.auth.signing.key-id", ""));
        assertThat(empty.signing().keyFile()).isNull();
        assertThat(empty.signing().keyId()).isNull();
    }

    @Test
    void rejectsTtl_whenNotPositive() {
        assertThatThrownBy(() -> bind(Map.of("im.auth.token.access-ttl", "0s")))
                .isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining("im.auth.token.access-ttl");
    }

    @Test
    void bindsRefreshRetryGrace_zeroTurnsItOff_andRejectsNegativeUnderTwoSecondsOrOverFiveMinutes() {
        assertThat(bind(Map.of("im.auth.token.refresh-retry-grace", "0s")).token().refreshRetryGrace()).isZero();
        assertThat(bind(Map.of("im.auth.token.refresh-retry-grace", "2s")).token().refreshRetryGrace())
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(bind(Map.of("im.auth.token.refresh-retry-grace", "5m")).token().refreshRetryGrace())
                .isEqualTo(Duration.ofMinutes(5));
        for (String value : new String[] {"-1s", "1999ms", "301s"}) {
            assertThatThrownBy(() -> bind(Map.of("im.auth.token.refresh-retry-grace", value)))
                    .isInstanceOf(BindException.class)
                    .rootCause().hasMessageContaining("im.auth.token.refresh-retry-grace");
        }
    }

    private static AuthProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("im.auth", AuthProperties.class);
    }
}
