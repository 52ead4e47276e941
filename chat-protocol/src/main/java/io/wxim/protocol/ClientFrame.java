package io.wxim.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Map;

/**
 * Frames a client sends. Every frame may carry {@code rid}, a client request id echoed in the reply or error.
 * Identity is never part of a client frame: it comes from the token verified at the handshake.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ClientFrame.Ping.class, name = "ping"),
        @JsonSubTypes.Type(value = ClientFrame.Send.class, name = "send"),
        @JsonSubTypes.Type(value = ClientFrame.Sync.class, name = "sync"),
        @JsonSubTypes.Type(value = ClientFrame.ListRooms.class, name = "rooms"),
        @JsonSubTypes.Type(value = ClientFrame.CreateRoom.class, name = "create"),
        @JsonSubTypes.Type(value = ClientFrame.Join.class, name = "join"),
        @JsonSubTypes.Type(value = ClientFrame.Leave.class, name = "leave"),
        @JsonSubTypes.Type(value = ClientFrame.ListMembers.class, name = "members"),
        @JsonSubTypes.Type(value = ClientFrame.Read.class, name = "read"),
        @JsonSubTypes.Type(value = ClientFrame.Typing.class, name = "typing"),
        @JsonSubTypes.Type(value = ClientFrame.Recall.class, name = "recall"),
        @JsonSubTypes.Type(value = ClientFrame.Status.class, name = "status"),
        @JsonSubTypes.Type(value = ClientFrame.PairRequest.class, name = "pairRequest"),
        @JsonSubTypes.Type(value = ClientFrame.PairCancel.class, name = "pairCancel"),
        @JsonSubTypes.Type(value = ClientFrame.PairPending.class, name = "pairPending"),
        @JsonSubTypes.Type(value = ClientFrame.PairAccept.class, name = "pairAccept"),
        @JsonSubTypes.Type(value = ClientFrame.PairDecline.class, name = "pairDecline"),
        @JsonSubTypes.Type(value = ClientFrame.PairLeave.class, name = "pairLeave"),
        @JsonSubTypes.Type(value = ClientFrame.Auth.class, name = "auth"),
        @JsonSubTypes.Type(value = ClientFrame.Secure.class, name = "secure")
})
public sealed interface ClientFrame {
    /** Longest text body accepted, in Unicode code points (an emoji counts as one). */
    int MAX_BODY_CHARS = 4000;
    int MAX_ROOM_NAME_CHARS = 64;
    int MAX_SYNC_CONVERSATIONS = 100;

    String rid();

    /** Application-level heartbeat (mini-programs cannot see WebSocket ping frames). */
    record Ping(String rid) implements ClientFrame {
        public Ping {
            rid = Conversations.optionalClientId("rid", rid);
        }
    }

    /**
     * Send a message to a conversation ({@code conv}) or directly to a user ({@code to}: the server derives the
     * direct conversation of the two users; exactly one of the two is given). {@code cmid} is the client's
     * idempotency key: resending it never stores twice. {@code kind} is {@code text} (the default: {@code body}
     * required), {@code image} or {@code audio} ({@code media}: the id {@code POST /api/media} returned for the
     * sender's own upload of that kind; no body; audio also needs {@code duration} in milliseconds, as the recorder
     * reports it).
     */
    record Send(String rid, String cmid, String conv, String to, String kind, String body, String media,
                Integer duration) implements ClientFrame {
        public static final String TEXT = "text";
        public static final String IMAGE = "image";
        public static final String AUDIO = "audio";
        /** WeChat's recorder stops at 10 minutes. */
        public static final int MAX_AUDIO_MILLIS = 600_000;
        private static final java.util.regex.Pattern MEDIA_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

        public Send(String rid, String cmid, String conv, String body) {
            this(rid, cmid, conv, null, null, body, null, null);
        }

        public Send(String rid, String cmid, String conv, String to, String body) {
            this(rid, cmid, conv, to, null, body, null, null);
        }

        public Send {
            rid = Conversations.optionalClientId("rid", rid);
            cmid = Conversations.requireClientId("cmid", cmid);
            if ((conv == null) == (to == null)) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "give exactly one of conv and to");
            }
            conv = conv == null ? null : Conversations.requireConv(conv);
            to = to == null ? null : Conversations.requireUserId("to", to);
            kind = kind == null ? TEXT : kind;
            switch (kind) {
                case TEXT -> {
                    if (body == null || body.isBlank()) {
                        throw new ProtocolException(ErrorCode.BAD_REQUEST, "body is required");
                    }
                    if (body.length() > MAX_BODY_CHARS && body.codePointCount(0, body.length()) > MAX_BODY_CHARS) {
                        throw new ProtocolException(ErrorCode.TOO_LARGE, "body longer than " + MAX_BODY_CHARS + " characters");
                    }
                    if (media != null || duration != null) {
                        throw new ProtocolException(ErrorCode.BAD_REQUEST, "media and duration belong to image and audio messages");
                    }
                }
                case IMAGE, AUDIO -> {
                    if (media == null || !MEDIA_ID.matcher(media).matches()) {
                        throw new ProtocolException(ErrorCode.BAD_REQUEST, "media is required: the id POST /api/media returned");
                    }
                    if (body != null) {
                        throw new ProtocolException(ErrorCode.BAD_REQUEST, kind + " messages have no body");
                    }
                    if (AUDIO.equals(kind) && (duration == null || duration < 1 || duration > MAX_AUDIO_MILLIS)) {
                        throw new ProtocolException(ErrorCode.BAD_REQUEST,
                                "duration is required for audio: 1-" + MAX_AUDIO_MILLIS + " milliseconds");
                    }
                    if (IMAGE.equals(kind) && duration != null) {
                        throw new ProtocolException(ErrorCode.BAD_REQUEST, "images have no duration");
                    }
                }
                default -> throw new ProtocolException(ErrorCode.BAD_REQUEST, "kind must be text, image or audio");
            }
        }
    }

    /** Ask for every message after the given seq, per conversation. {@code limit} caps each conversation's page. */
    record Sync(String rid, Map<String, Long> convs, Integer limit) implements ClientFrame {
        public Sync {
            rid = Conversations.optionalClientId("rid", rid);
            if (convs == null || convs.isEmpty()) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "convs must map at least one conversation to a seq");
            }
            if (convs.size() > MAX_SYNC_CONVERSATIONS) {
                throw new ProtocolException(ErrorCode.TOO_LARGE, "at most " + MAX_SYNC_CONVERSATIONS + " conversations per sync");
            }
            convs.forEach((conv, seq) -> {
                Conversations.requireConv(conv);
                if (seq == null || seq < 0) {
                    throw new ProtocolException(ErrorCode.BAD_REQUEST, "seq must be >= 0");
                }
            });
            convs = Map.copyOf(convs);
            if (limit != null && limit < 1) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "limit must be >= 1");
            }
        }
    }

    record ListRooms(String rid) implements ClientFrame {
        public ListRooms {
            rid = Conversations.optionalClientId("rid", rid);
        }
    }

    /** Create a room; the creator joins it. */
    record CreateRoom(String rid, String name) implements ClientFrame {
        public CreateRoom {
            rid = Conversations.optionalClientId("rid", rid);
            if (name == null || name.isBlank()) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "name is required");
            }
            name = name.strip();
            if (name.length() > MAX_ROOM_NAME_CHARS) {
                throw new ProtocolException(ErrorCode.TOO_LARGE, "name longer than " + MAX_ROOM_NAME_CHARS + " characters");
            }
        }
    }

    record Join(String rid, String conv) implements ClientFrame {
        public Join {
            rid = Conversations.optionalClientId("rid", rid);
            conv = Conversations.requireConv(conv);
        }
    }

    record Leave(String rid, String conv) implements ClientFrame {
        public Leave {
            rid = Conversations.optionalClientId("rid", rid);
            conv = Conversations.requireConv(conv);
        }
    }

    /** List the members of a conversation that are online now. */
    record ListMembers(String rid, String conv) implements ClientFrame {
        public ListMembers {
            rid = Conversations.optionalClientId("rid", rid);
            conv = Conversations.requireConv(conv);
        }
    }

    /** Marks the conversation read up to {@code seq} for all of the user's devices. */
    record Read(String rid, String conv, long seq) implements ClientFrame {
        public Read {
            rid = Conversations.optionalClientId("rid", rid);
            conv = Conversations.requireConv(conv);
            if (seq < 0) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "seq must be >= 0");
            }
        }
    }

    /** "I am typing" in a direct or pair conversation; not stored; at most one per conversation every 2 seconds. */
    record Typing(String rid, String conv) implements ClientFrame {
        public Typing {
            rid = Conversations.optionalClientId("rid", rid);
            conv = Conversations.requireConv(conv);
        }
    }

    /** Recalls one's own message {@code seq} of {@code conv} within the recall window. */
    record Recall(String rid, String conv, long seq) implements ClientFrame {
        public Recall {
            rid = Conversations.optionalClientId("rid", rid);
            conv = Conversations.requireConv(conv);
            if (seq < 1) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "seq must be >= 1");
            }
        }
    }

    /** Online status (online / offline with last seen) of a user who shares a conversation with the requester. */
    record Status(String rid, String user) implements ClientFrame {
        public Status {
            rid = Conversations.optionalClientId("rid", rid);
            user = Conversations.requireUserId("user", user);
        }
    }

    /** Asks {@code to} for a 1v1 pair session. */
    record PairRequest(String rid, String to) implements ClientFrame {
        public PairRequest {
            rid = Conversations.optionalClientId("rid", rid);
            to = Conversations.requireUserId("to", to);
        }
    }

    /** Withdraws one's own pending request to {@code to}. */
    record PairCancel(String rid, String to) implements ClientFrame {
        public PairCancel {
            rid = Conversations.optionalClientId("rid", rid);
            to = Conversations.requireUserId("to", to);
        }
    }

    /** Lists the requests waiting for this user's answer. */
    record PairPending(String rid) implements ClientFrame {
        public PairPending {
            rid = Conversations.optionalClientId("rid", rid);
        }
    }

    /** Accepts the pending request from {@code from}: both get {@code pairStarted}. */
    record PairAccept(String rid, String from) implements ClientFrame {
        public PairAccept {
            rid = Conversations.optionalClientId("rid", rid);
            from = Conversations.requireUserId("from", from);
        }
    }

    record PairDecline(String rid, String from) implements ClientFrame {
        public PairDecline {
            rid = Conversations.optionalClientId("rid", rid);
            from = Conversations.requireUserId("from", from);
        }
    }

    /** Ends the pair session {@code conv}; the peer gets {@code pairEnded}. */
    record PairLeave(String rid, String conv) implements ClientFrame {
        public PairLeave {
            rid = Conversations.optionalClientId("rid", rid);
            conv = Conversations.requireConv(conv);
        }
    }

    /**
     * In-band token refresh: a new access token for the same user replaces the connection's token before it
     * expires (answered by the gateway itself with {@code authed}).
     */
    record Auth(String rid, String token) implements ClientFrame {
        /** Far above a real access token (about 800 characters). */
        public static final int MAX_TOKEN_CHARS = 4096;

        public Auth {
            rid = Conversations.optionalClientId("rid", rid);
            if (token == null || token.isBlank()) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "token is required");
            }
            if (token.length() > MAX_TOKEN_CHARS) {
                throw new ProtocolException(ErrorCode.TOO_LARGE, "token longer than " + MAX_TOKEN_CHARS + " characters");
            }
        }

        @Override
        public String toString() {
            return "Auth[rid=" + rid + ", token=<redacted>]"; // never log a token
        }
    }

    /**
     * Switches the connection to encrypted frames (answered by the gateway itself with {@code secured}): {@code key}
     * is a fresh 32-byte AES-256 key wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256) for the public key {@code kid} of
     * {@code GET /api/auth/keys}, base64 with padding. Once per connection.
     */
    record Secure(String rid, String kid, String key) implements ClientFrame {
        /** Key ids are short tokens; the server's are 22 base64url characters. */
        private static final java.util.regex.Pattern KID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");
        /** A 4096-bit RSA block in base64 is 684 characters. */
        public static final int MAX_KEY_CHARS = 1024;

        public Secure {
            rid = Conversations.optionalClientId("rid", rid);
            if (kid == null || !KID.matcher(kid).matches()) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "kid is required: 1-64 characters [A-Za-z0-9_-]");
            }
            if (key == null || key.isBlank()) {
                throw new ProtocolException(ErrorCode.BAD_REQUEST, "key is required");
            }
            if (key.length() > MAX_KEY_CHARS) {
                throw new ProtocolException(ErrorCode.TOO_LARGE, "key longer than " + MAX_KEY_CHARS + " characters");
            }
        }

        @Override
        public String toString() {
            return "Secure[rid=" + rid + ", kid=" + kid + ", key=<redacted>]";
        }
    }
}
