package io.wxim.gateway.auth;

import io.wxim.gateway.connection.ConnectionRegistry;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.Revocation;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;

/**
 * Closes the connections of revoked sessions ({@link RedisNames#REVOCATIONS}, published by auth-service on logout,
 * ban and refresh token reuse) with close code 4501. Started with the node listener, before connections are served.
 */
@Component
class RevocationListener implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(RevocationListener.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private final ReactiveRedisMessageListenerContainer container;
    private final ConnectionRegistry registry;
    private final FrameCodec codec;
    private volatile Disposable subscription;

    RevocationListener(ReactiveRedisMessageListenerContainer container, ConnectionRegistry registry, FrameCodec codec) {
        this.container = container;
        this.registry = registry;
        this.codec = codec;
    }

    @Override
    public void start() {
        // Startup only: block until subscribed (no event loop is serving yet).
        var messages = container.receiveLater(ChannelTopic.of(RedisNames.REVOCATIONS)).block(STARTUP_TIMEOUT);
        subscription = messages.subscribe(message -> apply(message.getMessage()),
                e -> log.error("revocation listener stopped: error={}", e.toString()));
    }

    private void apply(String payload) {
        try {
            Revocation revocation = codec.read(payload, Revocation.class);
            int closed = registry.revoke(revocation.user(), revocation.sid());
            if (closed > 0) {
                log.info("revoked connections closed: userId={} count={}", revocation.user(), closed);
            }
        } catch (RuntimeException e) {
            log.warn("unreadable revocation: error={}", e.getMessage());
        }
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
