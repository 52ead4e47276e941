package io.wxim.chat.room;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/** A user's durable membership of a conversation (Mongo {@code im_chat.memberships}); id is {@code conv|userId}. */
@Document("memberships")
public record Membership(@Id String id, String conv, String userId, long joinedAt) {
    static String idOf(String conv, String userId) {
        return conv + "|" + userId;
    }
}
