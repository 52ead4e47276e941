package io.wxim.auth.enckey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.auth.AuthApplication;
import io.wxim.testinfra.TestInfra;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** With encryption on, the real application refuses to start without its two secrets, says what to set, and leaks neither. */
@Timeout(60)
class EncryptionStartupIntegrationTests {
    private static final String KEK = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
    private static final String TOKEN = "t".repeat(40);

    @Test
    void refusesToStart_withoutKeyEncryptionKey() {
        assertRefusesToStart(Map.of("im.auth.encryption.gateway-token", TOKEN),
                "im.auth.encryption.key-encryption-key-file (env IM_AUTH_KEY_ENCRYPTION_KEY_FILE)");
    }

    @Test
    void refusesToStart_withMalformedKeyEncryptionKey() {
        assertRefusesToStart(Map.of("im.auth.encryption.gateway-token", TOKEN,
                "im.auth.encryption.key-encryption-key", "c2hvcnQ="), "malformed", "base64 of 32 random bytes");
    }

    @Test
    void refusesToStart_withoutGatewayToken() {
        assertRefusesToStart(Map.of("im.auth.encryption.key-encryption-key", KEK), "IM_GATEWAY_KEYS_TOKEN");
    }

    private void assertRefusesToStart(Map<String, String> encryption, String... messageParts) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("server.port", "0");
        props.put("management.server.port", "0");
        props.put("spring.main.banner-mode", "off");
        props.put("spring.data.redis.host", TestInfra.redisHost());
        props.put("spring.data.redis.port", String.valueOf(TestInfra.redisPort()));
        props.put("spring.mongodb.uri", TestInfra.mongoUri("im_auth_test"));
        props.put("im.auth.signing.generate-if-missing", "true");
        props.put("im.auth.encryption.enabled", "true");
        props.putAll(encryption);
        String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);

        assertThatThrownBy(() -> {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(AuthApplication.class)
                    .properties("spring.config.name=" + AuthApplication.CONFIG_NAME)
                    .registerShutdownHook(false)
                    .run(args);
            context.close();
        }).satisfies(e -> {
            List<String> messages = new ArrayList<>();
            Throwable root = e;
            for (Throwable t = e; t != null; t = t.getCause()) {
                messages.add(String.valueOf(t.getMessage()));
                root = t;
            }
            for (String part : messageParts) {
                assertThat(root.getMessage()).contains(part);
            }
            assertThat(String.join("\n", messages)).doesNotContain(KEK).doesNotContain(TOKEN);
        });
    }
}
