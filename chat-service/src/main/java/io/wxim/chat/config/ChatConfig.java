package io.wxim.chat.config;

import io.wxim.protocol.FrameCodec;
import io.wxim.redis.PubSubFactory;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

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

    /** chat-service's pub/sub listeners' own connections (room memberships that ended on other instances). */
    @Bean
    PubSubFactory pubSubFactory(LettuceConnectionFactory factory) {
        return PubSubFactory.like(factory);
    }
}
