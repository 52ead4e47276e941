package io.wxim.chat.presence;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.RedisScripts;
import io.wxim.protocol.OpenConnections;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ScanOptions;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The gateway nodes that hold connections ({@link RedisNames#NODES}), each node's index of its connections
 * ({@link RedisNames#nodeConnections}, written by {@code connect.lua} and {@code disconnect.lua}) and the alive key
 * each running gateway refreshes ({@link RedisNames#nodeAliveKey}): what {@code DeadNodeSweeper} reads.
 */
@Repository
public class GatewayNodes {
    private static final RedisScript<Long> FORGET = RedisScripts.load("redis/node_forget.lua", Long.class);
    /** Entries per HSCAN round trip of a node's index. */
    private static final int SCAN_COUNT = 500;

    private final ReactiveStringRedisTemplate redis;
    private final Duration timeout;

    public GatewayNodes(ReactiveStringRedisTemplate redis, ChatProperties props) {
        this.redis = redis;
        this.timeout = props.redisTimeout();
    }

    /** The nodes that registered connections and were not forgotten since. */
    public Flux<String> nodes() {
        return redis.opsForSet().members(RedisNames.NODES).timeout(timeout);
    }

    /** The value of the node's alive key (the running process's boot id), or empty when it lapsed. */
    public Mono<Optional<String>> alive(String node) {
        return redis.opsForValue().get(RedisNames.nodeAliveKey(node)).map(Optional::of)
                .defaultIfEmpty(Optional.empty()).timeout(timeout);
    }

    /**
     * The node's connections: connId -> userId, read in pages, each bounded by the Redis timeout. Buffered after the
     * timeout, so slow work downstream (a disconnect waiting for MongoDB) is not taken for a slow Redis.
     */
    public Flux<Map.Entry<String, String>> connections(String node) {
        return redis.<String, String>opsForHash().scan(RedisNames.nodeConnections(node),
                ScanOptions.scanOptions().count(SCAN_COUNT).build()).timeout(timeout).onBackpressureBuffer();
    }

    /** Boot and seq of the node's latest list of open connections (its head only), or empty when there is none. */
    public Mono<String> openConnectionsVersion(String node) {
        return redis.opsForValue().get(RedisNames.openConnections(node), 0, OpenConnections.HEAD_CHARS - 1)
                .timeout(timeout)
                .flatMap(head -> Mono.justOrEmpty(OpenConnections.version(head)));
    }

    /** The node's latest list of open connections, or empty when there is none (or it is not one). */
    public Mono<OpenConnections> openConnections(String node) {
        return redis.opsForValue().get(RedisNames.openConnections(node))
                .timeout(timeout)
                .flatMap(text -> Mono.justOrEmpty(OpenConnections.parse(text)));
    }

    /** Removes the node from the set of nodes if its index is empty; true if it did. */
    public Mono<Boolean> forgetIfEmpty(String node) {
        return redis.execute(FORGET, List.of(RedisNames.nodeConnections(node), RedisNames.NODES), List.of(node))
                .next().timeout(timeout).map(n -> n == 1L);
    }
}
