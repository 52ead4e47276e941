package io.wxim.chat.presence;

import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.function.Function;

/**
 * The frames announcing that a user went offline, encoded once by the codec and cut around the parts only
 * {@code disconnect.lua} knows (the conversation and its online count after the change), so the script announces in
 * the step that takes the user offline: the lobby's {@code lobbyHead + count + lobbyTail} ({@code memberLeft}), any
 * other room's {@code roomHead + conv + roomMiddle + count + roomTail} ({@code presence offline}).
 */
public record OfflineFrames(String lobbyHead, String lobbyTail, String roomHead, String roomMiddle, String roomTail) {
    /** Stand-ins, found in the encoded frames by their JSON field (a string value cannot hold an unescaped quote). */
    private static final long COUNT_MARK = 987_654_321_987_654_321L;
    private static final String CONV_MARK = "r:conv0mark0";
    private static final String COUNT_FIELD = "\"online\":" + COUNT_MARK;
    private static final String CONV_FIELD = "\"conv\":\"" + CONV_MARK + "\"";

    /** The frames for {@code user}, encoded by {@code encoder} (the service's codec). */
    public static OfflineFrames of(UserRef user, Function<ServerFrame, String> encoder) {
        String lobby = encoder.apply(new ServerFrame.MemberLeft(Conversations.LOBBY, user, COUNT_MARK));
        String room = encoder.apply(new ServerFrame.Presence(CONV_MARK, user, "offline", COUNT_MARK));
        int lobbyCount = once(lobby, COUNT_FIELD) + COUNT_FIELD.length() - String.valueOf(COUNT_MARK).length();
        int roomConv = once(room, CONV_FIELD) + CONV_FIELD.length() - CONV_MARK.length() - 1;
        int roomCount = once(room, COUNT_FIELD) + COUNT_FIELD.length() - String.valueOf(COUNT_MARK).length();
        if (roomCount < roomConv) {
            throw new IllegalStateException("the presence frame encodes its count before its conversation");
        }
        return new OfflineFrames(lobby.substring(0, lobbyCount), lobby.substring(lobbyCount + String.valueOf(COUNT_MARK).length()),
                room.substring(0, roomConv), room.substring(roomConv + CONV_MARK.length(), roomCount),
                room.substring(roomCount + String.valueOf(COUNT_MARK).length()));
    }

    /** The frame for {@code conv} with {@code online} members online, as the script puts it together. */
    public String frame(String conv, long online) {
        return Conversations.LOBBY.equals(conv) ? lobbyHead + online + lobbyTail
                : roomHead + conv + roomMiddle + online + roomTail;
    }

    private static int once(String encoded, String field) {
        int at = encoded.indexOf(field);
        if (at < 0 || encoded.indexOf(field, at + 1) >= 0) {
            throw new IllegalStateException("expected one " + field + " in " + encoded);
        }
        return at;
    }
}
