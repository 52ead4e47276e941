package io.wxim.chat.pair;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What pair_accept.lua puts together from {@link BusyNews} is exactly what the codec writes, and where. */
class BusyNewsTests {
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(null, codec, ChatProperties.defaults()); // encodes, never publishes

    @Test
    void theMessagePutTogetherEqualsTheEncodedOne_evenForIdsThatLookLikeTheStandIns() {
        BusyNews busy = BusyNews.of(deliveries);
        String[][] cases = {{"u1", "u1", "u2"}, {"u2", "u1", "u2"}, {"a-b_C9", "Z", "a-b_C9"},
                {"Rr0mark0requester", "Tt0mark0target", "Uu0mark0told"}, {"x".repeat(32), "y".repeat(32), "z".repeat(32)}};
        for (String[] c : cases) {
            assertThat(busy.message(c[0], c[1], c[2])).isEqualTo(codec.write(NodeMessage.toUser(c[0], null,
                    List.of(codec.encode(new ServerFrame.PairRequestClosed(null, c[1], c[2], "busy"))))));
        }
    }

    @Test
    void theScriptFindsAUsersConnectionsAndNodesWhereDeliveriesDo() {
        Deliveries.ToFound to = BusyNews.of(deliveries).to();
        assertThat(to.connectionsPrefix() + "u1").isEqualTo(RedisNames.connections("u1"));
        assertThat(to.connectingPrefix() + "u1").isEqualTo(RedisNames.connecting("u1"));
        assertThat(to.channelPrefix() + "gw-1").isEqualTo(RedisNames.nodeChannel("gw-1"));
        assertThat(deliveries.inScript(List.of(new Deliveries.UserFrames("u1", new ServerFrame.Left(null, "r:x")))).nodeKeys())
                .containsExactly(RedisNames.connections("u1"), RedisNames.connecting("u1"));
    }
}
