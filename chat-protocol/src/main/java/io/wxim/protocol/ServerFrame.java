package io.wxim.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/** Frames the server sends. Fields set by the server ({@code from}, {@code seq}, {@code id}, {@code ts}) are authoritative. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ServerFrame.Welcome.class, name = "welcome"),
        @JsonSubTypes.Type(value = ServerFrame.Pong.class, name = "pong"),
        @JsonSubTypes.Type(value = ServerFrame.Ack.class, name = "ack"),
        @JsonSubTypes.Type(value = ServerFrame.Message.class, name = "message"),
        @JsonSubTypes.Type(value = ServerFrame.Synced.class, name = "synced"),
        @JsonSubTypes.Type(value = ServerFrame.Rooms.class, name = "rooms"),
        @JsonSubTypes.Type(value = ServerFrame.Joined.class, name = "joined"),
        @JsonSubTypes.Type(value = ServerFrame.Left.class, name = "left"),
        @JsonSubTypes.Type(value = ServerFrame.Members.class, name = "members"),
        @JsonSubTypes.Type(value = ServerFrame.MemberJoined.class, name = "memberJoined"),
        @JsonSubTypes.Type(value = ServerFrame.MemberLeft.class, name = "memberLeft"),
        @JsonSubTypes.Type(value = ServerFrame.Presence.class, name = "presence"),
        @JsonSubTypes.Type(value = ServerFrame.Error.class, name = "error")
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerFrame {

    /** A conversation the user is in, with its newest seq (0 when empty). */
    record ConversationInfo(String conv, String name, long lastSeq, long online) {
    }

    /** First frame after the handshake: who you are, your conversations, the heartbeat to keep. */
    record Welcome(UserRef user, List<ConversationInfo> conversations, long heartbeatSeconds) implements ServerFrame {
        public Welcome {
            conversations = List.copyOf(conversations);
        }
    }

    record Pong(String rid, long ts) implements ServerFrame {
    }

    /** The message is durably stored: {@code seq} is its place in the conversation. */
    record Ack(String rid, String cmid, String conv, long seq, String id, long ts) implements ServerFrame {
    }

    /** A stored message, pushed live or returned by sync/history. */
    record Message(String conv, long seq, String id, UserRef from, String cmid, String kind, String body, long ts)
            implements ServerFrame {
    }

    /** Messages after the requested seq, in seq order; {@code more} means ask again from the last seq. */
    record Synced(String rid, String conv, List<Message> messages, boolean more) implements ServerFrame {
        public Synced {
            messages = List.copyOf(messages);
        }
    }

    record RoomInfo(String conv, String name, long online, boolean member) {
    }

    record Rooms(String rid, List<RoomInfo> rooms) implements ServerFrame {
        public Rooms {
            rooms = List.copyOf(rooms);
        }
    }

    record Joined(String rid, String conv, String name, long online, long lastSeq) implements ServerFrame {
    }

    record Left(String rid, String conv) implements ServerFrame {
    }

    record Members(String rid, String conv, List<UserRef> members) implements ServerFrame {
        public Members {
            members = List.copyOf(members);
        }
    }

    /** Someone joined the conversation; {@code online} is its online member count now. */
    record MemberJoined(String conv, UserRef user, long online) implements ServerFrame {
    }

    record MemberLeft(String conv, UserRef user, long online) implements ServerFrame {
    }

    /** A member came online or went offline (first connection opened / last one closed). */
    record Presence(String conv, UserRef user, String status, long online) implements ServerFrame {
    }

    /** A request failed. {@code retry} tells the client whether the same request may succeed later. */
    record Error(String rid, String cmid, String code, String message, boolean retry) implements ServerFrame {
        public static Error of(String rid, String cmid, ErrorCode code, String message) {
            return new Error(rid, cmid, code.wire(), message, code.retryable());
        }
    }
}
