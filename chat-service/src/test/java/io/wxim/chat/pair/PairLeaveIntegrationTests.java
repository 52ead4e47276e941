package io.wxim.chat.pair;

import static io.wxim.chat.pair.TestPairs.failingAfterTheStep;
import static io.wxim.chat.pair.TestPairs.userFrame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * {@code pairLeave} against a real Redis: the peer and the leaver's other connections are told in the leave's own step.
 * They used to be told in a second call after it: when that failed (or anything after the step did), the leaver got an
 * error, its retry answered not_found, and they never learnt.
 */
@Timeout(60)
class PairLeaveIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final PairRepository pairs = new PairRepository(redis, props);

    @Test
    void thePeerIsToldOfTheLeave_evenWhenDeliveringAfterTheLeaveFails() throws Exception {
        String a = "ua" + run;
        String b = "ub" + run;
        String conv = "p:l" + run;
        long now = System.currentTimeMillis();
        pairs.request(a, b, now + 60_000, conv, 10, 50, now).block(WAIT);
        assertThat(pairs.accept(b, a, now, now + 30_000).block(WAIT).status()).isEqualTo("started");
        LinkedBlockingQueue<String> atB = connect(b, "gw-b" + run);
        ClientFrame.PairLeave leave = new ClientFrame.PairLeave("pl", conv);
        Command first = new Command(Command.Event.FRAME, "gw-a" + run, "c-a" + run, 1, new UserRef(a, "A", null), leave);

        // profiles and direct conversations play no part in a leave
        assertThat(catchThrowable(() -> commands(failingAfterTheStep(redis, codec, props)).leave(first, leave).block(WAIT)))
                .hasMessageContaining("failed");
        assertThat(userFrame(codec, atB, b)).isEqualTo(new ServerFrame.PairEnded(null, conv, a, "peer_left"));

        Command retry = new Command(Command.Event.FRAME, "gw-a" + run, "c-a" + run, 2, new UserRef(a, "A", null), leave);
        assertThat(catchThrowable(() -> commands(new Deliveries(redis, codec, props)).leave(retry, leave).block(WAIT)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(atB.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    /**
     * The leaver's other connections get {@code pairEnded left} (not the requester's: it gets the answer) although
     * everything after the leave's step fails and the retry answers not_found; they used to get it in a second call.
     */
    @Test
    void theLeaversOtherConnectionsAreTold_evenWhenEverythingAfterTheLeaveFails() throws Exception {
        String a = "ua" + run;
        String b = "ub" + run;
        String conv = "p:o" + run;
        long now = System.currentTimeMillis();
        pairs.request(a, b, now + 60_000, conv, 10, 50, now).block(WAIT);
        assertThat(pairs.accept(b, a, now, now + 30_000).block(WAIT).status()).isEqualTo("started");
        redis.opsForHash().put(RedisNames.connections(a), "c-a" + run, "gw-a" + run).block(WAIT); // the requester's
        LinkedBlockingQueue<String> atOtherDevice = connect(a, "gw-a2" + run);
        LinkedBlockingQueue<String> atB = connect(b, "gw-b" + run);
        ClientFrame.PairLeave leave = new ClientFrame.PairLeave("pl", conv);
        Command first = new Command(Command.Event.FRAME, "gw-a" + run, "c-a" + run, 1, new UserRef(a, "A", null), leave);

        assertThat(catchThrowable(() -> commands(failingAfterTheStep(redis, codec, props)).leave(first, leave).block(WAIT)))
                .hasMessageContaining("failed");
        String message = atOtherDevice.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(message).as("a message at the other device's node").isNotNull();
        NodeMessage delivered = codec.read(message, NodeMessage.class);
        assertThat(delivered.kind()).isEqualTo(NodeMessage.Kind.USER);
        assertThat(delivered.user()).isEqualTo(a);
        assertThat(delivered.conn()).as("all but the requester's connection").isEqualTo("c-a" + run);
        assertThat(delivered.frames()).hasSize(1);
        assertThat(codec.decodeServer(delivered.frames().get(0))).isEqualTo(new ServerFrame.PairEnded(null, conv, b, "left"));
        assertThat(userFrame(codec, atB, b)).isEqualTo(new ServerFrame.PairEnded(null, conv, a, "peer_left"));

        Command retry = new Command(Command.Event.FRAME, "gw-a" + run, "c-a" + run, 2, new UserRef(a, "A", null), leave);
        assertThat(catchThrowable(() -> commands(new Deliveries(redis, codec, props)).leave(retry, leave).block(WAIT)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(atOtherDevice.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
        assertThat(atB.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    private PairCommands commands(Deliveries deliveries) {
        return new PairCommands(pairs, null, null, deliveries, props, Clock.systemUTC());
    }

    /** A connection of {@code user} on {@code node}, and what reaches the node. */
    private LinkedBlockingQueue<String> connect(String user, String node) {
        return TestPairs.connect(testRedis, user, "c-" + user, node);
    }
}
