package io.wxim.chat.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

/** Frames for users reach each node holding one of their connections once, against a real Redis. */
@Timeout(60)
class DeliveriesIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String n1 = "n1" + suffix;
    private final String n2 = "n2" + suffix;
    private final FrameCodec codec = new FrameCodec();
    private final List<String[]> received = new CopyOnWriteArrayList<>(); // {node, message}
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final Deliveries deliveries = new Deliveries(redis, codec, ChatProperties.defaults());

    @BeforeEach
    void setUp() {
        for (String node : List.of(n1, n2)) {
            testRedis.listen(RedisNames.nodeChannel(node), message -> received.add(new String[] {node, message}));
        }
    }

    @AfterEach
    void tearDown() {
        for (String user : List.of("ua", "ub", "uc")) {
            redis.delete(RedisNames.connections(user + suffix), RedisNames.connecting(user + suffix)).block(WAIT);
        }
    }

    @Test
    void reachesEveryNodeOfEveryUserOnce() throws InterruptedException {
        String alice = "ua" + suffix;
        String bob = "ub" + suffix;
        String carol = "uc" + suffix; // not connected anywhere
        connect(alice, "c1", n1);
        connect(alice, "c2", n1); // a second connection on the same node: still one message to that node
        connect(alice, "c3", n2);
        connect(bob, "c4", n1);
        ServerFrame frame = new ServerFrame.Typing("d:x" + suffix, new UserRef(bob, "Bob", null));

        deliveries.toUsers(List.of(alice, bob, carol, bob), null, List.of(frame)).block(WAIT); // bob listed twice

        awaitExactly(3);
        List<String> delivered = received.stream().map(r -> {
            NodeMessage m = codec.read(r[1], NodeMessage.class);
            assertThat(m.kind()).isEqualTo(NodeMessage.Kind.USER);
            assertThat(m.conn()).isNull();
            assertThat(m.frames()).containsExactly(codec.encode(frame));
            return r[0] + ":" + m.user();
        }).toList();
        assertThat(delivered).containsExactlyInAnyOrder(n1 + ":" + alice, n2 + ":" + alice, n1 + ":" + bob);
    }

    @Test
    void aRoomMessageRecordsTheHighestSeqPublished_forAMinute_otherFramesLeaveItAlone() {
        String conv = "r:seqs" + suffix;
        String key = RedisNames.publishedSeq(conv);
        List<String> onChannel = new CopyOnWriteArrayList<>();
        testRedis.listen(RedisNames.convChannel(conv), onChannel::add);
        UserRef bob = new UserRef("ub" + suffix, "Bob", null);
        ServerFrame seven = new ServerFrame.Message(conv, 7, "m7", bob, "c7", "text", "hi", 1);
        ServerFrame five = new ServerFrame.Message(conv, 5, "m5", bob, "c5", "text", "late", 1); // another instance, later

        deliveries.toConversation(conv, seven).block(WAIT);
        deliveries.toConversation(conv, five).block(WAIT);
        deliveries.toConversation(conv, new ServerFrame.Typing(conv, bob)).block(WAIT);

        assertThat(redis.opsForValue().get(key).block(WAIT)).isEqualTo("7");
        assertThat(redis.getExpire(key).block(WAIT)).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
        Flux.interval(Duration.ofMillis(10)).takeUntil(i -> onChannel.size() >= 3).blockLast(WAIT); // published all the same
        assertThat(onChannel).containsExactly(codec.encode(seven), codec.encode(five),
                codec.encode(new ServerFrame.Typing(conv, bob)));
        redis.delete(key).block(WAIT);
    }

    @Test
    void aSingleUserKeepsTheConnectionToSkip() throws InterruptedException {
        String alice = "ua" + suffix;
        connect(alice, "c1", n2);
        ServerFrame frame = new ServerFrame.Typing("d:y" + suffix, new UserRef(alice, "Alice", null));

        deliveries.toUser(alice, "c1", List.of(frame)).block(WAIT);

        awaitExactly(1);
        NodeMessage m = codec.read(received.get(0)[1], NodeMessage.class);
        assertThat(received.get(0)[0]).isEqualTo(n2);
        assertThat(m.user()).isEqualTo(alice);
        assertThat(m.conn()).isEqualTo("c1");
    }

    @Test
    void eachEntryReachesItsUserWithItsOwnFrames() throws InterruptedException {
        String alice = "ua" + suffix;
        String bob = "ub" + suffix;
        connect(alice, "c1", n1);
        connect(alice, "c2", n2);
        connect(bob, "c3", n1);
        ServerFrame toAlice = new ServerFrame.PairEnded(null, "p:x" + suffix, bob, "left");
        ServerFrame toBob = new ServerFrame.PairEnded(null, "p:x" + suffix, alice, "peer_left");
        ServerFrame alsoToBob = new ServerFrame.PairRequestClosed(null, alice, bob, "busy");

        deliveries.toEach(List.of(new Deliveries.UserFrames(alice, "c1", toAlice), new Deliveries.UserFrames(bob, toBob),
                new Deliveries.UserFrames(bob, alsoToBob))).block(WAIT); // bob twice, with different frames: both

        awaitExactly(4);
        List<String> delivered = received.stream().map(r -> {
            NodeMessage m = codec.read(r[1], NodeMessage.class);
            assertThat(m.kind()).isEqualTo(NodeMessage.Kind.USER);
            assertThat(m.frames()).hasSize(1);
            return r[0] + ":" + m.user() + ":" + m.conn() + ":" + m.frames().get(0);
        }).toList();
        assertThat(delivered).containsExactlyInAnyOrder(
                n1 + ":" + alice + ":c1:" + codec.encode(toAlice),
                n2 + ":" + alice + ":c1:" + codec.encode(toAlice),
                n1 + ":" + bob + ":null:" + codec.encode(toBob),
                n1 + ":" + bob + ":null:" + codec.encode(alsoToBob));
    }

    @Test
    void aNodeMessageReachesTheUsersOtherNodesOnly() throws InterruptedException {
        String alice = "ua" + suffix;
        connect(alice, "c1", n1);
        connect(alice, "c2", n1);
        connect(alice, "c3", n2);
        NodeMessage change = NodeMessage.subscribe(alice, List.of("r:x" + suffix), null, 0, List.of());

        deliveries.toUserNodes(alice, n1, change).block(WAIT);

        awaitExactly(1); // and nothing to the node skipped
        assertThat(received.get(0)[0]).isEqualTo(n2);
        assertThat(codec.read(received.get(0)[1], NodeMessage.class)).isEqualTo(change);

        received.clear();
        deliveries.toUserNodes(alice, n2, change).block(WAIT);
        awaitExactly(1);
        assertThat(received).extracting(r -> r[0]).containsExactly(n1); // two connections there: one message
    }

    /** A connection being set up (its memberships not read yet) gets the user's frames too, each node once. */
    @Test
    void reachesConnectionsBeingSetUp_eachNodeOnce() throws InterruptedException {
        String alice = "ua" + suffix;
        connect(alice, "c1", n1);
        redis.opsForHash().putAll(RedisNames.connecting(alice), Map.of("c2", n1, "c3", n2)).block(WAIT);
        ServerFrame frame = new ServerFrame.Typing("d:z" + suffix, new UserRef("ub" + suffix, "Bob", null));

        deliveries.toUser(alice, frame).block(WAIT);

        awaitExactly(2);
        assertThat(received).extracting(r -> r[0]).containsExactlyInAnyOrder(n1, n2);
    }

    private void connect(String user, String conn, String node) {
        redis.opsForHash().putAll(RedisNames.connections(user), Map.of(conn, node)).block(WAIT);
    }

    /** Waits for {@code count} node messages, then checks that no more arrive. */
    private void awaitExactly(int count) throws InterruptedException {
        Flux.interval(Duration.ofMillis(10)).takeUntil(t -> received.size() >= count).blockLast(WAIT);
        Thread.sleep(200);
        assertThat(received).hasSize(count);
    }
}
