package io.wxim.chat.presence;

import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.function.Function;

/**
 * The frames announcing a change of a user's presence, encoded once by the codec and cut around the parts only a
 * script knows (the conversation and its online count after the change), so the script announces in the step that
 * makes the change: the lobby's {@code lobbyHead + count + lobbyTail}, any other room's
 * {@code roomHead + conv + roomMiddle + count + roomTail}. The script puts them together with
 * {@code redis/lib/announce.lua}; a crowded room's count ({@link #count}) is put together the same way.
 */
public record PresenceFrames(String lobbyHead, String lobbyTail, String roomHead, String roomMiddle, String roomTail) {
    /** Stand-ins, found in the encoded frames by their JSON field (a string value cannot hold an unescaped quote). */
    private static final long COUNT_MARK = 987_654_321_987_654_321L;
    private static final String CONV_MARK = "r:conv0mark0";
    private static final String COUNT_FIELD = "\"online\":" + COUNT_MARK;
    private static final String CONV_FIELD = "\"conv\":\"" + CONV_MARK + "\"";

    /** {@code user} went offline ({@code disconnect.lua}): {@code memberLeft} in the lobby, {@code presence offline} elsewhere. */
    public static PresenceFrames offline(UserRef user, Function<ServerFrame, String> encoder) {
        return cut(encoder.apply(new ServerFrame.MemberLeft(Conversations.LOBBY, user, COUNT_MARK)),
                encoder.apply(new ServerFrame.Presence(CONV_MARK, user, "offline", COUNT_MARK)));
    }

    /** {@code user} came online ({@code connect.lua}): {@code memberJoined} in the lobby, {@code presence online} elsewhere. */
    public static PresenceFrames online(UserRef user, Function<ServerFrame, String> encoder) {
        return cut(encoder.apply(new ServerFrame.MemberJoined(Conversations.LOBBY, user, COUNT_MARK)),
                encoder.apply(new ServerFrame.Presence(CONV_MARK, user, "online", COUNT_MARK)));
    }

    /** {@code user} joined a room ({@code mark_online.lua}): {@code memberJoined}. */
    public static PresenceFrames joined(UserRef user, Function<ServerFrame, String> encoder) {
        return cut(encoder.apply(new ServerFrame.MemberJoined(Conversations.LOBBY, user, COUNT_MARK)),
                encoder.apply(new ServerFrame.MemberJoined(CONV_MARK, user, COUNT_MARK)));
    }

    /** {@code user} left a room ({@code room_leave.lua}): {@code memberLeft}. */
    public static PresenceFrames left(UserRef user, Function<ServerFrame, String> encoder) {
        return cut(encoder.apply(new ServerFrame.MemberLeft(Conversations.LOBBY, user, COUNT_MARK)),
                encoder.apply(new ServerFrame.MemberLeft(CONV_MARK, user, COUNT_MARK)));
    }

    /** A crowded room's count ({@code crowd_flush.lua}): {@code online}, the same frame in the lobby and elsewhere. */
    public static PresenceFrames count(Function<ServerFrame, String> encoder) {
        return cut(encoder.apply(new ServerFrame.Online(Conversations.LOBBY, COUNT_MARK)),
                encoder.apply(new ServerFrame.Online(CONV_MARK, COUNT_MARK)));
    }

    /** The frame for {@code conv} with {@code online} members online, as the script puts it together. */
    public String frame(String conv, long online) {
        return Conversations.LOBBY.equals(conv) ? lobbyHead + online + lobbyTail
                : roomHead + conv + roomMiddle + online + roomTail;
    }

    private static PresenceFrames cut(String lobby, String room) {
        int lobbyCount = valueAt(lobby, COUNT_FIELD, String.valueOf(COUNT_MARK));
        int roomConv = valueAt(room, CONV_FIELD, CONV_MARK);
        int roomCount = valueAt(room, COUNT_FIELD, String.valueOf(COUNT_MARK));
        if (roomCount < roomConv) {
            throw new IllegalStateException("the presence frame encodes its count before its conversation");
        }
        return new PresenceFrames(lobby.substring(0, lobbyCount), lobby.substring(lobbyCount + String.valueOf(COUNT_MARK).length()),
                room.substring(0, roomConv), room.substring(roomConv + CONV_MARK.length(), roomCount),
                room.substring(roomCount + String.valueOf(COUNT_MARK).length()));
    }

    /**
     * Where the stand-in {@code mark} starts in {@code encoded}, inside its one {@code field} (the field with the
     * stand-in as its value); a frame holding the field twice, or not at all, cannot be cut. A stand-in that cannot
     * occur anywhere else is its own field ({@code field == mark}: where it starts, found exactly once).
     */
    public static int valueAt(String encoded, String field, String mark) {
        int at = encoded.indexOf(field);
        if (at < 0 || encoded.indexOf(field, at + 1) >= 0) {
            throw new IllegalStateException("expected one " + field + " in " + encoded);
        }
        return at + field.indexOf(mark);
    }
}
