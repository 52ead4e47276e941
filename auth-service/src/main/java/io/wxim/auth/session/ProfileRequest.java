package io.wxim.auth.session;

import io.wxim.auth.user.ProfileUpdate;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Body of {@code PUT /api/auth/profile}: the fields to change (null or absent: unchanged). Same rules as dev login:
 * nickname 1-32 characters without control characters; avatarUrl an http(s) URL of at most 512 characters (what
 * {@code chooseAvatar} gives after the client uploads it).
 */
record ProfileRequest(
        @Size(min = 1, max = 32, message = "must be 1 to 32 characters")
        @Pattern(regexp = ProfileUpdate.NICKNAME_PATTERN, message = "must not contain control characters")
        String nickname,
        @Size(max = 512, message = "must be at most 512 characters")
        @Pattern(regexp = ProfileUpdate.AVATAR_URL_PATTERN, message = "must be an http(s) URL")
        String avatarUrl) {

    ProfileRequest {
        nickname = nickname == null ? null : nickname.strip();
        avatarUrl = avatarUrl == null || avatarUrl.isBlank() ? null : avatarUrl.strip();
    }
}
