package io.wxim.gateway.config;

import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.connection.ConnectionRegistry;
import io.wxim.gateway.delivery.ConversationSubscriptions;
import io.wxim.gateway.delivery.PublishedSeqs;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import io.wxim.redis.PubSubFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;

/** Wires Redis pub/sub, the connection registry and the frame codec (the /ws endpoint: {@code WebSocketEndpoint}). */
@Configuration(proxyBeanMethods = false)
class GatewayConfig {
    private static final Logger log = LoggerFactory.getLogger(GatewayConfig.class);

    /**
     * Event loops of this gateway alone (not Reactor Netty's JVM-wide ones), when several services share one JVM (the
     * local launcher sets it): stopping this gateway then disposes only its own loops, so the others keep running.
     */
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty("im.gateway.own-event-loops")
    org.springframework.http.client.ReactorResourceFactory reactorResourceFactory() {
        org.springframework.http.client.ReactorResourceFactory factory = new org.springframework.http.client.ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        return factory;
    }

    @Bean
    FrameCodec frameCodec() {
        return new FrameCodec();
    }

    @Bean
    NodeIdentity nodeIdentity(GatewayProperties props) {
        boolean configured = props.nodeId() != null && !props.nodeId().isBlank();
        return new NodeIdentity(configured ? props.nodeId() : "gw-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @Bean
    PubSubFactory pubSubFactory(LettuceConnectionFactory factory) {
        return PubSubFactory.like(factory);
    }

    @Bean(destroyMethod = "destroyLater")
    ReactiveRedisMessageListenerContainer redisListenerContainer(PubSubFactory pubSub) {
        return new ReactiveRedisMessageListenerContainer(pubSub.factory());
    }

    @Bean
    ConnectionRegistry connectionRegistry(ReactiveRedisMessageListenerContainer container, GatewayProperties props,
                                          MeterRegistry meters, FrameCodec codec, ReactiveStringRedisTemplate redis) {
        String unavailable = codec.encode(ServerFrame.Error.of(null, null, ErrorCode.UNAVAILABLE,
                "could not subscribe to the conversation, retry"));
        long openFiles = ConnectionCapacity.openFileLimit();
        long heap = ConnectionCapacity.maxHeap();
        int capacity = ConnectionCapacity.resolve(props.ws().maxConnections(), openFiles, heap);
        if (ConnectionCapacity.exceedsDerived(capacity, openFiles, heap)) {
            log.warn("im.gateway.ws.max-connections={} is above what {} open files and {} MB of heap hold by the"
                    + " gateway's own estimate: make sure the memory and the open-file limit are sized for it",
                    capacity, openFiles, heap >> 20);
        }
        log.info("connection capacity: {} (open-file limit {}, max heap {} MB)", capacity, openFiles, heap >> 20);
        PublishedSeqs published = new PublishedSeqs(redis, codec, props.redisTimeout(), meters);
        return new ConnectionRegistry(onFrame -> new ConversationSubscriptions(container, onFrame, props.redisTimeout()),
                meters, unavailable, capacity, published::framesOf);
    }
}
