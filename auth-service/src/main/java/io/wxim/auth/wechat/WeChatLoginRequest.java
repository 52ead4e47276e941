package io.wxim.auth.wechat;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Body of {@code POST /api/auth/wechat/login}. Blank optional fields count as absent. Sizes are bounded well above
 * what WeChat produces (a code is 32 characters, rawData a few hundred, encryptedData under 2 KB).
 *
 * @param code          the {@code wx.login} code: 1-128 visible ASCII characters
 * @param rawData       optional, from {@code wx.getUserInfo}/{@code getUserProfile}: JSON with nickName, avatarUrl, ...
 * @param signature     required with rawData: 40 hex digits, {@code sha1(rawData + session_key)}
 * @param encryptedData optional, base64 of the AES-128-CBC encrypted user data
 * @param iv            required with encryptedData: base64 of the 16-byte IV
 */
record WeChatLoginRequest(
        @NotNull(message = "is required")
        @Size(min = 1, max = 128, message = "must be 1 to 128 characters")
        @Pattern(regexp = "[\\x21-\\x7e]*", message = "must be visible ASCII characters")
        String code,
        @Size(max = 4096, message = "must be at most 4096 characters")
        String rawData,
        @Pattern(regexp = "[0-9a-fA-F]{40}", message = "must be 40 hex digits")
        String signature,
        @Size(max = 8192, message = "must be at most 8192 characters")
        @Pattern(regexp = "[A-Za-z0-9+/=]*", message = "must be base64")
        String encryptedData,
        @Size(max = 64, message = "must be at most 64 characters")
        @Pattern(regexp = "[A-Za-z0-9+/=]*", message = "must be base64")
        String iv) {

    WeChatLoginRequest {
        rawData = blankToNull(rawData);
        signature = blankToNull(signature);
        encryptedData = blankToNull(encryptedData);
        iv = blankToNull(iv);
    }

    @AssertTrue(message = "rawData and signature go together")
    boolean isSignedRawData() {
        return (rawData == null) == (signature == null);
    }

    @AssertTrue(message = "encryptedData and iv go together")
    boolean isEncryptedDataWithIv() {
        return (encryptedData == null) == (iv == null);
    }

    /** Leaves out the code and the user data (Spring's DEBUG codec logging prints decoded bodies with toString). */
    @Override
    public String toString() {
        return "WeChatLoginRequest[code=(" + (code == null ? 0 : code.length()) + " chars), rawData="
                + (rawData != null) + ", encryptedData=" + (encryptedData != null) + "]";
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
