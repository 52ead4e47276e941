package io.wxim.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.publisher.Mono;
import redis.embedded.RedisServer;

/** The listeners' factory keeps the service's Redis settings, signals where Lettuce reads, and carries messages. */
@Timeout(60)
class PubSubConnectionsIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private RedisServer server;
    private LettuceConnectionFactory base;
    private LettuceConnectionFactory pubSub;

    @AfterEach
    void tearDown() throws IOException {
        OwnRedis.destroy(pubSub, WAIT);
        OwnRedis.destroy(base, WAIT);
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void keepsTheSettings_withoutPublishOn_andCarriesMessages() throws IOException {
        int port = OwnRedis.freePort();
        server = OwnRedis.start(port);
        RedisStandaloneConfiguration standalone = new RedisStandaloneConfiguration("127.0.0.1", port);
        standalone.setDatabase(3);
        base = new LettuceConnectionFactory(standalone, LettuceClientConfiguration.builder()
                // a service that turned publishOnScheduler on: its listeners must not have it
                .clientOptions(RedisClientAutoConfiguration.apply(ClientOptions.builder()).publishOnScheduler(true).build())
                .clientName("wxim-test")
                .commandTimeout(Duration.ofSeconds(3))
                .build());
        base.afterPropertiesSet();
        base.start();

        pubSub = PubSubConnections.factoryLike(base);

        LettuceClientConfiguration copied = pubSub.getClientConfiguration();
        assertThat(copied.getClientOptions().orElseThrow().isPublishOnScheduler()).isFalse();
        // unsubscribes wait for the reconnect instead of being rejected (the service's own commands are rejected)
        assertThat(copied.getClientOptions().orElseThrow().getDisconnectedBehavior())
                .isEqualTo(ClientOptions.DisconnectedBehavior.DEFAULT);
        assertThat(copied.getClientName()).contains("wxim-test");
        assertThat(copied.getCommandTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(copied.isUseSsl()).isFalse();
        assertThat(pubSub.getStandaloneConfiguration().getPort()).isEqualTo(port);
        assertThat(pubSub.getDatabase()).isEqualTo(3);

        ReactiveRedisMessageListenerContainer container = new ReactiveRedisMessageListenerContainer(pubSub);
        try {
            var messages = container.receiveLater(ChannelTopic.of("c")).block(WAIT);
            Mono<String> first = messages.next().map(m -> m.getMessage()).cache();
            first.subscribe();
            new ReactiveStringRedisTemplate(base).convertAndSend("c", "hello").block(WAIT);
            assertThat(first.block(WAIT)).isEqualTo("hello");
        } finally {
            container.destroyLater().block(WAIT);
        }
    }

    @Test
    void aListenerContainerIsBuiltWithoutConnecting() {
        // nothing answers on port 1: building the container must not open a (shared, unused) command connection
        base = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 1));
        base.afterPropertiesSet();
        base.start();
        pubSub = PubSubConnections.factoryLike(base);

        ReactiveRedisMessageListenerContainer container = new ReactiveRedisMessageListenerContainer(pubSub);
        container.destroyLater().block(WAIT);
    }
}
