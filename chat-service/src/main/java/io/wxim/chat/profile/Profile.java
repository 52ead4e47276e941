package io.wxim.chat.profile;

import io.wxim.protocol.UserRef;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * A user's display profile as last seen in a verified token (Mongo {@code im_chat.profiles}). A user is known to
 * chat-service once they have connected; direct messages and pair requests to anyone else are refused.
 */
@Document("profiles")
public record Profile(@Id String id, String nickname, String avatarUrl, long updatedAt) {
    public UserRef toRef() {
        return new UserRef(id, nickname, avatarUrl);
    }
}
