package io.wxim.auth.wechat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * WeChat mini-program login ({@code im.auth.wechat.*}). Only {@code enabled} is read when the login is off. When it
 * is on, {@link WeChatCredentials#load} checks the rest at startup and the service refuses to start if the appid,
 * the secret or the vault key is missing or malformed. Blank values (unset environment placeholders) count as absent.
 *
 * @param enabled        whether {@code POST /api/auth/wechat/login} exists. Default false: it needs an appid and
 *                       secrets that only a deployment has
 * @param appId          the mini-program's AppID ({@code wx} + 16 hex digits; env {@code WECHAT_APPID})
 * @param secret         the AppSecret inline (env {@code WECHAT_SECRET}); prefer {@code secretFile}
 * @param secretFile     file holding the AppSecret, mounted as a secret (env {@code WECHAT_SECRET_FILE})
 * @param baseUrl        WeChat API origin. Default {@code https://api.weixin.qq.com}; tests and the local launcher
 *                       point it at a fake
 * @param timeout        bound on one code2session exchange, its single retry included. 5s: WeChat normally answers
 *                       in well under a second, and a user waits on the login screen meanwhile
 * @param sessionKeyTtl  how long the encrypted session_key is kept in Redis. 3 days: WeChat does not publish the
 *                       key's lifetime; a user who has not logged in for days gets a new one at the next login anyway
 * @param vaultKey       base64 of 32 random bytes, the AES-256 key that encrypts session keys at rest (inline; env
 *                       {@code WECHAT_VAULT_KEY}); prefer {@code vaultKeyFile}
 * @param vaultKeyFile   file holding that base64 key, mounted as a secret (env {@code WECHAT_VAULT_KEY_FILE})
 */
@ConfigurationProperties("im.auth.wechat")
record WeChatProperties(
        @DefaultValue("false") boolean enabled,
        String appId,
        String secret,
        Path secretFile,
        @DefaultValue("https://api.weixin.qq.com") URI baseUrl,
        @DefaultValue("5s") Duration timeout,
        @DefaultValue("3d") Duration sessionKeyTtl,
        String vaultKey,
        Path vaultKeyFile) {

    WeChatProperties {
        appId = blankToNull(appId);
        secret = blankToNull(secret);
        vaultKey = blankToNull(vaultKey);
        secretFile = secretFile == null || secretFile.toString().isBlank() ? null : secretFile;
        vaultKeyFile = vaultKeyFile == null || vaultKeyFile.toString().isBlank() ? null : vaultKeyFile;
        requirePositive(timeout, "im.auth.wechat.timeout");
        requirePositive(sessionKeyTtl, "im.auth.wechat.session-key-ttl");
    }

    /** Never prints the secret or the vault key (this record may end up in a log or a failure message). */
    @Override
    public String toString() {
        return "WeChatProperties[enabled=" + enabled + ", appId=" + appId + ", secret=" + redacted(secret)
                + ", secretFile=" + secretFile + ", baseUrl=" + baseUrl + ", timeout=" + timeout
                + ", sessionKeyTtl=" + sessionKeyTtl + ", vaultKey=" + redacted(vaultKey)
                + ", vaultKeyFile=" + vaultKeyFile + "]";
    }

    private static String redacted(String value) {
        return value == null ? "null" : "(set)";
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static void requirePositive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + value);
        }
    }
}
