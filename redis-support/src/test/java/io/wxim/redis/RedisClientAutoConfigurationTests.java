package io.wxim.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import redis.embedded.RedisServer;

/** A service's auto-configured Redis client gets wxim's options on top of Spring Boot's. */
@Timeout(30)
class RedisClientAutoConfigurationTests {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RedisClientAutoConfiguration.class, DataRedisAutoConfiguration.class))
            .withPropertyValues("spring.data.redis.port=1"); // nothing answers there

    @Test
    void isListedForSpringBoot() {
        assertThat(org.springframework.boot.context.annotation.ImportCandidates.load(
                org.springframework.boot.autoconfigure.AutoConfiguration.class, getClass().getClassLoader()))
                .contains(RedisClientAutoConfiguration.class.getName());
    }

    @Test
    void connectsWhileTheContextStarts() {
        runner.run(context -> assertThat(context).hasFailed().getFailure()
                .rootCause().hasMessageContaining("Connection refused"));
    }

    @Test
    void doesNotConnect_inATrainingRunThatEndsOnRefresh() {
        // the rule on its own: a context in this JVM with spring.context.exit=onRefresh would halt the JVM
        LettuceConnectionFactory factory = new LettuceConnectionFactory();
        RedisClientAutoConfiguration.EagerConnection.unless("onRefresh").postProcessBeforeInitialization(factory, "f");
        assertThat(factory.getEagerInitialization()).isFalse();
        RedisClientAutoConfiguration.EagerConnection.unless(null).postProcessBeforeInitialization(factory, "f");
        assertThat(factory.getEagerInitialization()).isTrue();
    }

    @Test
    void rejectsCommandsWhileDisconnected_andKeepsBootsOptions() throws Exception {
        int port = OwnRedis.freePort();
        RedisServer redis = OwnRedis.start(port);
        try {
            runner.withPropertyValues("spring.data.redis.port=" + port).run(context -> {
                assertThat(context).hasNotFailed();
                var options = context.getBean(LettuceConnectionFactory.class).getClientConfiguration().getClientOptions()
                        .orElseThrow();
                assertThat(options.getDisconnectedBehavior()).isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
                assertThat(options.isPublishOnScheduler()).isFalse(); // results stay on the event loop (no hand-off)
                assertThat(options.getTimeoutOptions().isTimeoutCommands()).isTrue(); // set by Spring Boot, still there
            });
        } finally {
            redis.stop();
        }
    }
}
