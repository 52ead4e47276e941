package io.wxim.gateway.config;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Connects to Redis at startup. Spring Data Redis otherwise opens its shared connection lazily, blocking the event
 * loop of the first request that uses Redis (found by BlockHound).
 */
@Configuration(proxyBeanMethods = false)
class RedisStartupConfig {
    @Bean
    static BeanPostProcessor eagerRedisConnection() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String name) {
                if (bean instanceof LettuceConnectionFactory factory) {
                    factory.setEagerInitialization(true);
                }
                return bean;
            }
        };
    }
}
