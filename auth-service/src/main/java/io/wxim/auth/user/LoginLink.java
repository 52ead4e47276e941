package io.wxim.auth.user;

import org.springframework.data.annotation.Id;

/**
 * Maps a login method's external key to a user: {@code {_id: key, userId}} in {@link LoginMethod#collection()}.
 * The {@code _id} uniqueness makes "insert if absent" race safe.
 */
record LoginLink(@Id String key, String userId) {
}
