package io.wxim.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/** A service's auto-configured Redis client gets wxim's options on top of Spring Boot's. */
@Timeout(30)
class RedisClientAutoConfigurationTests {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RedisClientAutoConfiguration.class, DataRedisAutoConfiguration.class))
            .withPropertyValues("spring.data.redis.port=1"); // nothing connects while the context is built

    @Test
    void isListedForSpringBoot() {
        assertThat(org.springframework.boot.context.annotation.ImportCandidates.load(
                org.springframework.boot.autoconfigure.AutoConfiguration.class, getClass().getClassLoader()))
                .contains(RedisClientAutoConfiguration.class.getName());
    }

    @Test
    void signalsResultsOnLettucesExecutors_andKeepsBootsOptions() {
        runner.run(context -> {
            var options = context.getBean(LettuceConnectionFactory.class).getClientConfiguration().getClientOptions()
                    .orElseThrow();
            assertThat(options.isPublishOnScheduler()).isTrue();
            assertThat(options.getTimeoutOptions().isTimeoutCommands()).isTrue(); // set by Spring Boot, still there
        });
    }
}
