package io.wxim.protocol;

import java.util.regex.Pattern;

/**
 * Conversation ids. A room is {@code r:<roomId>}; the default room everyone online is in is {@code r:lobby}.
 * Ids are validated on every edge, so they are safe as Redis key parts and Mongo values (no operators, no dots).
 */
public final class Conversations {
    public static final String LOBBY = "r:lobby";
    public static final String ROOM_PREFIX = "r:";
    /** A direct conversation of two users; its id is derived by the server from the two user ids. */
    public static final String DIRECT_PREFIX = "d:";
    /** A 1v1 pair session started by an accepted pairing request. */
    public static final String PAIR_PREFIX = "p:";
    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    private static final Pattern CONV = Pattern.compile("[rdp]:[A-Za-z0-9_-]{1,64}");
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    private Conversations() {
    }

    public static boolean isValid(String conv) {
        return conv != null && CONV.matcher(conv).matches();
    }

    /** Client-chosen ids (cmid, rid): 1-64 safe characters. */
    public static boolean isValidClientId(String id) {
        return id != null && CLIENT_ID.matcher(id).matches();
    }

    public static String room(String roomId) {
        return ROOM_PREFIX + roomId;
    }

    public static boolean isRoom(String conv) {
        return conv.startsWith(ROOM_PREFIX);
    }

    public static boolean isDirect(String conv) {
        return conv.startsWith(DIRECT_PREFIX);
    }

    public static boolean isPair(String conv) {
        return conv.startsWith(PAIR_PREFIX);
    }

    /** User ids (as issued by auth-service): 1-32 characters of {@code [A-Za-z0-9_-]}. */
    public static boolean isValidUserId(String id) {
        return id != null && USER_ID.matcher(id).matches();
    }

    static String requireUserId(String field, String id) {
        if (!isValidUserId(id)) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, field + " must be a user id (1-32 characters of [A-Za-z0-9_-])");
        }
        return id;
    }

    static String requireConv(String conv) {
        if (!isValid(conv)) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, "conv must match [rdp]:[A-Za-z0-9_-]{1,64}");
        }
        return conv;
    }

    static String requireClientId(String field, String id) {
        if (!isValidClientId(id)) {
            throw new ProtocolException(ErrorCode.BAD_REQUEST, field + " must be 1-64 characters of [A-Za-z0-9_.:-]");
        }
        return id;
    }

    static String optionalClientId(String field, String id) {
        return id == null ? null : requireClientId(field, id);
    }
}
