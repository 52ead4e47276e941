package io.wxim.gateway.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.gateway.config.GatewayProperties;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * A DISCONNECT whose append fails is appended again (real Redis; the stream key is made unusable for a while): a lost
 * one leaves its user online in chat-service for as long as this gateway lives.
 */
@Timeout(60)
class DisconnectPublishIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private LettuceConnectionFactory factory;
    private ReactiveStringRedisTemplate redis;
    private CommandPublisher commands;

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        redis = new ReactiveStringRedisTemplate(factory);
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of("im.gateway.node-id", "gw")))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        commands = new CommandPublisher(redis, new FrameCodec(), props);
    }

    @AfterEach
    void tearDown() {
        factory.destroy();
    }

    @Test
    void aDisconnectWhoseAppendFails_isAppendedAgain_onceTheStreamTakesIt() {
        String conn = "c-" + UUID.randomUUID();
        Command disconnect = new Command(Command.Event.DISCONNECT, "gw", conn, 0, new UserRef("u1", null, null), null);
        // the stream key holds a string for a moment: every XADD fails (WRONGTYPE) until it is deleted
        String saved = "saved-" + UUID.randomUUID();
        Boolean existed = redis.hasKey(RedisNames.COMMAND_STREAM).block(WAIT);
        if (Boolean.TRUE.equals(existed)) {
            redis.rename(RedisNames.COMMAND_STREAM, saved).block(WAIT);
        }
        try {
            redis.opsForValue().set(RedisNames.COMMAND_STREAM, "not a stream").block(WAIT);
            Mono.delay(Duration.ofMillis(1200)).then(redis.delete(RedisNames.COMMAND_STREAM)).subscribe();

            commands.publishDisconnect(disconnect).block(WAIT);

            assertThat(redis.opsForStream().range(RedisNames.COMMAND_STREAM, Range.unbounded()).collectList().block(WAIT))
                    .anySatisfy(record -> assertThat(String.valueOf(record.getValue().get(RedisNames.COMMAND_FIELD))).contains(conn));
        } finally {
            redis.delete(RedisNames.COMMAND_STREAM).block(WAIT);
            if (Boolean.TRUE.equals(existed)) {
                redis.rename(saved, RedisNames.COMMAND_STREAM).block(WAIT);
            }
        }
    }
}
