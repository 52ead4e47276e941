package io.wxim.auth.wechat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mini-program's appid and AppSecret and the session_key vault key, read and checked once at startup (blocking
 * file reads: startup only). Every problem is an {@link IllegalStateException} that names the property and the
 * environment variable to set, and never contains a secret.
 */
record WeChatCredentials(String appId, String secret, SecretKey vaultKey) {
    static final int VAULT_KEY_BYTES = 32;
    /** What the mini-program console shows as AppID. */
    private static final Pattern APP_ID = Pattern.compile("wx[0-9a-f]{16}");
    /** AppSecrets are 32 hex digits today; allow some room but nothing that would need escaping or trimming. */
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{16,128}");
    /** Secret files are small; anything bigger is the wrong file. */
    private static final long MAX_FILE_BYTES = 4096;

    static WeChatCredentials load(WeChatProperties props) {
        String appId = props.appId();
        if (appId == null) {
            throw new IllegalStateException("WeChat login is enabled (im.auth.wechat.enabled=true) but has no appid: "
                    + "set im.auth.wechat.app-id (env WECHAT_APPID)");
        }
        if (!APP_ID.matcher(appId).matches()) {
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
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw vaultKeyMalformed("it is not base64");
        }
        if (key.length != VAULT_KEY_BYTES) {
            throw vaultKeyMalformed("it decodes to " + key.length + " bytes");
        }
        return new SecretKeySpec(key, "AES");
    }

    private static IllegalStateException vaultKeyMalformed(String why) {
        return new IllegalStateException("the session_key vault key (im.auth.wechat.vault-key-file / vault-key) is "
                + "malformed: " + why + "; expected base64 of " + VAULT_KEY_BYTES + " random bytes "
                + "(e.g. openssl rand -base64 32)");
    }

    private static String oneOf(String inline, Path file, String what, String fileProperty, String inlineProperty) {
        if (inline != null && file != null) {
            throw new IllegalStateException("the WeChat " + what + " is set twice: set either " + fileProperty
                    + " or " + inlineProperty + ", not both");
        }
        if (inline != null) {
            return inline;
        }
        if (file == null) {
            throw new IllegalStateException("WeChat login is enabled (im.auth.wechat.enabled=true) but the " + what
                    + " is missing: set " + fileProperty + " to a mounted secret file, or " + inlineProperty);
        }
        return readSecretFile(file, what, fileProperty);
    }

    private static String readSecretFile(Path file, String what, String property) {
        try {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new IllegalStateException("the WeChat " + what + " file " + file + " (" + property
                        + ") does not exist or is not readable");
            }
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IllegalStateException("the WeChat " + what + " file " + file + " (" + property
                        + ") is larger than " + MAX_FILE_BYTES + " bytes: not a secret file");
            }
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (value.isEmpty()) {
                throw new IllegalStateException("the WeChat " + what + " file " + file + " (" + property + ") is empty");
            }
            return value;
        } catch (IOException e) {
            // the IOException's message names the file at most; no content is read into it
            throw new IllegalStateException("the WeChat " + what + " file " + file + " (" + property
                    + ") cannot be read: " + e.getClass().getSimpleName());
        }
    }
}
