package io.wxim.launcher;

import io.wxim.auth.wechat.AppId;
import io.wxim.wechatfake.FakeWeChatServer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * auth-service's WeChat login settings for the local run. By default login goes to a local {@link FakeWeChatServer}
 * (any code {@code code-<anything>} logs in). With {@code WECHAT_APPID} and {@code WECHAT_SECRET} (or
 * {@code WECHAT_SECRET_FILE}) set (a real mini-program's appid and AppSecret), it goes to WeChat itself
 * ({@code https://api.weixin.qq.com}, set here so that no other origin in the environment receives the AppSecret), so
 * {@code wx.login()} codes of that mini-program log in from WeChat DevTools or a phone. The session_key vault key is
 * made per start either way (session keys sealed in an earlier run no longer open; they are only kept for 3 days).
 * The variants not used are blanked so that others in the developer's environment cannot clash with these.
 */
final class WeChatLogin {
    static final String APP_ID = "WECHAT_APPID";
    static final String SECRET = "WECHAT_SECRET";
    static final String SECRET_FILE = "WECHAT_SECRET_FILE";
    static final String WECHAT_API = "https://api.weixin.qq.com";

    /** A real mini-program's credentials: the AppSecret inline, or the file holding it. */
    record Real(String appId, String secret, String secretFile) {
        @Override
        public String toString() {
            return "Real[appId=" + appId + "]"; // never the AppSecret
        }
    }

    private WeChatLogin() {
    }

    /**
     * The real mini-program's credentials if the environment sets the appid and the AppSecret (inline or as a file);
     * none if it sets neither; one without the other, both AppSecret forms, or an appid auth-service would refuse are
     * refused here, before anything starts (a typo would otherwise fall back to the fake, or fail the start late).
     */
    static Optional<Real> real(Function<String, String> env) {
        String appId = blankToNull(env.apply(APP_ID));
        String secret = blankToNull(env.apply(SECRET));
        String secretFile = blankToNull(env.apply(SECRET_FILE));
        if (appId == null && secret == null && secretFile == null) {
            return Optional.empty();
        }
        if (appId == null || (secret == null && secretFile == null)) {
            throw new IllegalArgumentException("set both " + APP_ID + " and " + SECRET + " (or " + SECRET_FILE
                    + ") for real WeChat login, or neither for the local fake WeChat; "
                    + (appId == null ? APP_ID : SECRET) + " is missing");
        }
        if (secret != null && secretFile != null) {
            throw new IllegalArgumentException("set " + SECRET + " or " + SECRET_FILE + ", not both");
        }
        if (!AppId.valid(appId)) { // auth-service's rule, checked here before anything starts
            throw new IllegalArgumentException(APP_ID + " is not a mini-program AppID (wx and 16 lower-case hex digits)");
        }
        return Optional.of(new Real(appId, secret, secretFile));
    }

    /** Login against the fake: its URL, made-up appid and AppSecret. */
    static Map<String, String> fake(FakeWeChatServer wechat, byte[] vaultKey) {
        return settings(wechat.baseUrl(), wechat.appId(), wechat.secret(), "", vaultKey);
    }

    /** Login against WeChat itself. */
    static Map<String, String> real(Real real, byte[] vaultKey) {
        return settings(WECHAT_API, real.appId(), nullToEmpty(real.secret()), nullToEmpty(real.secretFile()), vaultKey);
    }

    private static Map<String, String> settings(String baseUrl, String appId, String secret, String secretFile, byte[] vaultKey) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("im.auth.wechat.enabled", "true");
        props.put("im.auth.wechat.base-url", baseUrl);
        props.put("im.auth.wechat.app-id", appId);
        props.put("im.auth.wechat.secret", secret);
        props.put("im.auth.wechat.secret-file", secretFile);
        props.put("im.auth.wechat.vault-key", Base64.getEncoder().encodeToString(vaultKey));
        props.put("im.auth.wechat.vault-key-file", "");
        return props;
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
