package io.wxim.redis;

import io.lettuce.core.ClientOptions;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;

/**
 * The Lettuce client options of every wxim service that talks to Redis (gateway, chat, auth).
 *
 * <p>Results are signalled on Lettuce's event executors, not on the thread that wrote the command
 * ({@code publishOnScheduler}). Lettuce 6.8.2 (and 7.7.0) can deadlock without it when Redis goes away: a command
 * written while the connection is down fails inside {@code DefaultEndpoint.write}, which still counts the writing
 * thread as a writer; if the failure's handler writes another command at once (a fallback, an error reply, a
 * release), that write waits for the endpoint's lock, which the Lettuce event loop holds while it spins, waiting for
 * the writers to drain, to process the channel's close (lettuce issue #3880). The event loop then spins at 100 % CPU
 * and the connection never reconnects. Seen in this project: a launcher whose embedded Redis stopped first never
 * stopped itself (architecture section 5). With the option, a handler never runs inside the write that failed.
 */
@AutoConfiguration(before = DataRedisAutoConfiguration.class)
@ConditionalOnClass(ClientOptions.class)
public class RedisClientAutoConfiguration {

    @Bean
    LettuceClientOptionsBuilderCustomizer wximClientOptions() {
        return RedisClientAutoConfiguration::apply;
    }

    /** Applies wxim's settings to a Lettuce options builder (also for clients built without Spring Boot). */
    public static ClientOptions.Builder apply(ClientOptions.Builder options) {
        return options.publishOnScheduler(true);
    }
}
