package io.wxim.auth.wechat;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test values made up at run time (nothing secret is committed, not even for tests), and the client side of WeChat's
 * user data crypto: what WeChat does to rawData and encryptedData before the mini-program sends them.
 */
final class WeChatTestData {
    private static final SecureRandom RANDOM = new SecureRandom();

    private WeChatTestData() {
    }

    static String appId() {
        return "wx" + HexFormat.of().formatHex(bytes(8));
    }

    static String secret() {
        return HexFormat.of().formatHex(bytes(16));
    }

    static String vaultKey() {
        return Base64.getEncoder().encodeToString(bytes(32));
    }

    /** A session_key like WeChat's: base64 of 16 random bytes. */
    static String sessionKey() {
        return Base64.getEncoder().encodeToString(bytes(16));
    }

    /** {@code hex(sha1(rawData + sessionKey))}, as WeChat computes {@code signature}. */
    static String sign(String rawData, String sessionKey) {
        return WeChatUserInfo.sha1Hex(rawData + sessionKey);
    }

    /** encryptedData and iv for {@code json}: AES-128-CBC/PKCS#7 under the session key, as WeChat makes them. */
    static String[] encrypt(String json, String sessionKey) {
        try {
            byte[] iv = bytes(16);
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(sessionKey), "AES"),
                    new IvParameterSpec(iv));
            byte[] encrypted = cipher.doFinal(json.getBytes(StandardCharsets.UTF_8));
            return new String[] {Base64.getEncoder().encodeToString(encrypted), Base64.getEncoder().encodeToString(iv)};
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The user data JSON WeChat encrypts, with the watermark naming {@code appId}. */
    static String userData(String openId, String nickname, String avatarUrl, String unionId, String appId) {
        return "{\"openId\":\"" + openId + "\",\"nickName\":\"" + nickname + "\",\"gender\":0,\"language\":\"zh_CN\","
                + "\"city\":\"\",\"province\":\"\",\"country\":\"\",\"avatarUrl\":\"" + avatarUrl + "\""
                + (unionId == null ? "" : ",\"unionId\":\"" + unionId + "\"")
                + ",\"watermark\":{\"timestamp\":1700000000,\"appid\":\"" + appId + "\"}}";
    }

    /** rawData as wx.getUserInfo returns it. */
    static String rawData(String nickname, String avatarUrl) {
        return "{\"nickName\":\"" + nickname + "\",\"gender\":0,\"language\":\"zh_CN\",\"city\":\"\",\"province\":\"\","
                + "\"country\":\"\",\"avatarUrl\":\"" + avatarUrl + "\"}";
    }

    static byte[] bytes(int n) {
        byte[] bytes = new byte[n];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
