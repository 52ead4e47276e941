package io.wxim.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which stated seqs a published one passed, and how a welcome or joined is rewritten (no Redis, no Spring). */
class PublishedSeqsTests {
    private final FrameCodec codec = new FrameCodec();
    private final UserRef alice = new UserRef("ua", "Alice", null);

    @Test
    void onlyAPublishedSeqAboveTheStatedOneCounts() {
        List<String> convs = List.of("r:a", "r:b", "r:c", "r:d", "r:e");
        List<String> values = java.util.Arrays.asList("8", "7", null, "junk", "3");
        Map<String, Long> stated = Map.of("r:a", 7L, "r:b", 7L, "r:c", 7L, "r:d", 7L, "r:e", 4L);

        assertThat(PublishedSeqs.newer(convs, values, stated)).isEqualTo(Map.of("r:a", 8L));
    }

    @Test
    void aWelcomeStatesTheNewerSeqForThatRoomOnly_andAJoinedToo() {
        ServerFrame.Welcome welcome = new ServerFrame.Welcome(alice, List.of(
                new ServerFrame.ConversationInfo("r:lobby", "Lobby", 7, 3),
                new ServerFrame.ConversationInfo("r:b", "B", 2, 1),
                new ServerFrame.ConversationInfo("d:x", "Bob", 9, 0, new UserRef("ub", "Bob", null), null)), 25);
        ServerFrame.Joined joined = new ServerFrame.Joined("j1", "r:lobby", "Lobby", 3, 7);
        String other = codec.encode(new ServerFrame.Pong("p1", 5));

        List<String> out = PublishedSeqs.raise(List.of(codec.encode(welcome), codec.encode(joined), other, "not json"),
                Map.of("r:lobby", 8L), codec);

        assertThat(codec.decodeServer(out.get(0))).isEqualTo(new ServerFrame.Welcome(alice, List.of(
                new ServerFrame.ConversationInfo("r:lobby", "Lobby", 8, 3),
                welcome.conversations().get(1), welcome.conversations().get(2)), 25));
        assertThat(codec.decodeServer(out.get(1))).isEqualTo(new ServerFrame.Joined("j1", "r:lobby", "Lobby", 3, 8));
        assertThat(out.subList(2, 4)).containsExactly(other, "not json");
    }

    @Test
    void onlyLastSeqChanges_fieldsThisGatewayDoesNotKnowAreKept() {
        String joined = "{\"type\":\"joined\",\"rid\":\"j1\",\"conv\":\"r:lobby\",\"name\":\"Lobby\",\"online\":3,"
                + "\"lastSeq\":7,\"future\":{\"x\":1}}";
        String welcome = "{\"type\":\"welcome\",\"user\":{\"id\":\"ua\"},\"heartbeatSeconds\":25,\"later\":true,"
                + "\"conversations\":[{\"conv\":\"r:lobby\",\"name\":\"Lobby\",\"lastSeq\":7,\"online\":3,\"badge\":2}]}";

        List<String> out = PublishedSeqs.raise(List.of(joined, welcome), Map.of("r:lobby", 9L), codec);

        assertThat(out.get(0)).isEqualTo(joined.replace("\"lastSeq\":7", "\"lastSeq\":9"));
        assertThat(out.get(1)).isEqualTo(welcome.replace("\"lastSeq\":7", "\"lastSeq\":9"));
    }

    @Test
    void theSeqOfAMessageFrame_asChatServiceEncodesIt() {
        String frame = codec.encode(new ServerFrame.Message("r:a", 42, "m1", alice, "c1", "text", "\"seq\":99", 1));
        assertThat(ConversationSubscriptions.seqOf(frame)).isEqualTo(42);
        assertThat(ConversationSubscriptions.seqOf(codec.encode(new ServerFrame.Joined("j", "r:a", "A", 1, 5)))).isZero();
        assertThat(ConversationSubscriptions.seqOf("{\"type\":\"messages\",\"seq\":5}")).isZero();
        // a message frame whose seq cannot be read this way: unknown (the room is then read from Redis)
        assertThat(ConversationSubscriptions.seqOf("{\"type\":\"message\",\"conv\":\"r:a\"}")).isEqualTo(-1);
        assertThat(ConversationSubscriptions.seqOf("{\"type\":\"message\",\"seq\":\"7\"}")).isEqualTo(-1);
    }

    @Test
    void aJoinedOfAnotherRoomIsLeftAsItIs() {
        String joined = codec.encode(new ServerFrame.Joined("j1", "r:b", "B", 1, 2));
        assertThat(PublishedSeqs.raise(List.of(joined), Map.of("r:lobby", 8L), codec)).containsExactly(joined);
    }
}
