package io.wxim.chat.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** The command stream consumer against a real Redis: at-least-once, crash recovery, poison handling. */
class CommandConsumerIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private final FrameCodec codec = new FrameCodec();
    private LettuceConnectionFactory factory;
    private ReactiveStringRedisTemplate redis;
    private CommandConsumer consumer;

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        redis = new ReactiveStringRedisTemplate(factory);
        redis.delete(RedisNames.COMMAND_STREAM).block(WAIT);
        redis.opsForStream().createGroup(RedisNames.COMMAND_STREAM, ReadOffset.from("0"), RedisNames.COMMAND_GROUP).block(WAIT);
    }

    @AfterEach
    void tearDown() {
        if (consumer != null) {
            consumer.stop();
        }
        factory.destroy();
    }

    @Test
    void retriesCommandsLeftPendingByADeadInstance_andProcessesNewOnes() {
        add(command("left-behind"));
        // an instance reads the entry and dies before acknowledging it
        List<MapRecord<String, Object, Object>> taken = redis.opsForStream()
                .read(Consumer.from(RedisNames.COMMAND_GROUP, "dead-instance"), StreamReadOptions.empty().count(1),
                        StreamOffset.create(RedisNames.COMMAND_STREAM, ReadOffset.lastConsumed()))
                .collectList().block(WAIT);
        assertThat(taken).hasSize(1);

        List<String> handled = new CopyOnWriteArrayList<>();
        start(cmd -> Mono.fromRunnable(() -> handled.add(cmd.conn())));
        add(command("fresh"));

        await().atMost(WAIT).untilAsserted(() -> assertThat(handled).containsExactlyInAnyOrder("fresh", "left-behind"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(pendingCount()).isZero());
    }

    @Test
    void dropsUnreadableEntries_andGivesUpOnACommandAfterMaxDeliveries() {
        AtomicInteger attempts = new AtomicInteger();
        start(cmd -> Mono.defer(() -> {
            attempts.incrementAndGet();
            return Mono.error(new IllegalStateException("backend down"));
        }));
        redis.opsForStream().add(RedisNames.COMMAND_STREAM, Map.of(RedisNames.COMMAND_FIELD, "{not json")).block(WAIT);
        add(command("always-fails"));

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(attempts).hasValue(3);
            assertThat(pendingCount()).isZero();
        });
    }

    @Test
    void acknowledgesCommandsThatCompleteTogetherInFewCalls() {
        for (int i = 0; i < 200; i++) {
            add(command("c" + i));
        }
        long before = xackCalls();
        List<String> handled = new CopyOnWriteArrayList<>();
        Sinks.Empty<Void> gate = Sinks.empty(); // all 200 complete together
        start(cmd -> gate.asMono().doOnSuccess(v -> handled.add(cmd.conn())), 200,
                Duration.ofSeconds(30)); // nothing claimed and run twice here
        await().atMost(WAIT).untilAsserted(() -> assertThat(pendingCount()).isEqualTo(200));
        gate.tryEmitEmpty();

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(handled).hasSize(200);
            assertThat(pendingCount()).isZero();
        });
        // one XACK per command would be 200 calls; commands completing together share one (at most 16 each here)
        assertThat(xackCalls() - before).isBetween(1L, 50L);
    }

    private long xackCalls() {
        java.util.Properties stats;
        try (org.springframework.data.redis.connection.ReactiveRedisConnection c = factory.getReactiveConnection()) {
            stats = c.serverCommands().info("commandstats").block(WAIT);
        }
        String xack = stats.getProperty("cmdstat_xack");
        if (xack == null) {
            return 0;
        }
        String calls = xack.substring(xack.indexOf("calls=") + 6);
        return Long.parseLong(calls.substring(0, calls.indexOf(',')));
    }

    private void start(CommandHandler handler) {
        start(handler, 4, Duration.ofMillis(300));
    }

    private void start(CommandHandler handler, int concurrency, Duration claimIdle) {
        ChatProperties props = ChatProperties.defaults().with("test-" + System.nanoTime(),
                new ChatProperties.Stream(16, Duration.ofMillis(200), concurrency, claimIdle, Duration.ofMillis(200), 3));
        consumer = new CommandConsumer(factory, redis, handler, codec, props, new SimpleMeterRegistry());
        consumer.start();
    }

    private Command command(String conn) {
        return new Command(Command.Event.FRAME, "gw-test", conn, 1, new UserRef("u1", "A", null),
                new ClientFrame.Ping(null));
    }

    private void add(Command command) {
        redis.opsForStream().add(RedisNames.COMMAND_STREAM, Map.of(RedisNames.COMMAND_FIELD, codec.write(command))).block(WAIT);
    }

    private long pendingCount() {
        return redis.opsForStream().pending(RedisNames.COMMAND_STREAM, RedisNames.COMMAND_GROUP).block(WAIT).getTotalPendingMessages();
    }
}
