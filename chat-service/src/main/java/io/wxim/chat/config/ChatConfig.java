package io.wxim.chat.config;

import io.wxim.protocol.FrameCodec;
import io.wxim.redis.PubSubFactory;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;

/** Bean wiring that is not a feature of its own. */
@Configuration(proxyBeanMethods = false)
class ChatConfig {
    @Bean
    FrameCodec frameCodec() {
        return new FrameCodec();
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    PubSubFactory pubSubFactory(LettuceConnectionFactory factory) {
        return PubSubFactory.like(factory);
    }

    /** chat-service's pub/sub listeners (room memberships that ended on other instances) on their own connection. */
    @Bean(destroyMethod = "destroyLater")
    ReactiveRedisMessageListenerContainer redisListenerContainer(PubSubFactory pubSub) {
        return new ReactiveRedisMessageListenerContainer(pubSub.factory());
    }
}
