package io.wxim.chat.pair;

import static io.wxim.chat.pair.TestPairs.connect;
import static io.wxim.chat.pair.TestPairs.failingAfterTheStep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.direct.PeersRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * {@code pairAccept} against a real Redis and MongoDB: both sides of every other request the accept closes get
 * {@code pairRequestClosed busy} in the step that starts the session (pair_accept.lua). They used to be told after the
 * step and the MongoDB write: when anything after the step failed, the retry answered the session already started,
 * closed nothing, and they never learnt.
 */
@Timeout(60)
class PairAcceptIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_pair_accept_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final PairRepository pairs = new PairRepository(redis, props);
    private final ProfileService profiles = new ProfileService(MONGO.template(), redis, props, Clock.systemUTC());
    private final RoomRepository rooms = new RoomRepository(MONGO.template(), props);
    private final DirectService directs = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
            Clock.systemUTC());

    private final UserRef alice = new UserRef("ua" + run, "Alice", null);
    private final UserRef bob = new UserRef("ub" + run, "Bob", null);
    private final String x = "ux" + run;
    private final String y = "uy" + run;
    private final String z = "uz" + run;
    private final String conv = "p:ab" + run;
    private final ClientFrame.PairAccept acceptFrame = new ClientFrame.PairAccept("pa", alice.id());

    @Test
    void eachSideOfEveryClosedRequestIsToldBusyOnce_whenTheMongoWriteAfterTheStepFails() throws Exception {
        DirectService mongoDown = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
                Clock.systemUTC()) {
            @Override
            public Mono<Void> recordMembers(String conv, String first, String second, long now) {
                return Mono.error(new IllegalStateException("MongoDB write failed"));
            }
        };
        acceptFailingThenRetry(commands(mongoDown, new Deliveries(redis, codec, props)), 1);
    }

    /**
     * Everything after the accept's own steps fails (its answer): the busy closes were told once; pairStarted, told in
     * the step that follows the MongoDB write, twice (the first attempt's and the retry's: a retried accept tells again).
     */
    @Test
    void eachSideOfEveryClosedRequestIsToldBusyOnce_whenTheAnswerAfterTheStepsFails() throws Exception {
        acceptFailingThenRetry(commands(directs, failingAfterTheStep(redis, codec, props)), 2);
    }

    /** An accept that succeeds at once tells each side of each closed request once too (in the step, not again after it). */
    @Test
    void eachSideOfEveryClosedRequestIsToldBusyOnce_whenTheAcceptSucceeds() throws Exception {
        Nodes nodes = requestsAndConnections();

        NodeMessage reply = commands(directs, new Deliveries(redis, codec, props)).accept(command(1), acceptFrame).block(WAIT);

        assertStarted(reply);
        assertToldOnce(nodes, 1);
    }

    /**
     * Bob accepts alice's request, closing four others (x -> bob, alice -> y, z -> alice, bob -> x), with
     * {@code failing}, which fails after the step; the retry answers the session as it always did. Each side of each
     * closed request got {@code busy} once, and both users {@code pairStarted} {@code started} times (once from the
     * retry when the first attempt failed before its announcing step, twice when it failed after it).
     */
    private void acceptFailingThenRetry(PairCommands failing, int started) throws Exception {
        Nodes nodes = requestsAndConnections();

        assertThat(catchThrowable(() -> failing.accept(command(1), acceptFrame).block(WAIT))).hasMessageContaining("failed");
        assertThat(pairs.sessionOf(bob.id()).block(WAIT)).as("the step ran").isEqualTo(conv);
        NodeMessage reply = commands(directs, new Deliveries(redis, codec, props)).accept(command(2), acceptFrame).block(WAIT);

        assertStarted(reply);
        assertToldOnce(nodes, started);
    }

    /** Where each user's one connection is (bob's is the accepting one), listened to, after the five requests. */
    private record Nodes(LinkedBlockingQueue<String> alice, LinkedBlockingQueue<String> bob, LinkedBlockingQueue<String> x,
                         LinkedBlockingQueue<String> y, LinkedBlockingQueue<String> z) {
    }

    private Nodes requestsAndConnections() {
        long now = System.currentTimeMillis();
        profiles.record(alice, Map.of()).block(WAIT);
        request(alice.id(), bob.id(), conv, now); // the one accepted
        request(x, bob.id(), "p:xb" + run, now); // another request waiting for bob
        request(alice.id(), y, "p:ay" + run, now); // alice's other outgoing request
        request(z, alice.id(), "p:za" + run, now); // someone waiting for alice
        request(bob.id(), x, "p:bx" + run, now); // bob's own outgoing request
        return new Nodes(connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run),
                connect(testRedis, bob.id(), "c-b" + run, "gw-b" + run),
                connect(testRedis, x, "c-x" + run, "gw-x" + run),
                connect(testRedis, y, "c-y" + run, "gw-y" + run),
                connect(testRedis, z, "c-z" + run, "gw-z" + run));
    }

    private void request(String from, String to, String session, long now) {
        assertThat(pairs.request(from, to, now + 60_000, session, 10, 50, now).block(WAIT).status()).isEqualTo("created");
    }

    /** The answer a started (or already started) session gets; both memberships recorded. */
    private void assertStarted(NodeMessage reply) {
        assertThat(reply.kind()).isEqualTo(NodeMessage.Kind.REPLY);
        assertThat(reply.conn()).isEqualTo("c-b" + run);
        assertThat(reply.frames()).hasSize(1);
        assertThat(codec.decodeServer(reply.frames().get(0))).isEqualTo(new ServerFrame.PairStarted("pa", conv, alice));
        assertThat(rooms.isMember(conv, alice.id()).block(WAIT)).isTrue();
        assertThat(rooms.isMember(conv, bob.id()).block(WAIT)).isTrue();
    }

    /**
     * What reached each user's node: each closed request's busy once to each of its sides, pairStarted {@code started} times to both,
     * after the busy closes (protocol.md: they come in the accept's step, pairStarted after the MongoDB write).
     */
    private void assertToldOnce(Nodes nodes, int started) throws InterruptedException {
        List<ServerFrame> atAlice = frames(nodes.alice(), alice.id(), 2 + started);
        assertThat(atAlice.subList(0, 2)).containsExactlyInAnyOrder(busy(alice.id(), y), busy(z, alice.id()));
        assertThat(atAlice.subList(2, 2 + started)).allMatch(f -> f.equals(new ServerFrame.PairStarted(null, conv, bob)));
        List<ServerFrame> atBob = frames(nodes.bob(), bob.id(), 2 + started);
        assertThat(atBob.subList(0, 2)).containsExactlyInAnyOrder(busy(x, bob.id()), busy(bob.id(), x));
        assertThat(atBob.subList(2, 2 + started)).allMatch(f -> f.equals(new ServerFrame.PairStarted(null, conv, alice)));
        assertThat(frames(nodes.x(), x, 2)).containsExactlyInAnyOrder(busy(x, bob.id()), busy(bob.id(), x));
        assertThat(frames(nodes.y(), y, 1)).containsExactly(busy(alice.id(), y));
        assertThat(frames(nodes.z(), z, 1)).containsExactly(busy(z, alice.id()));
        for (LinkedBlockingQueue<String> node : List.of(nodes.alice(), nodes.bob(), nodes.x(), nodes.y(), nodes.z())) {
            assertThat(node.poll(100, TimeUnit.MILLISECONDS)).as("told once").isNull();
        }
    }

    private static ServerFrame busy(String requester, String target) {
        return new ServerFrame.PairRequestClosed(null, requester, target, "busy");
    }

    /**
     * The next {@code count} messages at {@code node} (each one frame for {@code user}, to all their connections but
     * the accepting one at most), their frames in the order received.
     */
    private List<ServerFrame> frames(LinkedBlockingQueue<String> node, String user, int count) throws InterruptedException {
        List<ServerFrame> frames = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String message = node.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(message).as("message %d of %d at %s's node (got %s)", i + 1, count, user, frames).isNotNull();
            NodeMessage delivered = codec.read(message, NodeMessage.class);
            assertThat(delivered.kind()).isEqualTo(NodeMessage.Kind.USER);
            assertThat(delivered.user()).isEqualTo(user);
            assertThat(delivered.frames()).hasSize(1);
            ServerFrame frame = codec.decodeServer(delivered.frames().get(0));
            if (frame instanceof ServerFrame.PairRequestClosed) { // put together by the script: exactly the codec's
                assertThat(message).isEqualTo(codec.write(NodeMessage.toUser(user, null, List.of(codec.encode(frame)))));
            }
            assertThat(delivered.conn()).as("busy to every connection, pairStarted to all but the accepting one")
                    .isEqualTo(frame instanceof ServerFrame.PairStarted && user.equals(bob.id()) ? "c-b" + run : null);
            frames.add(frame);
        }
        return frames;
    }

    private Command command(long ref) {
        return new Command(Command.Event.FRAME, "gw-b" + run, "c-b" + run, ref, bob, acceptFrame);
    }

    private PairCommands commands(DirectService directService, Deliveries deliveries) {
        return new PairCommands(pairs, profiles, directService, deliveries, props, Clock.systemUTC());
    }
}
