package io.wxim.chat.pair;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/** What the pair tests on a real Redis share: users' connections on nodes, what reaches them, failing deliveries. */
final class TestPairs {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestPairs() {
    }

    /** A connection {@code conn} of {@code user} on {@code node}, and what reaches the node. */
    static LinkedBlockingQueue<String> connect(TestRedis redis, String user, String conn, String node) {
        redis.template().opsForHash().put(RedisNames.connections(user), conn, node).block(WAIT);
        return redis.listen(RedisNames.nodeChannel(node));
    }

    /** The first frame of the next message at {@code node}, which must be one for {@code user}. */
    static ServerFrame userFrame(FrameCodec codec, LinkedBlockingQueue<String> node, String user)
            throws InterruptedException {
        String message = node.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(message).as("a message at %s's node", user).isNotNull();
        NodeMessage delivered = codec.read(message, NodeMessage.class);
        assertThat(delivered.kind()).isEqualTo(NodeMessage.Kind.USER);
        assertThat(delivered.user()).isEqualTo(user);
        return codec.decodeServer(delivered.frames().get(0));
    }

    /** Deliveries whose every use after a command's Redis step fails: a delivery, or building the answer. */
    static Deliveries failingAfterTheStep(ReactiveStringRedisTemplate redis, FrameCodec codec, ChatProperties props) {
        return new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toEach(List<UserFrames> entries) {
                return Mono.error(new IllegalStateException("publish failed"));
            }

            @Override
            public NodeMessage reply(Command cmd, ServerFrame frame) {
                throw new IllegalStateException("answer failed");
            }
        };
    }
}
