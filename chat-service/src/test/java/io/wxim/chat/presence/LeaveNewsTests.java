package io.wxim.chat.presence;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What room_leave.lua puts together from {@link LeaveNews} is exactly what the codec writes, whatever the user's name. */
class LeaveNewsTests {
    private static final String ROOM = "r:k3v8q2m9x7a4";
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(null, codec, ChatProperties.defaults()); // encodes, never publishes

    @Test
    void theUnsubscribeAndFramesPutTogetherEqualTheEncodedOnes_evenForANameThatLooksLikeAField() {
        for (UserRef user : new UserRef[] {new UserRef("u1", "Ann", null),
                new UserRef("u2", "\"leaves\":987654321987654321 \"online\":987654321987654321", "https://a/b.png")}) {
            LeaveNews news = LeaveNews.of(user, ROOM, "c1", deliveries);

            assertThat(news.unsubscribe(42)).isEqualTo(codec.write(NodeMessage.unsubscribe(user.id(), List.of(ROOM), null, 0, List.of(), 42)));
            assertThat(news.memberLeft().frame(ROOM, 3)).isEqualTo(codec.encode(new ServerFrame.MemberLeft(ROOM, user, 3)));
            assertThat(news.toOthers().messages()).containsExactly(codec.write(NodeMessage.toUser(user.id(), "c1",
                    List.of(codec.encode(new ServerFrame.Left(null, ROOM))))));
            assertThat(news.toOthers().nodeKeys()).hasSize(2);
        }
    }
}
