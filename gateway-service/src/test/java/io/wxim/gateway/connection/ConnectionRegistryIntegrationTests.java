package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.delivery.ConversationSubscriptions;
import io.wxim.gateway.delivery.PublishedSeqs;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** The registry against a real Redis: subscriptions follow local membership, and fan-out writes each frame once per member. */
@Timeout(60)
class ConnectionRegistryIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private LettuceConnectionFactory factory;
    private ReactiveRedisMessageListenerContainer container;
    private ReactiveStringRedisTemplate redis;
    private ConversationSubscriptions[] subscriptions = new ConversationSubscriptions[1];
    private ConnectionRegistry registry;
    private final String conv = "r:" + UUID.randomUUID().toString().substring(0, 8);
    private final FrameCodec codec = new FrameCodec();

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        container = new ReactiveRedisMessageListenerContainer(factory);
        redis = new ReactiveStringRedisTemplate(factory);
        registry = new ConnectionRegistry(onFrame -> subscriptions[0] = new ConversationSubscriptions(container, onFrame, WAIT),
                new SimpleMeterRegistry(), "{\"type\":\"error\",\"code\":\"unavailable\"}");
    }

    @AfterEach
    void tearDown() {
        container.destroy();
        factory.destroy();
    }

    @Test
    void deliversEachFrameOnce_toEveryLocalConnectionOfTheMembers_only() {
        Connection a1 = registry.open("a1", new UserRef("ua", "A", null), 16, 5);
        Connection a2 = registry.open("a2", new UserRef("ua", "A", null), 16, 5);
        Connection b1 = registry.open("b1", new UserRef("ub", "B", null), 16, 5);
        TestConnections.markWelcomed(a2); // an established connection (a frame for a connection not welcomed yet waits)
        long ref = a1.beginCommand();

        StepVerifier.create(registry.apply(NodeMessage.subscribe("ua", List.of(conv), "a1", ref, List.of("{\"type\":\"joined\"}"))))
                .verifyComplete();
        StepVerifier.create(a1.awaitCommand(WAIT)).expectNext(NodeMessage.Kind.SUBSCRIBE).verifyComplete();
        StepVerifier.create(redis.convertAndSend(RedisNames.convChannel(conv), "{\"type\":\"message\"}"))
                .expectNext(1L).verifyComplete(); // one gateway subscriber, however many local members

        StepVerifier.create(a1.outbound()).expectNext("{\"type\":\"joined\"}", "{\"type\":\"message\"}")
                .thenCancel().verify(WAIT);
        StepVerifier.create(a2.outbound()).expectNext("{\"type\":\"message\"}").thenCancel().verify(WAIT);
        // b1 is not a member: nothing arrives (checked after the members got theirs, so the frame was fanned out)
        b1.completeOutbound();
        StepVerifier.create(b1.outbound()).expectComplete().verify(WAIT);
    }

    @Test
    void aMessagePublishedBeforeTheSubscriptionWasApplied_raisesTheSeqTheJoinedStates() {
        ConnectionRegistry checking = checking(new PublishedSeqs(redis, codec, WAIT, new SimpleMeterRegistry()), null);
        // chat-service read last seq 4 for the joined; seq 5 went out on the channel before this gateway subscribed
        redis.opsForValue().set(RedisNames.publishedSeq(conv), "5", Duration.ofMinutes(1)).block(WAIT);

        Connection a1 = joinStating(checking, "a1", 4);

        StepVerifier.create(a1.outbound().map(codec::decodeServer))
                .expectNext(new ServerFrame.Joined("j1", conv, "Room", 1, 5)).thenCancel().verify(WAIT);
        redis.delete(RedisNames.publishedSeq(conv)).block(WAIT);
    }

    @Test
    void aChannelHeldSinceBeforeTheCommand_answersFromWhatItReceived_withoutRedis() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ConversationSubscriptions[] held = new ConversationSubscriptions[1];
        ConnectionRegistry checking = checking(new PublishedSeqs(redis, codec, WAIT, meters), held);
        Connection b1 = checking.open("b1", new UserRef("ub", "B", null), 16, 5); // already in the room here
        StepVerifier.create(checking.apply(NodeMessage.subscribe("ub", List.of(conv), null, 0, List.of()))).verifyComplete();
        TestConnections.markWelcomed(b1);
        String seven = codec.encode(new ServerFrame.Message(conv, 7, "m7", new UserRef("ub", "B", null), "c7", "text", "x", 1));
        StepVerifier.create(redis.convertAndSend(RedisNames.convChannel(conv), seven)).expectNext(1L).verifyComplete();
        StepVerifier.create(b1.outbound()).expectNext(seven).thenCancel().verify(WAIT); // received here: highest seq 7

        Connection a1 = joinStating(checking, "a1", 5); // begun after the channel was held: no Redis key (none is set)
        StepVerifier.create(a1.outbound().map(codec::decodeServer))
                .expectNext(new ServerFrame.Joined("j1", conv, "Room", 1, 7)).thenCancel().verify(WAIT);
        assertThat(meters.counter("im.gateway.stated_seqs.reads").count()).isZero();

        // after a pub/sub drop the channel proves nothing until the subscriptions are proven again: Redis is read
        checking.distrustSubscriptions();
        Connection a2 = joinStating(checking, "a2", 5);
        StepVerifier.create(a2.outbound().map(codec::decodeServer))
                .expectNext(new ServerFrame.Joined("j1", conv, "Room", 1, 5)).thenCancel().verify(WAIT);
        assertThat(meters.counter("im.gateway.stated_seqs.reads").count()).isEqualTo(1.0);
        long beforeProof = System.nanoTime();
        checking.subscriptionsProven(); // a command begun before the proof still reads Redis; one begun after does not
        assertThat(held[0].highestSeqsSince(List.of(conv), beforeProof)).isEmpty();
        assertThat(held[0].highestSeqsSince(List.of(conv), System.nanoTime() + 1_000_000)).isEqualTo(Map.of(conv, 7L));
    }

    @Test
    void whileAJoinedIsPrepared_theNodeChannelGoesOn_andTheRoomsFramesWaitForIt() {
        Sinks.One<List<String>> prepared = Sinks.one();
        ConnectionRegistry gated = gated(prepared);
        Connection a1 = gated.open("a1", new UserRef("ua", "A", null), 16, 5);
        TestConnections.markWelcomed(a1); // a connection that is past its welcome joins a room
        long ref = a1.beginCommand();

        // apply completes before the joined is ready: the node channel's next message is not held up
        StepVerifier.create(gated.apply(NodeMessage.subscribe("ua", List.of(conv), "a1", ref,
                List.of("{\"type\":\"joined\"}"), Map.of(conv, 0L)))).verifyComplete();
        StepVerifier.create(redis.convertAndSend(RedisNames.convChannel(conv), "{\"type\":\"message\"}"))
                .expectNext(1L).verifyComplete();
        // the listener hands it over on its own thread: wait until it is held, so the order below is known
        Flux.interval(Duration.ofMillis(10)).takeUntil(i -> a1.heldFrames() == 1).blockLast(WAIT);
        StepVerifier.create(gated.apply(NodeMessage.toUser("ua", null, List.of("{\"type\":\"typing\"}"))))
                .verifyComplete();
        Flux.interval(Duration.ofMillis(10)).takeUntil(i -> a1.heldFrames() == 2).blockLast(WAIT);

        prepared.tryEmitValue(List.of("{\"type\":\"joined\"}"));
        StepVerifier.create(a1.awaitCommand(WAIT)).expectNext(NodeMessage.Kind.SUBSCRIBE).verifyComplete();
        StepVerifier.create(a1.outbound())
                .expectNext("{\"type\":\"joined\"}", "{\"type\":\"message\"}", "{\"type\":\"typing\"}")
                .thenCancel().verify(WAIT);
    }

    /**
     * A join's answer carries the {@code joined} event for the user's other connections here (ADR-31): each is told
     * once it is subscribed, before the room's frames that arrived meanwhile and after what was held before; the
     * requester gets only its own frame; a connection still being set up gets the event after its welcome.
     */
    @Test
    void aJoinTellsTheUsersOtherConnectionsHere_onceSubscribed_andBeforeTheRoomsFrames() {
        Sinks.One<List<String>> prepared = Sinks.one();
        ConnectionRegistry gated = gated(prepared);
        Connection a1 = gated.open("a1", new UserRef("ua", "A", null), 16, 5);
        Connection a2 = gated.open("a2", new UserRef("ua", "A", null), 16, 5);
        Connection a3 = gated.open("a3", new UserRef("ua", "A", null), 16, 5); // still being set up
        Connection b1 = gated.open("b1", new UserRef("ub", "B", null), 16, 5);
        TestConnections.markWelcomed(a1);
        TestConnections.markWelcomed(a2);
        TestConnections.markWelcomed(b1);
        long ref = a1.beginCommand();
        String answer = "{\"type\":\"joined\",\"rid\":\"j1\"}";
        String event = "{\"type\":\"joined\"}";
        String before = "{\"type\":\"left\"}"; // an event for the user from before the join (held on a3)
        StepVerifier.create(gated.apply(NodeMessage.toUser("ua", "a1", List.of(before)))).verifyComplete();

        StepVerifier.create(gated.apply(NodeMessage.subscribe("ua", List.of(conv), "a1", ref, List.of(answer),
                Map.of(conv, 0L), List.of(event)))).verifyComplete();
        assertThat(a2.conversations()).containsExactly(conv);
        StepVerifier.create(redis.convertAndSend(RedisNames.convChannel(conv), "{\"type\":\"message\"}"))
                .expectNext(1L).verifyComplete();
        Flux.interval(Duration.ofMillis(10)).takeUntil(i -> a2.heldFrames() == 1).blockLast(WAIT);
        assertThat(a1.heldFrames()).isEqualTo(1);

        prepared.tryEmitValue(List.of(answer, event));
        StepVerifier.create(a1.awaitCommand(WAIT)).expectNext(NodeMessage.Kind.SUBSCRIBE).verifyComplete();
        StepVerifier.create(a1.outbound()).expectNext(answer, "{\"type\":\"message\"}").thenCancel().verify(WAIT);
        StepVerifier.create(a2.outbound()).expectNext(before, event, "{\"type\":\"message\"}").thenCancel().verify(WAIT);
        a3.deliver("{\"type\":\"welcome\"}"); // its welcome is written: what waited for it follows, in order
        TestConnections.markWelcomed(a3);
        StepVerifier.create(a3.outbound()).expectNext("{\"type\":\"welcome\"}", before, event, "{\"type\":\"message\"}")
                .thenCancel().verify(WAIT);
        b1.completeOutbound(); // another user: neither subscribed nor told
        StepVerifier.create(b1.outbound()).expectComplete().verify(WAIT);
    }

    /**
     * On the user's other gateways the join's SUBSCRIBE names no connection: every connection of the user there is
     * subscribed, then told, with the stated seq raised past a message published before the subscription (ADR-27).
     */
    @Test
    void aJoinOnAnotherGateway_tellsTheUsersConnectionsHere_withTheStatedSeqRaised() {
        ConnectionRegistry checking = checking(new PublishedSeqs(redis, codec, WAIT, new SimpleMeterRegistry()), null);
        redis.opsForValue().set(RedisNames.publishedSeq(conv), "5", Duration.ofMinutes(1)).block(WAIT);
        Connection b1 = checking.open("b1", new UserRef("ub", "B", null), 16, 5);
        TestConnections.markWelcomed(b1);

        String event = codec.encode(new ServerFrame.Joined(null, conv, "Room", 1, 4));
        StepVerifier.create(checking.apply(NodeMessage.subscribe("ub", List.of(conv), null, 0, List.of(),
                Map.of(conv, 4L), List.of(event)))).verifyComplete();

        StepVerifier.create(b1.outbound().map(codec::decodeServer))
                .expectNext(new ServerFrame.Joined(null, conv, "Room", 1, 5)).thenCancel().verify(WAIT);
        assertThat(b1.conversations()).containsExactly(conv);
        redis.delete(RedisNames.publishedSeq(conv)).block(WAIT);
    }

    @Test
    void withoutAnAnswerFromRedis_theJoinedGoesOutAsStated() {
        LettuceConnectionFactory nowhere = new LettuceConnectionFactory(
                new org.springframework.data.redis.connection.RedisStandaloneConfiguration("127.0.0.1", 1));
        nowhere.afterPropertiesSet();
        try {
            ConnectionRegistry checking = checking(new PublishedSeqs(new ReactiveStringRedisTemplate(nowhere), codec,
                    Duration.ofSeconds(2), new SimpleMeterRegistry()), null);

            Connection a1 = joinStating(checking, "a1", 4);

            StepVerifier.create(a1.outbound().map(codec::decodeServer))
                    .expectNext(new ServerFrame.Joined("j1", conv, "Room", 1, 4)).thenCancel().verify(WAIT);
        } finally {
            nowhere.destroy();
        }
    }

    /**
     * A leave on another device (its UNSUBSCRIBE, stating the leave's value) reaches this gateway before the welcome of
     * a connection whose memberships were read before that leave (the welcome states the user's last leave read before
     * them): the welcome does not subscribe the room, neither for that connection nor for the user's others here. An
     * earlier leave, or one a join took back, does not hold the room back; a welcome whose connection is gone changes
     * nothing.
     */
    @Test
    void aWelcomeDoesNotSubscribeARoomLeftAfterItsConnectionWasRegistered() {
        UserRef a = new UserRef("ua", "A", null);
        String kept = conv + "k";
        Connection a1 = registry.open("a1", a, 16, 5);
        welcome(a1, List.of(conv, kept), 0);
        Connection a2 = registry.open("a2", a, 16, 5);

        unsubscribe(conv, 1);
        welcome(a2, List.of(conv, kept), 0); // registered before the leave: its memberships still listed the room

        assertThat(a2.conversations()).containsExactly(kept);
        assertThat(a1.conversations()).containsExactly(kept);

        Connection a3 = registry.open("a3", a, 16, 5);
        unsubscribe(kept, 2);
        welcome(a3, List.of(kept), 2); // registered after that leave: the room was joined again before the read
        assertThat(a3.conversations()).containsExactly(kept);

        Connection a4 = registry.open("a4", a, 16, 5);
        unsubscribe(kept, 3);
        StepVerifier.create(registry.apply(NodeMessage.subscribe("ua", List.of(kept), null, 0, List.of()))).verifyComplete();
        welcome(a4, List.of(kept), 2); // registered before the leave, but the join after it takes the room back
        assertThat(a4.conversations()).containsExactly(kept);

        unsubscribe(kept, 4);
        StepVerifier.create(registry.apply(NodeMessage.welcome("ua", List.of(conv, kept), "gone", ConnectionRegistry.CONNECT_REF,
                List.of("{\"type\":\"welcome\"}"), Map.of(), 0))).verifyComplete();
        assertThat(a1.conversations()).as("a late welcome of a closed connection subscribes no one").isEmpty();
        // once welcomed, a connection follows every later change as before
        StepVerifier.create(registry.apply(NodeMessage.subscribe("ua", List.of(conv), "a3", 0, List.of()))).verifyComplete();
        assertThat(a2.conversations()).containsExactly(conv);
    }

    private void unsubscribe(String room, long leaves) {
        StepVerifier.create(registry.apply(NodeMessage.unsubscribe("ua", List.of(room), null, 0, List.of(), leaves))).verifyComplete();
    }

    /** Applies {@code connection}'s welcome (its first SUBSCRIBE) for {@code rooms}, registered at {@code leaves}. */
    private void welcome(Connection connection, List<String> rooms, long leaves) {
        long ref = connection.beginCommand();
        assertThat(ref).isEqualTo(ConnectionRegistry.CONNECT_REF);
        StepVerifier.create(registry.apply(NodeMessage.welcome("ua", rooms, connection.id(), ref,
                List.of("{\"type\":\"welcome\"}"), Map.of(), leaves))).verifyComplete();
        StepVerifier.create(connection.awaitCommand(WAIT)).expectNext(NodeMessage.Kind.SUBSCRIBE).verifyComplete();
    }

    @Test
    void unsubscribesFromRedis_whenTheLastLocalMemberCloses() {
        Connection a1 = registry.open("a1", new UserRef("ua", "A", null), 16, 5);
        StepVerifier.create(registry.apply(NodeMessage.subscribe("ua", List.of(conv), null, 0, List.of()))).verifyComplete();
        assertThat(subscriptions[0].size()).isEqualTo(1);

        assertThat(registry.close(a1)).isTrue();
        assertThat(registry.close(a1)).isFalse();
        assertThat(subscriptions[0].size()).isZero();
        assertThat(registry.size()).isZero();
        // UNSUBSCRIBE reaches Redis asynchronously: the channel must have no subscriber left soon after
        StepVerifier.create(Mono.defer(() -> redis.convertAndSend(RedisNames.convChannel(conv), "x"))
                        .filter(receivers -> receivers == 0L)
                        .repeatWhenEmpty(attempts -> attempts.delayElements(Duration.ofMillis(20)).take(250)))
                .expectNext(0L)
                .verifyComplete();
    }

    @Test
    void dropsAReply_addressedToAConnectionNowHeldByAnotherUser() {
        Connection b1 = registry.open("gw.x.1", new UserRef("ub", "B", null), 16, 5);
        StepVerifier.create(registry.apply(NodeMessage.reply("ua", "gw.x.1", 0, List.of("{\"type\":\"synced\"}"))))
                .verifyComplete();
        b1.completeOutbound();
        StepVerifier.create(b1.outbound()).expectComplete().verify(WAIT);
    }

    @Test
    void rollsBackAndAnswersUnavailable_whenTheRedisSubscribeIsNotConfirmedInTime() {
        ConversationSubscriptions[] holder = new ConversationSubscriptions[1];
        ConnectionRegistry broken = new ConnectionRegistry(
                onFrame -> holder[0] = new ConversationSubscriptions(container, onFrame, Duration.ofNanos(1)),
                new SimpleMeterRegistry(), "{\"type\":\"error\",\"code\":\"unavailable\"}");
        Connection a1 = broken.open("a1", new UserRef("ua", "A", null), 16, 5);
        Connection a2 = broken.open("a2", new UserRef("ua", "A", null), 16, 5);
        TestConnections.markWelcomed(a2);
        long ref = a1.beginCommand();
        StepVerifier.create(broken.apply(NodeMessage.subscribe("ua", List.of(conv), "a1", ref, List.of("{\"type\":\"joined\"}"),
                Map.of(), List.of("{\"type\":\"joined\"}")))).verifyComplete();
        StepVerifier.create(a1.awaitCommand(WAIT)).expectNext(NodeMessage.Kind.REPLY).verifyComplete();
        assertThat(a1.conversations()).isEmpty();
        assertThat(a2.conversations()).isEmpty();
        assertThat(holder[0].size()).isZero();
        a1.completeOutbound();
        StepVerifier.create(a1.outbound()).expectNext("{\"type\":\"error\",\"code\":\"unavailable\"}").verifyComplete();
        // the user's other connection is not told of a room it does not receive, and is not held: the next frame flows
        StepVerifier.create(broken.apply(NodeMessage.toUser("ua", null, List.of("{\"type\":\"typing\"}")))).verifyComplete();
        StepVerifier.create(a2.outbound()).expectNext("{\"type\":\"typing\"}").thenCancel().verify(WAIT);
    }

    @Test
    void refusesAConnection_overThePerUserLimit() {
        assertThat(registry.open("a1", new UserRef("ua", null, null), 16, 2)).isNotNull();
        assertThat(registry.open("a2", new UserRef("ua", null, null), 16, 2)).isNotNull();
        assertThat(registry.open("a3", new UserRef("ua", null, null), 16, 2)).isNull();
    }

    /** A registry whose subscribes' frames are ready once {@code prepared} has them (stated seqs not checked). */
    private ConnectionRegistry gated(Sinks.One<List<String>> prepared) {
        return new ConnectionRegistry(onFrame -> subscriptions[0] = new ConversationSubscriptions(container, onFrame, WAIT),
                new SimpleMeterRegistry(), "{\"type\":\"error\",\"code\":\"unavailable\"}", 100,
                (message, seen) -> prepared.asMono());
    }

    /** A registry that checks stated seqs with {@code published}; its subscriptions land in {@code held} if given. */
    private ConnectionRegistry checking(PublishedSeqs published, ConversationSubscriptions[] held) {
        return new ConnectionRegistry(onFrame -> {
            ConversationSubscriptions made = new ConversationSubscriptions(container, onFrame, WAIT);
            if (held != null) {
                held[0] = made;
            }
            return made;
        }, new SimpleMeterRegistry(), "{\"type\":\"error\",\"code\":\"unavailable\"}", 100, published::framesOf);
    }

    /** Opens {@code connId} for user ua, applies a SUBSCRIBE whose joined states {@code stated}, awaits the command. */
    private Connection joinStating(ConnectionRegistry registry, String connId, long stated) {
        Connection connection = registry.open(connId, new UserRef("ua", "A", null), 16, 5);
        long ref = connection.beginCommand();
        String joined = codec.encode(new ServerFrame.Joined("j1", conv, "Room", 1, stated));
        StepVerifier.create(registry.apply(NodeMessage.subscribe("ua", List.of(conv), connId, ref, List.of(joined),
                Map.of(conv, stated)))).verifyComplete();
        StepVerifier.create(connection.awaitCommand(WAIT)).expectNext(NodeMessage.Kind.SUBSCRIBE).verifyComplete();
        return connection;
    }
}
