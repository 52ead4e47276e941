package io.wxim.gateway.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Closes the gap between chat-service reading a welcome's or joined's last seqs and this gateway applying the
 * subscription (ADR-27): a message published on a room's channel in between reaches neither the new subscriber (not
 * registered yet) nor its welcome (read before it was stored), so the client would not know it exists until the next
 * message. Once the subscription is applied, this takes each room's latest published seq and raises a stated seq
 * that it passed; the client then syncs the gap as after any reconnect. A room whose channel this gateway received
 * since before the command was sent needs no read: the highest seq received on it is enough (whatever was published
 * after chat-service's read was received, or arrives after the connection was registered). Other rooms are read
 * from Redis (one MGET). Whatever is published after that reaches the connection live. If Redis does not answer, the
 * frames go out as chat-service wrote them, raised only where the gateway knew better (counted).
 */
public final class PublishedSeqs {
    private static final Logger log = LoggerFactory.getLogger(PublishedSeqs.class);

    private final ReactiveStringRedisTemplate redis;
    private final FrameCodec codec;
    private final Duration timeout;
    private final Counter raised;
    private final Counter unread;
    private final Counter reads;

    public PublishedSeqs(ReactiveStringRedisTemplate redis, FrameCodec codec, Duration timeout, MeterRegistry meters) {
        this.redis = redis;
        this.codec = codec;
        this.timeout = timeout;
        this.raised = meters.counter("im.gateway.stated_seqs.raised");
        this.unread = meters.counter("im.gateway.stated_seqs.unread");
        this.reads = meters.counter("im.gateway.stated_seqs.reads");
    }

    /**
     * The frames of an applied subscription, with stated seqs raised to what was published since they were read.
     * {@code seenHere}: for rooms whose channel this gateway received since before the command was sent, the highest
     * seq received; those need no Redis read (in a reconnect storm, every connect after the first few).
     */
    public Mono<List<String>> framesOf(NodeMessage message, Map<String, Long> seenHere) {
        if (message.seqs().isEmpty() || message.frames().isEmpty()) {
            return Mono.just(message.frames());
        }
        Map<String, Long> newer = new HashMap<>();
        List<String> unknown = new ArrayList<>();
        message.seqs().forEach((conv, stated) -> {
            Long seen = seenHere.get(conv);
            if (seen == null) {
                unknown.add(conv);
            } else if (seen > stated) {
                newer.put(conv, seen);
            }
        });
        if (unknown.isEmpty()) {
            return Mono.just(rewrite(message.frames(), newer));
        }
        reads.increment();
        return redis.opsForValue().multiGet(unknown.stream().map(RedisNames::publishedSeq).toList())
                .timeout(timeout)
                .map(values -> {
                    newer.putAll(newer(unknown, values, message.seqs()));
                    return rewrite(message.frames(), newer);
                })
                .onErrorResume(e -> {
                    unread.increment();
                    log.warn("published seqs not read, frames go out as stated: connId={} error={}", message.conn(),
                            e.toString());
                    return Mono.just(rewrite(message.frames(), newer));
                });
    }

    private List<String> rewrite(List<String> frames, Map<String, Long> newer) {
        if (newer.isEmpty()) {
            return frames;
        }
        List<String> out = raise(frames, newer, codec);
        if (!out.equals(frames)) {
            raised.increment();
        }
        return out;
    }

    /** The conversations whose published seq ({@code values}, in {@code convs} order) passed the stated one. */
    static Map<String, Long> newer(List<String> convs, List<String> values, Map<String, Long> stated) {
        Map<String, Long> newer = new HashMap<>();
        for (int i = 0; i < convs.size() && i < values.size(); i++) {
            Long published = parse(values.get(i));
            Long said = stated.get(convs.get(i));
            if (published != null && said != null && published > said) {
                newer.put(convs.get(i), published);
            }
        }
        return newer;
    }

    /**
     * Rewrites a {@code welcome} or {@code joined} frame that states an older seq than {@code newer}, changing only
     * those {@code lastSeq} fields (whatever else the frame carries is kept as chat-service wrote it); other frames as
     * they are.
     */
    static List<String> raise(List<String> frames, Map<String, Long> newer, FrameCodec codec) {
        List<String> out = new ArrayList<>(frames.size());
        for (String frame : frames) {
            JsonNode tree = treeOrNull(frame, codec);
            boolean changed = false;
            if (tree != null && tree.isObject()) {
                String type = tree.path("type").asString("");
                if (type.equals("welcome") && tree.path("conversations").isArray()) {
                    for (JsonNode info : tree.path("conversations")) {
                        changed |= raiseIn(info, newer);
                    }
                } else if (type.equals("joined")) {
                    changed = raiseIn(tree, newer);
                }
            }
            out.add(changed ? codec.write(tree) : frame);
        }
        return out;
    }

    /** Raises {@code node.lastSeq} to the newer seq of {@code node.conv}, if there is one above it. */
    private static boolean raiseIn(JsonNode node, Map<String, Long> newer) {
        Long seq = node instanceof ObjectNode object ? newer.get(object.path("conv").asString("")) : null;
        if (seq == null || seq <= node.path("lastSeq").asLong(0)) {
            return false;
        }
        ((ObjectNode) node).put("lastSeq", seq.longValue());
        return true;
    }

    private static JsonNode treeOrNull(String frame, FrameCodec codec) {
        try {
            return codec.read(frame, JsonNode.class);
        } catch (RuntimeException e) {
            return null; // not JSON this gateway can read: written as chat-service wrote it
        }
    }

    private static Long parse(String value) {
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
