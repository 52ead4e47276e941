package io.wxim.auth.wechat;

/**
 * A successful code2session answer. The session_key stays inside auth-service: it is only used to check user data
 * and then sealed into the vault; {@link #toString()} leaves it out.
 *
 * @param openId     the user's id for our appid
 * @param unionId    the user's id across the open platform account, or null when the app is not bound to one
 * @param sessionKey base64 AES-128 key WeChat shares with this login session
 */
record WeChatSession(String openId, String unionId, String sessionKey) {
    @Override
    public String toString() {
        return "WeChatSession[openId=" + openId + ", unionId=" + unionId + ", sessionKey=(redacted)]";
    }
}
