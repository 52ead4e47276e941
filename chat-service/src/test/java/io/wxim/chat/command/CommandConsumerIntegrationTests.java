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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** The command stream consumer against a real Redis: at-least-once, crash recovery, poison handling. */
class CommandConsumerIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private final FrameCodec codec = new FrameCodec();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private LettuceConnectionFactory factory;
    private ReactiveStringRedisTemplate redis;
    private CommandConsumer consumer;

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        redis = new ReactiveStringRedisTemplate(factory);
        emptyStream();
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
        start((cmd, budget) -> Mono.fromRunnable(() -> handled.add(cmd.conn())));
        add(command("fresh"));

        await().atMost(WAIT).untilAsserted(() -> assertThat(handled).containsExactlyInAnyOrder("fresh", "left-behind"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(pendingCount()).isZero());
    }

    @Test
    void dropsUnreadableEntries_andGivesUpOnACommandAfterMaxDeliveries() {
        AtomicInteger attempts = new AtomicInteger();
        start((cmd, budget) -> Mono.defer(() -> {
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
        start((cmd, budget) -> gate.asMono().doOnSuccess(v -> handled.add(cmd.conn())), 200,
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

    @Test
    void commandsThatWaitedPastTheirDeadlineAreAcknowledgedUnrun_butADisconnectAlwaysRuns() {
        runsOnlyCommandsInsideTheirDeadline(System::currentTimeMillis);
    }

    @Test
    void agesAreTakenOnRedisClock_whateverThisHostsClockSays() {
        // this host's clock 20 s ahead of Redis's, then 20 s behind: without the offset measured with TIME, every
        // command would look expired, or none would
        runsOnlyCommandsInsideTheirDeadline(() -> System.currentTimeMillis() + 20_000);
        consumer.stop();
        emptyStream();
        runsOnlyCommandsInsideTheirDeadline(() -> System.currentTimeMillis() - 20_000);
    }

    private void runsOnlyCommandsInsideTheirDeadline(LongSupplier localClock) {
        double expiredBefore = meters.counter("im.chat.commands.expired").count();
        long now = System.currentTimeMillis(); // the embedded or containerized Redis runs on this machine's clock
        // entries as a gateway added them 20 s and 2 s ago (a stream entry's id is the millisecond it was added)
        addAt(now - 20_000, command(Command.Event.FRAME, "stale-frame"));
        addAt(now - 19_999, command(Command.Event.CONNECT, "stale-connect"));
        addAt(now - 19_998, command(Command.Event.DISCONNECT, "stale-disconnect"));
        addAt(now - 2_000, command(Command.Event.FRAME, "queued"));
        Map<String, Duration> handled = new ConcurrentHashMap<>();
        start((cmd, budget) -> Mono.fromRunnable(() -> handled.put(cmd.conn(), budget)), 4, Duration.ofMillis(300), localClock);
        add(command("fresh"));

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(handled).containsOnlyKeys("stale-disconnect", "queued", "fresh");
            assertThat(pendingCount()).isZero();
        });
        assertThat(meters.counter("im.chat.commands.expired").count() - expiredBefore).isEqualTo(2.0);
        // the deadline (8 s by default) counts from the entry's time, not from when this instance took it
        assertThat(handled.get("stale-disconnect")).isNegative();
        assertThat(handled.get("queued")).isPositive().isLessThanOrEqualTo(Duration.ofMillis(6_500));
        assertThat(handled.get("fresh")).isGreaterThan(Duration.ofSeconds(3)).isLessThanOrEqualTo(Duration.ofMillis(8_500));
    }

    /**
     * A command's work runs with its deadline on Redis's clock in its context ({@link CommandDeadline}): its entry's
     * millisecond plus {@code command-deadline}, whenever this instance takes it; a DISCONNECT's has none (it runs
     * whatever its age, and so do its steps).
     */
    @Test
    void aCommandsWorkCarriesItsDeadline_theEntrysTimePlusTheCommandDeadline_butADisconnectsDoesNot() {
        long added = System.currentTimeMillis() - 2_000; // the embedded or containerized Redis runs on this machine's clock
        addAt(added, command(Command.Event.FRAME, "frame"));
        addAt(added + 1, command(Command.Event.CONNECT, "connect"));
        addAt(added + 2, command(Command.Event.DISCONNECT, "disconnect"));
        Map<String, String> seen = new ConcurrentHashMap<>();
        start((cmd, budget) -> Mono.deferContextual(context -> Mono.fromRunnable(
                () -> seen.put(cmd.conn(), CommandDeadline.argument(context)))));

        await().atMost(WAIT).untilAsserted(() -> assertThat(seen).hasSize(3));
        long deadline = ChatProperties.defaults().commandDeadline().toMillis();
        assertThat(seen).containsEntry("frame", String.valueOf(added + deadline))
                .containsEntry("connect", String.valueOf(added + 1 + deadline))
                .containsEntry("disconnect", CommandDeadline.NONE);
    }

    /** The command stream with nothing in it and the consumer group reading from its start. */
    private void emptyStream() {
        redis.delete(RedisNames.COMMAND_STREAM).block(WAIT);
        redis.opsForStream().createGroup(RedisNames.COMMAND_STREAM, ReadOffset.from("0"), RedisNames.COMMAND_GROUP).block(WAIT);
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
        start(handler, concurrency, claimIdle, System::currentTimeMillis);
    }

    private void start(CommandHandler handler, int concurrency, Duration claimIdle, LongSupplier localClock) {
        ChatProperties props = ChatProperties.defaults().with("test-" + System.nanoTime(),
                new ChatProperties.Stream(16, Duration.ofMillis(200), concurrency, claimIdle, Duration.ofMillis(200), 3));
        consumer = new CommandConsumer(factory, redis, handler, new ExpiredCommands(meters), codec, props, meters, localClock);
        consumer.start();
    }

    private Command command(String conn) {
        return command(Command.Event.FRAME, conn);
    }

    private Command command(Command.Event event, String conn) {
        return new Command(event, "gw-test", conn, 1, new UserRef("u1", "A", null),
                event == Command.Event.FRAME ? new ClientFrame.Ping(null) : null);
    }

    private void addAt(long millis, Command command) {
        redis.opsForStream().add(MapRecord.create(RedisNames.COMMAND_STREAM, Map.of(RedisNames.COMMAND_FIELD, codec.write(command)))
                .withId(RecordId.of(millis, 0))).block(WAIT);
    }

    private void add(Command command) {
        redis.opsForStream().add(RedisNames.COMMAND_STREAM, Map.of(RedisNames.COMMAND_FIELD, codec.write(command))).block(WAIT);
    }

    private long pendingCount() {
        return redis.opsForStream().pending(RedisNames.COMMAND_STREAM, RedisNames.COMMAND_GROUP).block(WAIT).getTotalPendingMessages();
    }
}
