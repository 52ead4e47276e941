package io.wxim.chat.pair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

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
import io.wxim.testinfra.TestInfra;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * {@code pairLeave} against a real Redis: the peer is told in the leave's own step. It used to be told in a second
 * call after it: when that failed, the leaver got an error, its retry answered not_found, and the peer never learnt.
 */
@Timeout(60)
class PairLeaveIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final LettuceConnectionFactory factory = TestInfra.redisConnectionFactory();
    private final ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final PairRepository pairs = new PairRepository(redis, props);
    private final ReactiveRedisMessageListenerContainer container = new ReactiveRedisMessageListenerContainer(factory);
    private Disposable listening;

    @AfterEach
    void tearDown() {
        if (listening != null) {
            listening.dispose();
        }
        container.destroy();
        factory.destroy();
    }

    @Test
    void thePeerIsToldOfTheLeave_evenWhenDeliveringAfterTheLeaveFails() throws Exception {
        String a = "ua" + run;
        String b = "ub" + run;
        String conv = "p:l" + run;
        long now = System.currentTimeMillis();
        pairs.request(a, b, now + 60_000, conv, 10, 50, now).block(WAIT);
        assertThat(pairs.accept(b, a, now, now + 30_000).block(WAIT).status()).isEqualTo("started");
        LinkedBlockingQueue<String> atB = connect(b, "gw-b" + run);
        Deliveries failing = new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toEach(List<UserFrames> entries) {
                return Mono.error(new IllegalStateException("publish failed"));
            }
        };
        ClientFrame.PairLeave leave = new ClientFrame.PairLeave("pl", conv);
        Command first = new Command(Command.Event.FRAME, "gw-a" + run, "c-a" + run, 1, new UserRef(a, "A", null), leave);

        // profiles and direct conversations play no part in a leave
        assertThat(catchThrowable(() -> commands(failing).leave(first, leave).block(WAIT))).hasMessageContaining("publish failed");
        assertThat(userFrame(atB, b)).isEqualTo(new ServerFrame.PairEnded(null, conv, a, "peer_left"));

        Command retry = new Command(Command.Event.FRAME, "gw-a" + run, "c-a" + run, 2, new UserRef(a, "A", null), leave);
        assertThat(catchThrowable(() -> commands(new Deliveries(redis, codec, props)).leave(retry, leave).block(WAIT)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(atB.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    private PairCommands commands(Deliveries deliveries) {
        return new PairCommands(pairs, null, null, deliveries, props, Clock.systemUTC());
    }

    /** A connection of {@code user} on {@code node}, and what reaches the node. */
    private LinkedBlockingQueue<String> connect(String user, String node) {
        redis.opsForHash().put(RedisNames.connections(user), "c-" + user, node).block(WAIT);
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        listening = container.receiveLater(ChannelTopic.of(RedisNames.nodeChannel(node))).block(WAIT)
                .subscribe(message -> received.add(message.getMessage()));
        return received;
    }

    private ServerFrame userFrame(LinkedBlockingQueue<String> node, String user) throws InterruptedException {
        String message = node.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(message).as("a message at %s's node", user).isNotNull();
        NodeMessage delivered = codec.read(message, NodeMessage.class);
        assertThat(delivered.kind()).isEqualTo(NodeMessage.Kind.USER);
        assertThat(delivered.user()).isEqualTo(user);
        return codec.decodeServer(delivered.frames().get(0));
    }
}
