package io.wxim.redis;

import io.lettuce.core.ClientOptions;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.core.SpringProperties;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The Lettuce client options of every wxim service that talks to Redis (gateway, chat, auth).
 *
 * <p>Commands are rejected while the connection is down ({@code disconnectedBehavior(REJECT_COMMANDS)}) instead of
 * waiting in Lettuce's buffer (unbounded by default) for the reconnect; each caller's timeout and fallback already
 * handle a failed Redis call, and the clients retry. This also keeps Lettuce 6.8.2 (and 7.7.0) out of a deadlock
 * (lettuce issue #3880): {@code DefaultEndpoint.write} counts the writing thread as a writer of the endpoint while it
 * writes; a command written while the connection is down (after a connection error) failed inside that section, and
 * a failure handler that wrote the next command at once (a fallback, an error reply, a release) waited there for the
 * endpoint's lock, which the Lettuce event loop holds while it spins, waiting for the writers to drain, to process
 * the channel's close or reactivation: the event loop spun at 100 % CPU and the connection never came back (seen in
 * this project: a launcher whose embedded Redis stopped first never stopped; architecture section 5). Rejected
 * commands fail in {@code validateWrite}, before the writer section; and while the event loop waits for that lock
 * for a close or a reactivation, the endpoint's channel is the inactive one, so a handler's next command is rejected
 * there too, without touching the lock. (The first fix, {@code publishOnScheduler}, moved every result to another
 * thread: near this machine's capacity, 400 messages/s, the 1v1 p99 was 2-6x higher with it, benchmarks section 16.)
 *
 * <p>The connection is opened while the context starts: Spring Data Redis otherwise opens its shared connection
 * lazily, blocking the event loop of the first request that uses Redis (found by BlockHound). Except in a training
 * run that ends when the context is refreshed ({@code -Dspring.context.exit=onRefresh}, how the images build their
 * JVM's AOT cache with no Redis around): it never uses Redis, and a failed connect would fail the build.
 */
@AutoConfiguration(before = DataRedisAutoConfiguration.class)
@ConditionalOnClass(ClientOptions.class)
public class RedisClientAutoConfiguration {

    @Bean
    LettuceClientOptionsBuilderCustomizer wximClientOptions() {
        return RedisClientAutoConfiguration::apply;
    }

    /** Opens the shared connection at start-up (see the class comment). */
    @Bean
    static BeanPostProcessor wximEagerRedisConnection() {
        return EagerConnection.unless(SpringProperties.getProperty("spring.context.exit"));
    }

    /** Sets {@code eagerInitialization} on every Lettuce connection factory, if {@code eager}. */
    record EagerConnection(boolean eager) implements BeanPostProcessor {
        /** Eager unless the JVM is a training run that exits on refresh ({@code spring.context.exit}'s value). */
        static EagerConnection unless(String contextExit) {
            return new EagerConnection(!"onRefresh".equalsIgnoreCase(contextExit));
        }

        @Override
        public Object postProcessBeforeInitialization(Object bean, String name) {
            if (eager && bean instanceof LettuceConnectionFactory factory) {
                factory.setEagerInitialization(true);
            }
            return bean;
        }
    }

    /** Applies wxim's settings to a Lettuce options builder (also for clients built without Spring Boot). */
    public static ClientOptions.Builder apply(ClientOptions.Builder options) {
        return options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    }
}
