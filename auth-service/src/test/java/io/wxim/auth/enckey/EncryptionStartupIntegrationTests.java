package io.wxim.auth.enckey;

import io.wxim.auth.StartupRefusal;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
        Map<String, String> props = new java.util.LinkedHashMap<>(encryption);
        props.put("im.auth.encryption.enabled", "true");
        StartupRefusal.assertRefusesToStart(props, List.of(KEK, TOKEN), messageParts);
    }
}
