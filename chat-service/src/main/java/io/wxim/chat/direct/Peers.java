package io.wxim.chat.direct;

import java.util.List;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * The two users of a direct ({@code d:}) or pair ({@code p:}) conversation (Mongo {@code im_chat.peers}).
 * Written once, never changed: who is in a two-person conversation is fixed when it starts.
 */
@Document("peers")
public record Peers(@Id String conv, List<String> users, long createdAt) {
    public Peers {
        users = List.copyOf(users);
    }

    /** The other user, or null if {@code userId} is not one of the two. */
    public String peerOf(String userId) {
        if (users.get(0).equals(userId)) {
            return users.get(1);
        }
        return users.get(1).equals(userId) ? users.get(0) : null;
    }
}
