package io.wxim.chat.routing;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Outbound routing to gateways over Redis pub/sub (at-most-once: a fast path only; clients repair gaps by sync).
 * A conversation's frames go to its channel, which only gateways with a member connected subscribe to; replies and
 * subscription changes go to the channel of the node that holds the connection.
 */
@Component
public class Deliveries {
    private final ReactiveStringRedisTemplate redis;
    private final FrameCodec codec;
    private final Duration timeout;

    public Deliveries(ReactiveStringRedisTemplate redis, FrameCodec codec, ChatProperties props) {
        this.redis = redis;
        this.codec = codec;
        this.timeout = props.redisTimeout();
    }

    /** Publishes a frame, encoded once, to every gateway with a member of the conversation. */
    public Mono<Void> toConversation(String conv, ServerFrame frame) {
        return redis.convertAndSend(RedisNames.convChannel(conv), codec.encode(frame)).timeout(timeout).then();
    }

    public Mono<Void> toNode(String node, NodeMessage message) {
        return redis.convertAndSend(RedisNames.nodeChannel(node), codec.write(message)).timeout(timeout).then();
    }

    public String encode(ServerFrame frame) {
        return codec.encode(frame);
    }
}
