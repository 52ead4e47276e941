package io.wxim.gateway.connection;

import io.wxim.gateway.config.GatewayProperties;
import io.wxim.gateway.config.NodeIdentity;
import io.wxim.protocol.OpenConnections;
import io.wxim.protocol.RedisNames;
import io.wxim.support.PeriodicTask;
import java.time.Duration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Writes this process's list of open connections ({@link OpenConnections}) to {@link RedisNames#openConnections}
 * every {@code im.gateway.open-connections-interval}, with a TTL of three intervals: chat-service ends the
 * connections it holds for this node that are missing from two lists in a row, whose DISCONNECT was lost (retried
 * for seconds only, see {@link io.wxim.gateway.command.CommandPublisher}; or trimmed from the command stream before
 * it was read). The highest connection number is read before the ids, so a connection taken after it is never
 * counted as closed. About 5 bytes per connection in Redis.
 */
@Component
class OpenConnectionsWriter extends PeriodicTask {
    private final ConnectionRegistry registry;
    private final ReactiveStringRedisTemplate redis;
    private final String node;
    private final String boot;
    private final String key;
    private final Duration ttl;
    private final Duration timeout;
    private long seq;

    OpenConnectionsWriter(ConnectionRegistry registry, ReactiveStringRedisTemplate redis, NodeIdentity node,
                          GatewayProperties props) {
        super("open connections list", props.openConnectionsInterval(), props.openConnectionsInterval());
        this.registry = registry;
        this.redis = redis;
        this.node = node.id();
        this.boot = node.boot();
        this.key = RedisNames.openConnections(node.id());
        this.ttl = props.openConnectionsInterval().multipliedBy(3);
        this.timeout = props.redisTimeout();
    }

    @Override
    protected Mono<Void> runOnce() {
        return write();
    }

    /** Writes one list; completes when Redis has it. */
    Mono<Void> write() {
        return Mono.defer(() -> {
            long upTo = registry.lastConnNumber(); // first: every number up to it is open now, or closed
            OpenConnections list = OpenConnections.of(node, boot, nextSeq(), upTo, registry.openIds());
            return redis.opsForValue().set(key, list.encode(), ttl).timeout(timeout).then();
        });
    }

    private synchronized long nextSeq() {
        return ++seq;
    }
}
