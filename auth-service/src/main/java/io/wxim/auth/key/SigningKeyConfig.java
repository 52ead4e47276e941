package io.wxim.auth.key;

import com.nimbusds.jose.jwk.RSAKey;
import io.wxim.auth.config.AuthProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Provides the one signing key, read at startup; the service does not start without one. */
@Configuration(proxyBeanMethods = false)
class SigningKeyConfig {
    private static final Logger log = LoggerFactory.getLogger(SigningKeyConfig.class);

    @Bean
    RSAKey signingKey(AuthProperties props) {
        AuthProperties.Signing signing = props.signing();
        RSAKey key;
        if (signing.keyFile() != null) {
            key = KeyMaterialLoader.load(signing.keyFile(), signing.keyId());
            log.info("signing key loaded: kid={} file={}", key.getKeyID(), signing.keyFile());
        } else if (signing.generateIfMissing()) {
            key = KeyMaterialLoader.generate(signing.keyId());
            log.warn("signing key generated in memory: kid={}; tokens will not survive a restart and are not "
                    + "shared between replicas; set im.auth.signing.key-file outside local development", key.getKeyID());
        } else {
            throw new IllegalStateException("No signing key: set im.auth.signing.key-file (env IM_AUTH_SIGNING_KEY_FILE)"
                    + " to a PEM RSA private key, or im.auth.signing.generate-if-missing=true for local development");
        }
        return key;
    }
}
