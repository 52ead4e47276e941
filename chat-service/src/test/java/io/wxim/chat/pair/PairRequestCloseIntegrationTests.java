package io.wxim.chat.pair;

import static io.wxim.chat.pair.TestPairs.connect;
import static io.wxim.chat.pair.TestPairs.failingAfterTheStep;
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
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * {@code pairCancel} and {@code pairDecline} against a real Redis: the other side and the actor's other connections
 * get {@code pairRequestClosed} in the step that removes the request (pair_remove.lua). They used to be told in a
 * second call after it: when that failed (or anything after the step did), the actor got an error, its retry answered
 * not_found, and they never learnt.
 */
@Timeout(60)
class PairRequestCloseIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final PairRepository pairs = new PairRepository(redis, props);

    @Test
    void aCancelIsToldOnce_evenWhenEverythingAfterItsStepFails() throws Exception {
        String a = "ua" + run;
        String b = "ub" + run;
        ClientFrame.PairCancel cancel = new ClientFrame.PairCancel("pc", b);
        closesOnce(a, b, a, "cancelled", (commands, cmd) -> commands.cancel(cmd, cancel), cancel);
    }

    @Test
    void aDeclineIsToldOnce_evenWhenEverythingAfterItsStepFails() throws Exception {
        String a = "ua" + run;
        String b = "ub" + run;
        ClientFrame.PairDecline decline = new ClientFrame.PairDecline("pd", a);
        closesOnce(a, b, b, "declined", (commands, cmd) -> commands.decline(cmd, decline), decline);
    }

    /**
     * {@code from} requests {@code to}; {@code actor} closes it from one connection, every use of deliveries after the
     * step failing; the retry answers not_found. The other side got {@code pairRequestClosed} once, and the actor's
     * other device once (every connection but the requester's).
     */
    private void closesOnce(String from, String to, String actor, String reason,
                            BiFunction<PairCommands, Command, Mono<NodeMessage>> close, ClientFrame frame) throws Exception {
        long now = System.currentTimeMillis();
        assertThat(pairs.request(from, to, now + 60_000, "p:c" + run, 10, 50, now).block(WAIT).status()).isEqualTo("created");
        String other = actor.equals(from) ? to : from;
        redis.opsForHash().put(RedisNames.connections(actor), "c-" + actor, "gw-" + actor).block(WAIT); // the requester's
        LinkedBlockingQueue<String> atActorsOtherDevice = connect(testRedis, actor, "d-" + actor, "gw2-" + actor);
        LinkedBlockingQueue<String> atOther = connect(testRedis, other, "c-" + other, "gw-" + other);
        UserRef user = new UserRef(actor, "Actor", null);

        Command first = new Command(Command.Event.FRAME, "gw-" + actor, "c-" + actor, 1, user, frame);
        assertThat(catchThrowable(() -> close.apply(commands(failingAfterTheStep(redis, codec, props)), first).block(WAIT)))
                .hasMessageContaining("failed");
        Command retry = new Command(Command.Event.FRAME, "gw-" + actor, "c-" + actor, 2, user, frame);
        assertThat(catchThrowable(() -> close.apply(commands(new Deliveries(redis, codec, props)), retry).block(WAIT)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));

        ServerFrame.PairRequestClosed closed = new ServerFrame.PairRequestClosed(null, from, to, reason);
        NodeMessage toOther = delivered(atOther, other);
        assertThat(toOther.conn()).isNull();
        assertThat(codec.decodeServer(toOther.frames().get(0))).isEqualTo(closed);
        NodeMessage toActor = delivered(atActorsOtherDevice, actor);
        assertThat(toActor.conn()).as("all but the requester's connection").isEqualTo("c-" + actor);
        assertThat(codec.decodeServer(toActor.frames().get(0))).isEqualTo(closed);
        assertThat(atOther.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
        assertThat(atActorsOtherDevice.poll(100, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    private PairCommands commands(Deliveries deliveries) {
        return new PairCommands(pairs, null, null, deliveries, props, Clock.systemUTC());
    }

    private NodeMessage delivered(LinkedBlockingQueue<String> node, String user) throws InterruptedException {
        String message = node.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(message).as("a message at %s's node", user).isNotNull();
        NodeMessage delivered = codec.read(message, NodeMessage.class);
        assertThat(delivered.kind()).isEqualTo(NodeMessage.Kind.USER);
        assertThat(delivered.user()).isEqualTo(user);
        assertThat(delivered.frames()).hasSize(1);
        return delivered;
    }
}
