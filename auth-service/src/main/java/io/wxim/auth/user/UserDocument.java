package io.wxim.auth.user;

import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A user in collection {@code users}: {@code {_id: userId, nickname, avatarUrl?, createdAt, updatedAt}}.
 * Only {@code _id} is indexed (unique by definition).
 */
@Document(UserDocument.COLLECTION)
record UserDocument(@Id String id, String nickname, String avatarUrl, Instant createdAt, Instant updatedAt) {
    static final String COLLECTION = "users";
}
