package io.wxim.auth.enckey;

import io.wxim.auth.config.AtRestCipher;
import io.wxim.auth.config.AuthProperties;
import io.wxim.auth.config.BearerSecret;
import io.wxim.auth.config.Secrets;
import java.security.SecureRandom;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;

/**
 * Wires payload-encryption keys when {@code im.auth.encryption.enabled=true}. The key-encryption key and the gateway
 * token are checked first, so a missing or malformed one stops the service at startup with a message saying what to set.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty("im.auth.encryption.enabled")
class EncryptionConfig {
    private static final Logger log = LoggerFactory.getLogger(EncryptionConfig.class);
    private static final String WHY = "payload encryption is enabled (im.auth.encryption.enabled=true)";

    @Bean
    EncryptionKeyStore encryptionKeyStore(EncryptionProperties props, ReactiveMongoTemplate mongo, SecureRandom random,
                                          AuthProperties auth) {
        String kek = Secrets.oneOf(props.keyEncryptionKey(), props.keyEncryptionKeyFile(), "key-encryption key",
                "im.auth.encryption.key-encryption-key-file (env IM_AUTH_KEY_ENCRYPTION_KEY_FILE)",
                "im.auth.encryption.key-encryption-key (env IM_AUTH_KEY_ENCRYPTION_KEY)", WHY);
        AtRestCipher cipher = new AtRestCipher(Secrets.aesKey(kek, "key-encryption key",
                "im.auth.encryption.key-encryption-key-file / key-encryption-key"), random);
        return new EncryptionKeyStore(mongo, cipher, random, props.rsaBits(), auth.mongoTimeout());
    }

    @Bean
    GatewayKeyAccess gatewayKeyAccess(EncryptionProperties props) {
        BearerSecret token = BearerSecret.of(props.gatewayToken(), "im.auth.encryption.gateway-token");
        if (!token.isSet()) {
            throw new IllegalStateException(WHY + " but gateways could not fetch the keys: set "
                    + "im.auth.encryption.gateway-token (env IM_GATEWAY_KEYS_TOKEN, at least " + BearerSecret.MIN_CHARS
                    + " characters) here and on every gateway");
        }
        return new GatewayKeyAccess(token);
    }

    @Bean
    EncryptionKeyRing encryptionKeyRing(EncryptionKeyStore store, EncryptionProperties props, Clock clock) {
        log.info("payload encryption enabled: rotationPeriod={} overlap={} lead={} rsaBits={}",
                props.rotationPeriod(), props.overlap(), props.lead(), props.rsaBits());
        return new EncryptionKeyRing(store, new KeySchedule(props.rotationPeriod(), props.overlap(), props.lead()),
                clock, props.checkInterval());
    }

    /** The gateways' credential for {@code /internal/encryption-keys}. */
    record GatewayKeyAccess(BearerSecret token) {
    }
}
