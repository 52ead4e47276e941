package io.wxim.chat.routing;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Outbound routing to gateways over Redis pub/sub (at-most-once: a fast path only; clients repair gaps by sync).
 * A conversation's frames go to its channel, which only gateways with a member connected subscribe to; replies and
 * subscription changes go to the channel of the node that holds the connection; frames for one user (direct and
 * pair conversations, pairing events, read marks) go to the channel of every node where the user is connected.
 */
@Component
public class Deliveries {
    private final ReactiveStringRedisTemplate redis;
    private final FrameCodec codec;
    private final PresenceRepository presence;
    private final Duration timeout;

    public Deliveries(ReactiveStringRedisTemplate redis, FrameCodec codec, PresenceRepository presence, ChatProperties props) {
        this.redis = redis;
        this.presence = presence;
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

    /** Writes frames to every connection of the user (on every node) except {@code exceptConn} (null: all). */
    public Mono<Void> toUser(String userId, String exceptConn, List<? extends ServerFrame> frames) {
        List<String> encoded = frames.stream().map(codec::encode).toList();
        return presence.connections(userId)
                .flatMapMany(conns -> Flux.fromIterable(Set.copyOf(conns.values())))
                .concatMap(node -> toNode(node, NodeMessage.toUser(userId, exceptConn, encoded)))
                .then();
    }

    public Mono<Void> toUser(String userId, ServerFrame frame) {
        return toUser(userId, null, List.of(frame));
    }

    /** The reply that completes {@code cmd}: these frames, written to the command's connection. */
    public NodeMessage reply(Command cmd, List<? extends ServerFrame> frames) {
        return NodeMessage.reply(cmd.user().id(), cmd.conn(), cmd.ref(), frames.stream().map(codec::encode).toList());
    }

    public NodeMessage reply(Command cmd, ServerFrame frame) {
        return reply(cmd, List.of(frame));
    }

    public String encode(ServerFrame frame) {
        return codec.encode(frame);
    }
}
