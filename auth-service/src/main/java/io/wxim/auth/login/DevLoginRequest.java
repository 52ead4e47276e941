package io.wxim.auth.login;

import jakarta.validation.constraints.NotNull;
import io.wxim.auth.user.ProfileUpdate;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Body of {@code POST /api/auth/dev-login}. Both fields are stripped of surrounding white space first; an empty
 * avatarUrl counts as absent.
 *
 * @param nickname  1-32 characters (UTF-16 units), no control or line/paragraph separator characters
 * @param avatarUrl optional http(s) URL, at most 512 characters
 */
record DevLoginRequest(
        @NotNull(message = "is required")
        @Size(min = 1, max = 32, message = "must be 1 to 32 characters")
        @Pattern(regexp = ProfileUpdate.NICKNAME_PATTERN, message = "must not contain control characters")
        String nickname,
        @Size(max = 512, message = "must be at most 512 characters")
        @Pattern(regexp = ProfileUpdate.AVATAR_URL_PATTERN, message = "must be an http(s) URL")
        String avatarUrl) {

    DevLoginRequest {
        nickname = nickname == null ? null : nickname.strip();
        avatarUrl = avatarUrl == null || avatarUrl.isBlank() ? null : avatarUrl.strip();
    }
}
