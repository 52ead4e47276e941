package io.wxim.chat.presence;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.Conversations;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import org.junit.jupiter.api.Test;

/**
 * The presence frames the scripts put together (disconnect.lua, connect.lua, mark_online.lua, room_leave.lua,
 * crowd_flush.lua) are exactly what the codec encodes, whatever the user's name.
 */
class PresenceFramesTests {
    private static final String ROOM = "r:k3v8q2m9x7a4";
    private final FrameCodec codec = new FrameCodec();

    @Test
    void framesPutTogetherFromTheTemplatesEqualTheEncodedFrames_evenForANameThatLooksLikeAField() {
        for (UserRef user : new UserRef[] {new UserRef("u1", "Ann", null),
                new UserRef("u2", "\"online\":987654321987654321 \"conv\":\"r:conv0mark0\"", "https://a/b.png"),
                new UserRef("u3", null, null)}) {
            PresenceFrames offline = PresenceFrames.offline(user, codec::encode);
            assertThat(offline.frame(Conversations.LOBBY, 0)).isEqualTo(codec.encode(new ServerFrame.MemberLeft(Conversations.LOBBY, user, 0)));
            assertThat(offline.frame(ROOM, 42)).isEqualTo(codec.encode(new ServerFrame.Presence(ROOM, user, "offline", 42)));

            PresenceFrames online = PresenceFrames.online(user, codec::encode);
            assertThat(online.frame(Conversations.LOBBY, 7)).isEqualTo(codec.encode(new ServerFrame.MemberJoined(Conversations.LOBBY, user, 7)));
            assertThat(online.frame(ROOM, 3)).isEqualTo(codec.encode(new ServerFrame.Presence(ROOM, user, "online", 3)));

            PresenceFrames joined = PresenceFrames.joined(user, codec::encode);
            assertThat(joined.frame(ROOM, 100)).isEqualTo(codec.encode(new ServerFrame.MemberJoined(ROOM, user, 100)));
            assertThat(joined.frame(Conversations.LOBBY, 1)).isEqualTo(codec.encode(new ServerFrame.MemberJoined(Conversations.LOBBY, user, 1)));
        }
    }

    @Test
    void theCountFramePutTogetherByTheFlushEqualsTheEncodedFrame() {
        PresenceFrames count = PresenceFrames.count(codec::encode);
        assertThat(count.frame(ROOM, 1001)).isEqualTo(codec.encode(new ServerFrame.Online(ROOM, 1001)));
        assertThat(count.frame(Conversations.LOBBY, 20000)).isEqualTo(codec.encode(new ServerFrame.Online(Conversations.LOBBY, 20000)));
    }
}
