package io.wxim.launcher;

import io.wxim.wechatfake.FakeWeChatServer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * auth-service's WeChat login settings for the local run. By default login goes to a local {@link FakeWeChatServer}
 * (any code {@code code-<anything>} logs in). With {@code WECHAT_APPID} and {@code WECHAT_SECRET} set (a real
 * mini-program's appid and AppSecret), it goes to WeChat itself, so {@code wx.login()} codes of that mini-program log
 * in from WeChat DevTools or a phone; the AppSecret stays in the environment and the session_key vault key is made
 * per start either way (session keys sealed in an earlier run no longer open; they are only kept for 3 days). The
 * file variants are blanked so that {@code WECHAT_SECRET_FILE} / {@code WECHAT_VAULT_KEY_FILE} in the developer's
 * environment cannot clash with these.
 */
final class WeChatLogin {
    static final String APP_ID = "WECHAT_APPID";
    static final String SECRET = "WECHAT_SECRET";

    /** A real mini-program's credentials. */
    record Real(String appId, String secret) {
        @Override
        public String toString() {
            return "Real[appId=" + appId + "]"; // never the AppSecret
        }
    }

    private WeChatLogin() {
    }

    /**
     * The real mini-program's credentials if the environment sets both; none if it sets neither; one without the
     * other is refused (a typo would otherwise silently fall back to the fake).
     */
    static Optional<Real> real(Function<String, String> env) {
        String appId = blankToNull(env.apply(APP_ID));
        String secret = blankToNull(env.apply(SECRET));
        if (appId == null && secret == null) {
            return Optional.empty();
        }
        if (appId == null || secret == null) {
            throw new IllegalArgumentException("set both " + APP_ID + " and " + SECRET
                    + " for real WeChat login (or neither, for the local fake WeChat); " + (appId == null ? APP_ID : SECRET)
                    + " is missing");
        }
        return Optional.of(new Real(appId, secret));
    }

    /** Login against the fake: its URL, made-up appid and AppSecret. */
    static Map<String, String> fake(FakeWeChatServer wechat, byte[] vaultKey) {
        Map<String, String> props = settings(wechat.appId(), wechat.secret(), vaultKey);
        props.put("im.auth.wechat.base-url", wechat.baseUrl());
        return props;
    }

    /** Login against WeChat itself (auth-service's default API origin). */
    static Map<String, String> real(Real real, byte[] vaultKey) {
        return settings(real.appId(), real.secret(), vaultKey);
    }

    private static Map<String, String> settings(String appId, String secret, byte[] vaultKey) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("im.auth.wechat.enabled", "true");
        props.put("im.auth.wechat.app-id", appId);
        props.put("im.auth.wechat.secret", secret);
        props.put("im.auth.wechat.secret-file", "");
        props.put("im.auth.wechat.vault-key", Base64.getEncoder().encodeToString(vaultKey));
        props.put("im.auth.wechat.vault-key-file", "");
        return props;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
