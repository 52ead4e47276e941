package io.wxim.auth.user;

/**
 * Profile fields a login sets on the user; a null field leaves the stored value as it is.
 *
 * @param nickname  display name (already validated by the login method)
 * @param avatarUrl http(s) URL of the avatar, or null
 */
public record ProfileUpdate(String nickname, String avatarUrl) {
    /** Nicknames: no control, line or paragraph separator characters (length 1-32 is checked separately). */
    public static final String NICKNAME_PATTERN = "[^\\p{Cc}\\p{Zl}\\p{Zp}]*";
    /** Avatar URLs: http(s) with a host, no white space or control characters (at most 512 characters). */
    public static final String AVATAR_URL_PATTERN = "(?i)https?://[^\\s\\p{Cc}/?#]+([/?#][^\\s\\p{Cc}]*)?";
}
