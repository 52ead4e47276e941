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
        @JsonSubTypes.Type(value = ServerFrame.Online.class, name = "online"),
        @JsonSubTypes.Type(value = ServerFrame.ReadMark.class, name = "read"),
        @JsonSubTypes.Type(value = ServerFrame.Typing.class, name = "typing"),
        @JsonSubTypes.Type(value = ServerFrame.Recalled.class, name = "recalled"),
        @JsonSubTypes.Type(value = ServerFrame.Status.class, name = "status"),
        @JsonSubTypes.Type(value = ServerFrame.PairRequestSent.class, name = "pairRequestSent"),
        @JsonSubTypes.Type(value = ServerFrame.PairRequested.class, name = "pairRequested"),
        @JsonSubTypes.Type(value = ServerFrame.PairRequests.class, name = "pairRequests"),
        @JsonSubTypes.Type(value = ServerFrame.PairRequestClosed.class, name = "pairRequestClosed"),
        @JsonSubTypes.Type(value = ServerFrame.PairStarted.class, name = "pairStarted"),
        @JsonSubTypes.Type(value = ServerFrame.PairEnded.class, name = "pairEnded"),
        @JsonSubTypes.Type(value = ServerFrame.Authed.class, name = "authed"),
        @JsonSubTypes.Type(value = ServerFrame.Secured.class, name = "secured"),
        @JsonSubTypes.Type(value = ServerFrame.Resync.class, name = "resync"),
        @JsonSubTypes.Type(value = ServerFrame.Error.class, name = "error")
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerFrame {

    /**
     * A conversation the user is in, with its newest seq (0 when empty). {@code peer} is the other user of a direct
     * or pair conversation (null for rooms, whose {@code online} is the online member count; 0 otherwise).
     * {@code active} is set for pair conversations only: whether the session is still on (a client that missed a
     * {@code pairEnded} while away learns it here).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ConversationInfo(String conv, String name, long lastSeq, long online, UserRef peer, Boolean active) {
        public ConversationInfo(String conv, String name, long lastSeq, long online) {
            this(conv, name, lastSeq, online, null, null);
        }
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

    /**
     * A stored message, pushed live or returned by sync/history. A recalled message has {@code recalled: true} and
     * no body (the field is absent otherwise).
     */
    record Message(String conv, long seq, String id, UserRef from, String cmid, String kind, String body, long ts,
                   Boolean recalled, Media media) implements ServerFrame {
        public Message(String conv, long seq, String id, UserRef from, String cmid, String kind, String body, long ts) {
            this(conv, seq, id, from, cmid, kind, body, ts, null, null);
        }
    }

    /**
     * The file of an {@code image} or {@code audio} message. {@code url} (and {@code thumbUrl} for images: a small JPEG)
     * are signed, relative to the gateway origin, and work without headers (for {@code <image src>}) until
     * {@code expiresAt} (epoch ms); after that ask {@code GET /api/media/{id}/url?conv=} for fresh ones.
     * {@code duration}: audio length in ms as the sender reported it; {@code width}/{@code height}: image pixels.
     */
    record Media(String id, String contentType, long size, Integer width, Integer height, Integer duration,
                 String url, String thumbUrl, Long expiresAt) {
        /** The stored part, without URLs. */
        public Media withoutUrls() {
            return new Media(id, contentType, size, width, height, duration, null, null, null);
        }
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

    /**
     * The online member count of a crowded room (more members online than chat's crowd threshold), sent instead of
     * per-user memberJoined / memberLeft / presence frames, at most about once a second per room.
     */
    record Online(String conv, long online) implements ServerFrame {
    }

    /** The user's read position in {@code conv} (the reply to {@code read}, and pushed to the user's other devices). */
    record ReadMark(String rid, String conv, long seq, long unread) implements ServerFrame {
    }

    /** {@code user} is typing in {@code conv} (direct and pair conversations only; shown for a few seconds). */
    record Typing(String conv, UserRef user) implements ServerFrame {
    }

    /** Message {@code seq} of {@code conv} was recalled by its sender: drop its body. */
    record Recalled(String rid, String conv, long seq, String id, String by) implements ServerFrame {
    }

    /** {@code status} is {@code online} or {@code offline}; {@code lastSeen} (epoch ms) is set when offline and known. */
    record Status(String rid, UserRef user, String status, Long lastSeen) implements ServerFrame {
    }

    /** Reply to {@code pairRequest}: the request waits for {@code to} until {@code expiresAt} (epoch ms). */
    record PairRequestSent(String rid, UserRef to, long expiresAt) implements ServerFrame {
    }

    /** Someone asks this user for a pair session (answer with pairAccept / pairDecline). */
    record PairRequested(UserRef from, long expiresAt) implements ServerFrame {
    }

    record PendingRequest(UserRef from, long expiresAt) {
    }

    /** Reply to {@code pairPending}: requests waiting for this user's answer, oldest first. */
    record PairRequests(String rid, List<PendingRequest> requests) implements ServerFrame {
        public PairRequests {
            requests = List.copyOf(requests);
        }
    }

    /**
     * The request {@code from} -> {@code to} is gone without a session: {@code reason} is {@code cancelled},
     * {@code declined}, {@code expired} or {@code busy} (one of the two started another pair session).
     */
    record PairRequestClosed(String rid, String from, String to, String reason) implements ServerFrame {
    }

    /** A pair session started: chat in {@code conv} with {@code peer}. */
    record PairStarted(String rid, String conv, UserRef peer) implements ServerFrame {
    }

    /**
     * The pair session ended: {@code reason} is {@code left} (this user left), {@code peer_left} or
     * {@code peer_offline} (the peer was offline longer than the grace period). History stays readable.
     */
    record PairEnded(String rid, String conv, String peer, String reason) implements ServerFrame {
    }

    /** The connection now runs on the token sent in {@code auth}, valid until {@code expiresAt} (epoch ms). */
    record Authed(String rid, long expiresAt) implements ServerFrame {
    }

    /**
     * The answer to {@code secure}, the last plaintext frame of the connection: every frame after it, in both
     * directions, is a sealed {@code sec} frame under the key the client sent.
     */
    record Secured(String rid, String kid) implements ServerFrame {
    }

    /**
     * Live pushes may have been missed (the gateway's Redis pub/sub subscription was cut and is back): sync every
     * conversation from your last seq. {@code reason} is informational ({@code "pubsub"}).
     */
    record Resync(String reason) implements ServerFrame {
    }

    /**
     * A request failed. {@code retry} tells the client whether the same request may succeed later; {@code retryAfter}
     * (milliseconds, optional) how long to wait first when the server knows it (the per-user send rate). {@code conv}
     * is set only on an error for one conversation of a {@code sync} (the rest of that sync is answered): an error
     * without it is the whole request's.
     */
    record Error(String rid, String cmid, String conv, String code, String message, boolean retry, Long retryAfter)
            implements ServerFrame {
        public static Error of(String rid, String cmid, ErrorCode code, String message) {
            return new Error(rid, cmid, null, code.wire(), message, code.retryable(), null);
        }

        /** The answer of a {@code sync} for one of its conversations, {@code conv}, that could not be synced. */
        public static Error ofConversation(String rid, String conv, ErrorCode code, String message) {
            return new Error(rid, null, conv, code.wire(), message, code.retryable(), null);
        }

        /** {@code rate_limited}, to be retried no sooner than {@code retryAfterMillis} from now. */
        public static Error rateLimited(String rid, String cmid, String message, long retryAfterMillis) {
            return new Error(rid, cmid, null, ErrorCode.RATE_LIMITED.wire(), message, true, retryAfterMillis);
        }
    }
}
