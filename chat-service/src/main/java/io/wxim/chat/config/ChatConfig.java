package io.wxim.chat.config;

import io.wxim.protocol.FrameCodec;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

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
}
