package io.wxim.auth.user;

/**
 * Profile fields a login sets on the user; a null field leaves the stored value as it is.
 *
 * @param nickname  display name (already validated by the login method)
 * @param avatarUrl http(s) URL of the avatar, or null
 */
public record ProfileUpdate(String nickname, String avatarUrl) {
}
