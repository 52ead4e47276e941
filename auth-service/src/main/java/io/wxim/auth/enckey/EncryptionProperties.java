package io.wxim.auth.enckey;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Payload-encryption keys ({@code im.auth.encryption.*}): the RSA key pairs clients wrap their per-connection AES key
 * with. Only {@code enabled} is read when it is off. When on, {@link EncryptionConfig} checks the secrets at startup
 * and the service refuses to start without them. Blank values (unset environment placeholders) count as absent.
 *
 * @param enabled                 whether auth-service issues keys ({@code GET /api/auth/keys}) and hands private keys
 *                                to gateways. Default false: it needs two secrets only a deployment has
 * @param keyEncryptionKey        base64 of 32 random bytes: the AES-256 key that encrypts private keys in MongoDB
 *                                (inline; env {@code IM_AUTH_KEY_ENCRYPTION_KEY}); prefer the file
 * @param keyEncryptionKeyFile    file holding it, mounted as a secret (env {@code IM_AUTH_KEY_ENCRYPTION_KEY_FILE})
 * @param gatewayToken            bearer token gateways present to fetch private keys ({@code /internal/encryption-keys});
 *                                at least 32 characters (env {@code IM_GATEWAY_KEYS_TOKEN}, the same on gateways)
 * @param rotationPeriod          how long a key is the current one. 24h
 * @param overlap                 how long a key is still accepted after its successor became current, so clients
 *                                that fetched keys just before a rotation still connect. 2h
 * @param lead                    how long before its activation a new key is created, so every gateway has fetched it
 *                                before any client uses it. Must exceed the gateways' refresh interval (60s). 10m
 * @param checkInterval           how often each instance reloads the key set and rotates if due. 1m
 * @param rsaBits                 RSA modulus size: 2048 (default; about 1 ms per unwrap) or 3072
 */
@ConfigurationProperties("im.auth.encryption")
public record EncryptionProperties(
        @DefaultValue("false") boolean enabled,
        String keyEncryptionKey,
        Path keyEncryptionKeyFile,
        String gatewayToken,
        @DefaultValue("24h") Duration rotationPeriod,
        @DefaultValue("2h") Duration overlap,
        @DefaultValue("10m") Duration lead,
        @DefaultValue("1m") Duration checkInterval,
        @DefaultValue("2048") int rsaBits) {

    public EncryptionProperties {
        keyEncryptionKey = keyEncryptionKey == null || keyEncryptionKey.isBlank() ? null : keyEncryptionKey.strip();
        keyEncryptionKeyFile = keyEncryptionKeyFile == null || keyEncryptionKeyFile.toString().isBlank()
                ? null : keyEncryptionKeyFile;
        gatewayToken = gatewayToken == null || gatewayToken.isBlank() ? null : gatewayToken.strip();
        for (var d : new Object[][]{{rotationPeriod, "rotation-period"}, {overlap, "overlap"}, {lead, "lead"},
                {checkInterval, "check-interval"}}) {
            Duration value = (Duration) d[0];
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("im.auth.encryption." + d[1] + " must be a positive duration");
            }
        }
        if (lead.compareTo(rotationPeriod) >= 0) {
            throw new IllegalArgumentException("im.auth.encryption.lead must be shorter than rotation-period");
        }
        if (checkInterval.compareTo(lead) >= 0) {
            throw new IllegalArgumentException("im.auth.encryption.check-interval must be shorter than lead");
        }
        if (rsaBits != 2048 && rsaBits != 3072 && rsaBits != 4096) {
            throw new IllegalArgumentException("im.auth.encryption.rsa-bits must be 2048, 3072 or 4096");
        }
    }

    @Override
    public String toString() {
        return "EncryptionProperties[enabled=" + enabled + ", keyEncryptionKey=" + (keyEncryptionKey == null ? "unset" : "<redacted>")
                + ", keyEncryptionKeyFile=" + keyEncryptionKeyFile + ", gatewayToken=" + (gatewayToken == null ? "unset" : "<redacted>")
                + ", rotationPeriod=" + rotationPeriod + ", overlap=" + overlap + ", lead=" + lead
                + ", checkInterval=" + checkInterval + ", rsaBits=" + rsaBits + "]";
    }
}
