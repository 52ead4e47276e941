package io.wxim.chat.routing;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.RedisScripts;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Outbound routing to gateways over Redis pub/sub (at-most-once: a fast path only; clients repair gaps by sync).
 * A conversation's frames go to its channel, which only gateways with a member connected subscribe to; replies and
 * subscription changes go to the channel of the node that holds the connection; frames for one user (direct and
 * pair conversations, pairing events, read marks) go to the channel of every node where the user is connected.
 */
@Component
public class Deliveries {
    /** The Lua function that delivers to users inside a script: prepend it to a script that announces its own change. */
    public static final String TO_USERS_LIBRARY = "redis/lib/to_users.lua";
    private static final RedisScript<Long> TO_USERS = RedisScripts.load("redis/to_users.lua", Long.class, TO_USERS_LIBRARY);
    private static final RedisScript<Long> CONV_PUBLISH = RedisScripts.load("redis/conv_publish.lua", Long.class);
    private static final String NODE_CHANNEL_PREFIX = RedisNames.nodeChannel("");
    private static final String NO_NODE = "";

    private final ReactiveStringRedisTemplate redis;
    private final FrameCodec codec;
    private final Duration timeout;
    private final String publishedSeqSeconds;

    public Deliveries(ReactiveStringRedisTemplate redis, FrameCodec codec, ChatProperties props) {
        this.redis = redis;
        this.codec = codec;
        this.timeout = props.redisTimeout();
        this.publishedSeqSeconds = Long.toString(publishedSeqLifetime(props).toSeconds());
    }

    /**
     * How long a conversation's published seq is kept (ADR-27): well beyond the longest a welcome or joined can take
     * from reading its seqs to its gateway applying the subscription (the command's deadline plus the gateway's
     * subscribe timeout), at least a minute.
     */
    static Duration publishedSeqLifetime(ChatProperties props) {
        Duration fourDeadlines = props.commandDeadline().multipliedBy(4);
        return fourDeadlines.compareTo(Duration.ofMinutes(1)) > 0 ? fourDeadlines : Duration.ofMinutes(1);
    }

    /**
     * Publishes a frame, encoded once, to every gateway with a member of the conversation. A message also records its
     * seq as the conversation's latest published one, in the same Redis step ({@code conv_publish.lua}, ADR-27).
     */
    public Mono<Void> toConversation(String conv, ServerFrame frame) {
        String channel = RedisNames.convChannel(conv);
        if (frame instanceof ServerFrame.Message message) {
            return redis.execute(CONV_PUBLISH, List.of(RedisNames.publishedSeq(conv)),
                            List.of(channel, codec.encode(frame), Long.toString(message.seq()), publishedSeqSeconds))
                    .timeout(timeout).then();
        }
        return redis.convertAndSend(channel, codec.encode(frame)).timeout(timeout).then();
    }

    public Mono<Void> toNode(String node, NodeMessage message) {
        return redis.convertAndSend(RedisNames.nodeChannel(node), codec.write(message)).timeout(timeout).then();
    }

    /** Writes frames to every connection of the user (on every node) except {@code exceptConn} (null: all). */
    public Mono<Void> toUser(String userId, String exceptConn, List<? extends ServerFrame> frames) {
        return toUsers(List.of(userId), exceptConn, frames);
    }

    public Mono<Void> toUser(String userId, ServerFrame frame) {
        return toUsers(List.of(userId), null, List.of(frame));
    }

    /**
     * Writes the same frames to every connection of each user (on every node) except {@code exceptConn} (null: all),
     * in one Redis round trip. The frames are encoded once; a user listed twice gets them once.
     */
    public Mono<Void> toUsers(List<String> userIds, String exceptConn, List<? extends ServerFrame> frames) {
        List<String> encoded = frames.stream().map(codec::encode).toList();
        List<String> users = userIds.stream().distinct().toList();
        return publish(users, NO_NODE, users.stream()
                .map(userId -> codec.write(NodeMessage.toUser(userId, exceptConn, encoded))).toList());
    }

