package io.wxim.chat.presence;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.Conversations;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import org.junit.jupiter.api.Test;

/** The offline frames disconnect.lua puts together are exactly what the codec encodes, whatever the user's name. */
class OfflineFramesTests {
    private final FrameCodec codec = new FrameCodec();

    @Test
    void framesPutTogetherFromTheTemplatesEqualTheEncodedFrames_evenForANameThatLooksLikeAField() {
        for (UserRef user : new UserRef[] {new UserRef("u1", "Ann", null),
                new UserRef("u2", "\"online\":987654321987654321 \"conv\":\"r:conv0mark0\"", "https://a/b.png"),
                new UserRef("u3", null, null)}) {
            OfflineFrames frames = OfflineFrames.of(user, codec::encode);

            assertThat(frames.frame(Conversations.LOBBY, 0)).isEqualTo(codec.encode(new ServerFrame.MemberLeft(Conversations.LOBBY, user, 0)));
            assertThat(frames.frame("r:k3v8q2m9x7a4", 42))
                    .isEqualTo(codec.encode(new ServerFrame.Presence("r:k3v8q2m9x7a4", user, "offline", 42)));
        }
    }
}
