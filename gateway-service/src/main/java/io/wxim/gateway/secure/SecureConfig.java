package io.wxim.gateway.secure;

import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.FrameCodec;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Payload encryption on /ws. With {@code im.gateway.secure.enabled=true} the gateway fetches private keys from
 * auth-service and refuses to start without the token for that; otherwise {@code secure} frames get {@code unsupported}.
 */
@Configuration(proxyBeanMethods = false)
class SecureConfig {

    @Bean
    @ConditionalOnBooleanProperty("im.gateway.secure.enabled")
    GatewayKeyRing gatewayKeyRing(WebClient.Builder builder, GatewayProperties props) {
        GatewayProperties.Secure secure = props.secure();
        if (secure.token() == null || secure.token().length() < 32) {
            throw new IllegalStateException("payload encryption is enabled (im.gateway.secure.enabled=true) but the "
                    + "gateway cannot fetch keys: set im.gateway.secure.token (env IM_GATEWAY_KEYS_TOKEN, at least 32 "
                    + "characters), the same value as auth-service's im.auth.encryption.gateway-token");
        }
        return new GatewayKeyRing(builder.build(), secure.keysUri(), secure.token(), secure.refreshInterval(),
                secure.minRefetch(), props.proxyTimeout(), Clock.systemUTC());
    }

    @Bean
    SecureHandshake secureHandshake(ObjectProvider<GatewayKeyRing> ring, GatewayProperties props, FrameCodec codec,
                                    MeterRegistry meters) {
        GatewayKeyRing keys = ring.getIfAvailable();
        return keys == null ? SecureHandshake.disabled(codec, meters)
                : SecureHandshake.enabled(keys, props.secure().handshakesPerUser(), props.secure().handshakesPerIp(), codec, meters);
    }
}