    /**
     * Writes each entry's frames to its user's connections, all in one Redis round trip: for events that tell two
     * users different things (a pair request to the target and to the requester's other devices).
     */
    public Mono<Void> toEach(List<UserFrames> entries) {
        return publish(entries.stream().map(UserFrames::userId).toList(), NO_NODE, entries.stream()
                .map(e -> codec.write(NodeMessage.toUser(e.userId(), e.exceptConn(), e.frames().stream().map(codec::encode).toList())))
                .toList());
    }

    /** Sends {@code message} to every node where the user has a connection, except {@code exceptNode} (null: none). */
    public Mono<Void> toUserNodes(String userId, String exceptNode, NodeMessage message) {
        return publish(List.of(userId), exceptNode == null ? NO_NODE : exceptNode, List.of(codec.write(message)));
    }

    /**
     * One round trip ({@code to_users.lua}: each user's connection nodes read and published to inside Redis, each node
     * once per entry; two round trips the first time after Redis lost its script cache) instead of a read and a
     * publish per user. For a few users (a conversation's two, a pair, the requests an accept closed): the script
     * holds Redis while it runs.
     */
    private Mono<Void> publish(List<String> userIds, String exceptNode, List<String> messages) {
        if (userIds.isEmpty()) {
            return Mono.empty();
        }
        List<String> args = new ArrayList<>(messages.size() + 2);
        args.add(NODE_CHANNEL_PREFIX);
        args.add(exceptNode);
        args.addAll(messages);
        return redis.execute(TO_USERS, nodeKeys(userIds), args).timeout(timeout).then();
    }

    private static List<String> nodeKeys(List<String> userIds) {
        List<String> keys = new ArrayList<>(2 * userIds.size());
        userIds.forEach(userId -> {
            keys.add(RedisNames.connections(userId));
            keys.add(RedisNames.connecting(userId)); // a connection being set up gets it too (held until its welcome)
        });
        return keys;
    }

    /**
     * What a script that makes a change needs to tell users of it in the same step ({@link #TO_USERS_LIBRARY}):
     * {@code nodeKeys} (each user's connections and connections being set up, two keys per entry), the node channel
     * prefix and one encoded message per entry. A failure after such a step cannot lose the news, as one between the
     * change and a separate delivery did (the change is not made again, so neither is the delivery).
     */
    public record InScript(List<String> nodeKeys, String prefix, List<String> messages) {
        public InScript {
            nodeKeys = List.copyOf(nodeKeys);
            messages = List.copyOf(messages);
        }
    }

    /** {@link InScript} for these entries. */
    public InScript inScript(List<UserFrames> entries) {
        return new InScript(nodeKeys(entries.stream().map(UserFrames::userId).toList()), NODE_CHANNEL_PREFIX, entries.stream()
                .map(e -> codec.write(NodeMessage.toUser(e.userId(), e.exceptConn(), e.frames().stream().map(codec::encode).toList())))
                .toList());
    }

    /**
     * What a script needs to tell users whom only its step finds (as the other requests an accept closes), with
     * {@link #TO_USERS_LIBRARY}: user {@code u}'s node keys are {@code connectionsPrefix + u} and
     * {@code connectingPrefix + u} (the two keys {@link #inScript} lists per entry), published to on
     * {@code channelPrefix + node}. The messages are the caller's, encoded in Java and cut around what only the script
     * knows.
     */
    public record ToFound(String connectionsPrefix, String connectingPrefix, String channelPrefix) {
    }

    /** {@link ToFound} naming the keys and channels {@link #inScript} does. */
    public ToFound toFound() {
        return new ToFound(RedisNames.connections(""), RedisNames.connecting(""), NODE_CHANNEL_PREFIX);
    }

    /** Frames for one user: written to each of their connections except {@code exceptConn} (null: all). */
    public record UserFrames(String userId, String exceptConn, List<? extends ServerFrame> frames) {
        public UserFrames(String userId, ServerFrame frame) {
            this(userId, null, List.of(frame));
        }

        public UserFrames(String userId, String exceptConn, ServerFrame frame) {
            this(userId, exceptConn, List.of(frame));
        }
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

    /** {@code message} as it is published to a node's channel. */
    public String write(NodeMessage message) {
        return codec.write(message);
    }
}
