package io.wxim.auth.wechat;

import java.util.regex.Pattern;

/** A mini-program's AppID as the mini-program console shows it: {@code wx} and 16 lowercase hex digits. */
public final class AppId {
    private static final Pattern FORMAT = Pattern.compile("wx[0-9a-f]{16}");

    private AppId() {
    }

    /** Whether {@code appId} is well-formed (checked by auth-service at startup, and by the local launcher before it). */
    public static boolean valid(String appId) {
        return FORMAT.matcher(appId).matches();
    }
}
