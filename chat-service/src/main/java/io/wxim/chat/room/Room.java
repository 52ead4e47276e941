package io.wxim.chat.room;

import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/** A room (Mongo {@code im_chat.rooms}); its conversation id is {@code r:<id>}. */
@Document("rooms")
public record Room(@Id String id, String name, String createdBy, long createdAt) {
}
