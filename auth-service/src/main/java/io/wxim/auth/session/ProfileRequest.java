package io.wxim.auth.session;

import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Body of {@code PUT /api/auth/profile}: the fields to change (null or absent: unchanged). Same rules as dev login:
 * nickname 1-32 characters without control characters; avatarUrl an http(s) URL of at most 512 characters (what
 * {@code chooseAvatar} gives after the client uploads it).
 */
record ProfileRequest(
        @Size(min = 1, max = 32, message = "must be 1 to 32 characters")
        @Pattern(regexp = "[^\\p{Cc}\\p{Zl}\\p{Zp}]*", message = "must not contain control characters")
        String nickname,
        @Size(max = 512, message = "must be at most 512 characters")
        @Pattern(regexp = "(?i)https?://[^\\s\\p{Cc}/?#]+([/?#][^\\s\\p{Cc}]*)?", message = "must be an http(s) URL")
        String avatarUrl) {

    ProfileRequest {
        nickname = nickname == null ? null : nickname.strip();
        avatarUrl = avatarUrl == null || avatarUrl.isBlank() ? null : avatarUrl.strip();
    }
}
