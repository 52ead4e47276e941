package io.wxim.gateway.delivery;

import io.wxim.gateway.config.NodeIdentity;
import io.wxim.gateway.connection.ConnectionRegistry;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.stereotype.Component;
import org.springframework.data.redis.connection.ReactiveSubscription;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Listens to this node's channel for chat-service's replies and subscription changes, applied in arrival order.
 * A long-lived listener started once, before the web server accepts connections (phase 0), and only reported
 * started once the SUBSCRIBE is confirmed, so no reply to a new connection can be missed.
 * <p>
 * If the channel's stream ends (an error of the listener container; Lettuce's own reconnects do not end it), the
 * channel is subscribed again after {@link ResubscribeBackoff#FIRST}, doubling to {@link ResubscribeBackoff#MAX} while
 * streams keep ending within that time of their start, and {@link PubSubWatch} is told as of a dropped connection:
 * what was published meanwhile is lost, so once a probe comes back through the new stream every local connection
 * gets {@code resync} (or 4001 if Redis lost its data). Readiness is DOWN while no stream listens.
 */
@Component
class NodeListener implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(NodeListener.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private final ReactiveRedisMessageListenerContainer container;
    private final ConnectionRegistry registry;
    private final FrameCodec codec;
    private final String node;
    private final ChannelTopic topic;
    private final PubSubWatch watch;
    /** The listening stream, or the wait before the next attempt to subscribe. */
    private final Disposable.Swap current = Disposables.swap();
    private volatile boolean running;
    private volatile boolean listening;
    private volatile long listeningSince;
    private final ResubscribeBackoff backoff = new ResubscribeBackoff();
    /** Bound on one attempt to subscribe again (the SUBSCRIBE until confirmed), not counting the wait before it. */
    private final Duration subscribeTimeout;

    @Autowired
    NodeListener(ReactiveRedisMessageListenerContainer container, ConnectionRegistry registry, FrameCodec codec,
                 NodeIdentity node, PubSubWatch watch) {
        this(container, registry, codec, node, watch, STARTUP_TIMEOUT);
    }

    NodeListener(ReactiveRedisMessageListenerContainer container, ConnectionRegistry registry, FrameCodec codec,
                 NodeIdentity node, PubSubWatch watch, Duration subscribeTimeout) {
        this.subscribeTimeout = subscribeTimeout;
        this.container = container;
        this.watch = watch;
        this.registry = registry;
        this.codec = codec;
        this.node = node.id();
        this.topic = ChannelTopic.of(RedisNames.nodeChannel(this.node));
    }

    @Override
    public void start() {
        running = true;
        // Startup only: block until subscribed (no event loop is serving yet).
        listen(container.receiveLater(topic).block(STARTUP_TIMEOUT));
        log.info("gateway node listening: node={}", node);
    }

    private synchronized void listen(Flux<ReactiveSubscription.Message<String, String>> messages) {
        if (!running) {
            return;
        }
        listening = true;
        listeningSince = System.nanoTime();
        Disposable stream = messages
                .concatMap(message -> Mono.defer(() -> apply(message.getMessage())).onErrorResume(e -> {
                    log.error("node message not applied: node={} error={}", node, e.toString()); // a bug: not the stream's end
                    return Mono.empty();
                }))
                .subscribe(null, this::ended, () -> ended(new IllegalStateException("the stream completed")));
        if (listening) {
            current.update(stream);
        } // else it ended at once, and ended() already scheduled the next attempt
    }

    /** The stream ended: what is published until the next one listens is lost (the watch recovers it). */
    private synchronized void ended(Throwable e) {
        listening = false;
        if (!running) {
            return;
        }
        watch.subscriptionInDoubt("the node channel's stream ended");
        Duration delay = backoff.next(ResubscribeBackoff.livedLong(listeningSince));
        log.error("node channel stream ended, subscribing again in {}: node={} error={}", delay, node, e.toString());
        again(delay);
    }

    private synchronized void again(Duration delay) {
        if (!running) {
            return;
        }
        // the timeout bounds the SUBSCRIBE only: around the delay too, a delay of 30 s (the maximum) timed out every
        // attempt before it was made, for good
        current.update(Mono.delay(delay)
                .then(container.receiveLater(topic).timeout(subscribeTimeout))
                .subscribe(this::listen, e -> {
                    log.warn("node channel subscribe failed, trying again: node={} error={}", node, e.toString());
                    again(backoff.next(false));
                }));
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

    /** Whether a stream listens to the channel now (readiness). */
    boolean listening() {
        return running && listening;
    }

    @Override
    public synchronized void stop() {
        running = false;
        listening = false;
        current.update(Disposables.disposed());
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return 0;
    }
}
