package io.wxim.gateway.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.gateway.config.NodeIdentity;
import io.wxim.gateway.delivery.ConversationSubscriptions;
import io.wxim.protocol.OpenConnections;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;

/**
 * The list of open connections a gateway writes for chat-service (real Redis): the connections of this process that
 * are open, every number taken so far as its limit, a TTL of three intervals, and a new seq each time.
 */
@Timeout(30)
class OpenConnectionsWriterIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final NodeIdentity node = new NodeIdentity("gw-open-" + UUID.randomUUID().toString().substring(0, 8));
    private final LettuceConnectionFactory factory = TestInfra.redisConnectionFactory();
    private final ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
    private final ReactiveRedisMessageListenerContainer container = new ReactiveRedisMessageListenerContainer(factory);
    private final ConnectionRegistry registry = new ConnectionRegistry(
            onFrame -> new ConversationSubscriptions(container, onFrame, WAIT), new SimpleMeterRegistry(),
            "{\"type\":\"error\",\"code\":\"unavailable\"}");
    private final GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of(
            "im.gateway.open-connections-interval", "20s"))).bindOrCreate("im.gateway", GatewayProperties.class);
    private final OpenConnectionsWriter writer = new OpenConnectionsWriter(registry, redis, node, props);

    @AfterEach
    void tearDown() {
        container.destroy();
        factory.destroy();
    }

    @Test
    void listsTheOpenConnectionsOfThisProcess_upToEveryNumberTaken() {
        Connection a = open();
        Connection b = open();
        Connection c = open();
        registry.close(b);
        registry.nextConnNumber(); // taken, not admitted yet

        writer.write().block(WAIT);
        OpenConnections list = read();
        assertThat(list.boot()).isEqualTo(node.boot());
        assertThat(list.upTo()).isEqualTo(4);
        assertThat(list.closedBefore(b.id(), node.id())).isTrue();
        assertThat(list.closedBefore(a.id(), node.id())).isFalse();
        assertThat(list.closedBefore(c.id(), node.id())).isFalse();
        assertThat(list.open()).hasSize(2);
        assertThat(redis.getExpire(RedisNames.openConnections(node.id())).block(WAIT))
                .isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));

        writer.write().block(WAIT);
        assertThat(read().seq()).isEqualTo(list.seq() + 1);
    }

    private Connection open() {
        String id = node.id() + "." + node.boot() + "." + Long.toString(registry.nextConnNumber(), 36);
        return registry.open(id, new UserRef("u-" + id, null, null), 16, 5);
    }

    private OpenConnections read() {
        return OpenConnections.parse(redis.opsForValue().get(RedisNames.openConnections(node.id())).block(WAIT)).orElseThrow();
    }
}
