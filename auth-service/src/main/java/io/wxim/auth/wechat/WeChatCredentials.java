package io.wxim.auth.wechat;

import io.wxim.auth.config.Secrets;
import java.nio.file.Path;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;

/**
 * The mini-program's appid and AppSecret and the session_key vault key, read and checked once at startup (blocking
 * file reads: startup only). Every problem is an {@link IllegalStateException} that names the property and the
 * environment variable to set, and never contains a secret.
 */
record WeChatCredentials(String appId, String secret, SecretKey vaultKey) {
    /** AppSecrets are 32 hex digits today; allow some room but nothing that would need escaping or trimming. */
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{16,128}");

    static WeChatCredentials load(WeChatProperties props) {
        String appId = props.appId();
        if (appId == null) {
            throw new IllegalStateException("WeChat login is enabled (im.auth.wechat.enabled=true) but has no appid: "
                    + "set im.auth.wechat.app-id (env WECHAT_APPID)");
        }
        if (!AppId.valid(appId)) {
            throw new IllegalStateException("im.auth.wechat.app-id (env WECHAT_APPID) is malformed: expected 'wx' and "
                    + "16 lowercase hex digits, as shown in the mini-program console");
        }
        String secret = oneOf(props.secret(), props.secretFile(), "AppSecret",
                "im.auth.wechat.secret-file (env WECHAT_SECRET_FILE)", "im.auth.wechat.secret (env WECHAT_SECRET)");
        if (!SECRET.matcher(secret).matches()) {
            throw new IllegalStateException("the WeChat AppSecret (im.auth.wechat.secret-file / secret) is malformed: "
                    + "expected 16-128 characters [A-Za-z0-9_-]");
        }
        String vaultKey = oneOf(props.vaultKey(), props.vaultKeyFile(), "session_key vault key",
                "im.auth.wechat.vault-key-file (env WECHAT_VAULT_KEY_FILE)", "im.auth.wechat.vault-key (env WECHAT_VAULT_KEY)");
        return new WeChatCredentials(appId, secret, vaultKey(vaultKey));
    }

    /** Never prints the secret or the key. */
    @Override
    public String toString() {
        return "WeChatCredentials[appId=" + appId + ", secret=(set), vaultKey=(set)]";
    }

    private static SecretKey vaultKey(String base64) {
        return Secrets.aesKey(base64, "session_key vault key", "im.auth.wechat.vault-key-file / vault-key");
    }

    private static String oneOf(String inline, Path file, String what, String fileProperty, String inlineProperty) {
        return Secrets.oneOf(inline, file, "WeChat " + what, fileProperty, inlineProperty,
                "WeChat login is enabled (im.auth.wechat.enabled=true)");
    }
}
