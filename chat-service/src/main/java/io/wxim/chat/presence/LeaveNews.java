package io.wxim.chat.presence;

import io.wxim.chat.routing.Deliveries;
import io.wxim.chat.routing.Deliveries.UserFrames;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.List;

/**
 * What a room leave tells, encoded once in Java and put together by {@code room_leave.lua} in the step that takes the
 * user out of the room (told after it, a failure in between lost it for good: a retried leave finds no membership and
 * tells no one): the room's {@code memberLeft} ({@link PresenceFrames}, announced by {@code redis/lib/announce.lua}),
 * then to every gateway of the user the unsubscribe stating the leave's value, which only the step takes
 * ({@code unsubscribeHead + value + unsubscribeTail}), then {@code left} to the user's other connections
 * ({@code toOthers}, one entry: the user's node keys, the channel prefix and the message). On each gateway the
 * unsubscribe comes first, so the user's other connections there stop receiving the room before they are told.
 */
public record LeaveNews(PresenceFrames memberLeft, String unsubscribeHead, String unsubscribeTail,
                        Deliveries.InScript toOthers) {
    /** A stand-in, found in the encoded unsubscribe by its JSON field (a string value cannot hold an unescaped quote). */
    private static final long LEAVES_MARK = 987_654_321_987_654_321L;
    private static final String LEAVES_FIELD = "\"leaves\":" + LEAVES_MARK;

    /** {@code user} leaves {@code conv} from connection {@code conn} (which gets the answer, not {@code left}). */
    public static LeaveNews of(UserRef user, String conv, String conn, Deliveries deliveries) {
        String unsubscribe = deliveries.write(NodeMessage.unsubscribe(user.id(), List.of(conv), null, 0, List.of(), LEAVES_MARK));
        int value = PresenceFrames.valueAt(unsubscribe, LEAVES_FIELD, String.valueOf(LEAVES_MARK));
        return new LeaveNews(PresenceFrames.left(user, deliveries::encode), unsubscribe.substring(0, value),
                unsubscribe.substring(value + String.valueOf(LEAVES_MARK).length()),
                deliveries.inScript(List.of(new UserFrames(user.id(), conn, new ServerFrame.Left(null, conv)))));
    }

    /** The unsubscribe stating {@code leaves}, as the script puts it together. */
    public String unsubscribe(long leaves) {
        return unsubscribeHead + leaves + unsubscribeTail;
    }
}
