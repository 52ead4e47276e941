package io.wxim.gateway.delivery;

import io.wxim.gateway.config.NodeIdentity;
import io.wxim.gateway.connection.ConnectionRegistry;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Listens to this node's channel for chat-service's replies and subscription changes, applied in arrival order.
 * A long-lived listener started once, before the web server accepts connections (phase 0), and only reported
 * started once the SUBSCRIBE is confirmed, so no reply to a new connection can be missed.
 */
@Component
class NodeListener implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(NodeListener.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private final ReactiveRedisMessageListenerContainer container;
    private final ConnectionRegistry registry;
    private final FrameCodec codec;
    private final String node;
    private final PubSubWatch watch;
    private volatile Disposable subscription;

    NodeListener(ReactiveRedisMessageListenerContainer container, ConnectionRegistry registry, FrameCodec codec,
                 NodeIdentity node, PubSubWatch watch) {
        this.container = container;
        this.watch = watch;
        this.registry = registry;
        this.codec = codec;
        this.node = node.id();
    }

    @Override
    public void start() {
        // Startup only: block until subscribed (no event loop is serving yet).
        var messages = container.receiveLater(ChannelTopic.of(RedisNames.nodeChannel(node))).block(STARTUP_TIMEOUT);
        subscription = messages
                .concatMap(message -> apply(message.getMessage()))
                .subscribe(null, e -> log.error("node channel listener stopped: node={} error={}", node, e.toString()));
        log.info("gateway node listening: node={}", node);
    }

    private Mono<Void> apply(String payload) {
        if (watch.isProbe(payload)) {
            return watch.probeReceived(payload);
        }
        NodeMessage message;
        try {
            message = codec.read(payload, NodeMessage.class);
        } catch (RuntimeException e) {
            log.warn("unreadable node message: node={} error={}", node, e.getMessage());
            return Mono.empty();
        }
        return registry.apply(message).onErrorResume(e -> {
            log.warn("node message failed: node={} connId={} error={}", node, message.conn(), e.toString());
            return Mono.empty();
        });
    }

    @Override
    public void stop() {
        Disposable current = subscription;
        if (current != null) {
            current.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return subscription != null && !subscription.isDisposed();
    }

    @Override
    public int getPhase() {
        return 0;
    }
}
