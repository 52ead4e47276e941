package io.wxim.auth.wechat;

import io.wxim.auth.user.ProfileUpdate;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Profile data the mini-program sent along with the login, checked against the login's session_key as WeChat
 * documents it: {@code rawData} by {@code signature = hex(sha1(rawData + session_key))}, {@code encryptedData} by
 * decrypting it (AES-128-CBC, PKCS#7, key = base64-decoded session_key, iv = base64-decoded iv) and requiring
 * {@code watermark.appid} to be our appid. CPU only, a few microseconds. Values that do not fit our profile rules
 * (nickname 1-32 characters without control characters, http(s) avatar URL up to 512 characters) are dropped,
 * not rejected: they come from WeChat, not from a form.
 *
 * @param nickname  display name, or null
 * @param avatarUrl avatar URL, or null
 * @param unionId   unionId from encryptedData, or null
 */
record WeChatUserInfo(String nickname, String avatarUrl, String unionId) {
    static final WeChatUserInfo NONE = new WeChatUserInfo(null, null, null);
    private static final int MAX_NICKNAME = 32;
    private static final int MAX_AVATAR_URL = 512;
    private static final int IV_BYTES = 16;
    private static final int MAX_UNION_ID = 128;
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}\\p{Zl}\\p{Zp}]");
    private static final Pattern AVATAR_URL = Pattern.compile(ProfileUpdate.AVATAR_URL_PATTERN);

    ProfileUpdate profile() {
        return new ProfileUpdate(nickname, avatarUrl);
    }

    /** Checks the signature of {@code rawData} and takes nickName and avatarUrl from it. */
    static WeChatUserInfo fromRawData(String rawData, String signature, String sessionKey, JsonMapper json) {
        byte[] expected = sha1Hex(rawData + sessionKey).getBytes(StandardCharsets.US_ASCII);
        byte[] given = signature.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, given)) {
            throw WeChatLoginException.badSignature();
        }
        JsonNode data = parse(rawData.getBytes(StandardCharsets.UTF_8), json);
        // signed by WeChat but not the profile object it documents: nothing to take from it
        return data == null ? NONE : new WeChatUserInfo(nickname(data), avatarUrl(data), null);
    }

    /**
     * Decrypts {@code encryptedData}, requires its watermark to name {@code appId}, and takes nickName, avatarUrl
     * and unionId from it.
     */
    static WeChatUserInfo fromEncryptedData(String encryptedData, String iv, String sessionKey, String appId,
                                            JsonMapper json) {
        byte[] plain = decrypt(encryptedData, iv, sessionKey);
        JsonNode data = parse(plain, json);
        if (data == null) {
            // with a wrong key, CBC padding passes about once in 256 tries and yields garbage
            throw WeChatLoginException.badEncryptedData();
        }
        JsonNode watermarkAppId = data.path("watermark").path("appid");
        if (!watermarkAppId.isString() || !appId.equals(watermarkAppId.stringValue())) {
            throw WeChatLoginException.badWatermark();
        }
        String unionId = text(data, "unionId");
        return new WeChatUserInfo(nickname(data), avatarUrl(data),
                unionId != null && unionId.length() <= MAX_UNION_ID ? unionId : null);
    }

    /** This info with the fields of {@code other} filling in what this one lacks. */
    WeChatUserInfo or(WeChatUserInfo other) {
        return new WeChatUserInfo(nickname != null ? nickname : other.nickname,
                avatarUrl != null ? avatarUrl : other.avatarUrl, unionId != null ? unionId : other.unionId);
    }

    private static byte[] decrypt(String encryptedData, String iv, String sessionKey) {
        try {
            Base64.Decoder base64 = Base64.getDecoder();
            byte[] key = base64.decode(sessionKey);
            byte[] ivBytes = base64.decode(iv);
            if (key.length != 16 || ivBytes.length != IV_BYTES) {
                throw WeChatLoginException.badEncryptedData();
            }
            // WeChat's PKCS#7 padding on 16-byte blocks is what the JDK calls PKCS5Padding
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(ivBytes));
            return cipher.doFinal(base64.decode(encryptedData));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw WeChatLoginException.badEncryptedData();
        }
    }

    /** The JSON object in {@code data}, or null. The parser's message is dropped: it may quote the data. */
    private static JsonNode parse(byte[] data, JsonMapper json) {
        try {
            JsonNode node = json.readTree(data);
            return node != null && node.isObject() ? node : null;
        } catch (JacksonException e) {
            return null;
        }
    }

    private static String nickname(JsonNode data) {
        String nickname = text(data, "nickName");
        if (nickname == null) {
            return null;
        }
        nickname = CONTROL.matcher(nickname).replaceAll("").strip();
        if (nickname.length() > MAX_NICKNAME) {
            int end = Character.isHighSurrogate(nickname.charAt(MAX_NICKNAME - 1)) ? MAX_NICKNAME - 1 : MAX_NICKNAME;
            nickname = nickname.substring(0, end).strip();
        }
        return nickname.isEmpty() ? null : nickname;
    }

    private static String avatarUrl(JsonNode data) {
        String url = text(data, "avatarUrl");
        return url != null && url.length() <= MAX_AVATAR_URL && AVATAR_URL.matcher(url).matches() ? url : null;
    }

    private static String text(JsonNode data, String field) {
        JsonNode node = data.get(field);
        return node != null && node.isString() && !node.stringValue().isBlank() ? node.stringValue().strip() : null;
    }

    static String sha1Hex(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    }
}
