package io.wxim.chat.command;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.config.GroupCommit;
import io.wxim.protocol.Command;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.connection.ReactiveRedisConnection;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStreamCommands.XClaimOptions;
import org.springframework.data.redis.connection.stream.Consumer;
import org.springframework.data.redis.connection.stream.MapRecord;
import org.springframework.data.redis.connection.stream.PendingMessage;
import org.springframework.data.redis.connection.stream.ReadOffset;
import org.springframework.data.redis.connection.stream.RecordId;
import org.springframework.data.redis.connection.stream.StreamOffset;
import org.springframework.data.redis.connection.stream.StreamReadOptions;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.serializer.StringRedisSerializer;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Consumes the gateways' command stream in the consumer group (at-least-once). An entry is acknowledged after its
 * command ran and its reply was published; entries left pending by an instance that died are claimed after
 * {@code claimIdle} and run again if their deadline allows (handlers are idempotent; see below). An entry delivered {@code maxDeliveries} times is
 * dropped as poison, logged and counted. Both loops are long-lived listeners started once with error handlers that
 * resubscribe with backoff (e.g. while Redis is down). Acknowledgements of commands that complete together go in one
 * {@code XACK} ({@link GroupCommit}): a busy instance makes a few calls per round instead of one per command. A
 * command's deadline counts from when its gateway added it: one that waited past it is acknowledged without running
 * ({@link ExpiredCommands}), except a {@code DISCONNECT}, which always runs. With the default settings that includes
 * every claimed {@code CONNECT} and {@code FRAME} (claimIdle 15 s, deadline 8 s): their gateways have answered them.
 */
@Component
class CommandConsumer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(CommandConsumer.class);
    /**
     * One XACK call at a time; what completes meanwhile goes in the next one. An acknowledgement only has to come
     * before {@code claimIdle} (the reply is already out), and the command's processing slot is free meanwhile.
     */
    private static final int ACKS_IN_FLIGHT = 1;
    /** A command with less of its deadline left than this is not started (it could only be cancelled). */
    private static final Duration MIN_BUDGET = Duration.ofMillis(250);
    private static final Duration CLOCK_CHECK_INTERVAL = Duration.ofSeconds(30);
    private static final ByteBuffer STREAM_KEY =
            ByteBuffer.wrap(RedisNames.COMMAND_STREAM.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();

    private final ReactiveRedisConnectionFactory factory;
    private final ReactiveStringRedisTemplate redis;
    private final CommandHandler dispatcher;
    private final FrameCodec codec;
    private final ChatProperties.Stream props;
    private final Duration redisTimeout;
    private final String consumerName;
    private final Counter poison;
    private final Counter processed;
    private final Counter ackFailures;
    private final io.micrometer.core.instrument.Timer latency;
    private final GroupCommit<RecordId, Void> acks;
    private final ExpiredCommands expired;
    /** A command's deadline counts from its entry's time in the stream (see {@link ExpiredCommands}). */
    private final Duration deadline;
    /** Stream entry times are Redis's: ages are taken on its clock. */
    private final RedisClock clock;
    private final Disposable.Composite running = Disposables.composite();
    private volatile boolean started;

    @Autowired
    CommandConsumer(ReactiveRedisConnectionFactory factory, ReactiveStringRedisTemplate redis,
                    CommandHandler dispatcher, ExpiredCommands expired, FrameCodec codec, ChatProperties props,
                    MeterRegistry meters) {
        this(factory, redis, dispatcher, expired, codec, props, meters, System::currentTimeMillis);
    }

    /** With this host's clock given ({@code localMillis}), for tests of a host whose clock is off. */
    CommandConsumer(ReactiveRedisConnectionFactory factory, ReactiveStringRedisTemplate redis,
                    CommandHandler dispatcher, ExpiredCommands expired, FrameCodec codec, ChatProperties props,
                    MeterRegistry meters, LongSupplier localMillis) {
        this.factory = factory;
        this.expired = expired;
        this.deadline = props.commandDeadline();
        this.clock = new RedisClock(redis, props.redisTimeout(), localMillis);
        meters.gauge("im.chat.redis.clock.offset", clock, RedisClock::offsetMillis);
        this.redis = redis;
        this.dispatcher = dispatcher;
        this.codec = codec;
        this.props = props.stream();
        this.redisTimeout = props.redisTimeout();
        this.consumerName = props.consumerName() != null ? props.consumerName() : "chat-" + UUID.randomUUID();
        this.poison = meters.counter("im.chat.commands.poison");
        this.processed = meters.counter("im.chat.commands.processed");
        this.ackFailures = meters.counter("im.chat.commands.ack_failures");
        this.latency = io.micrometer.core.instrument.Timer.builder("im.chat.command.latency")
                .description("from the command's entry in the stream to its completion")
                .publishPercentileHistogram()
                .register(meters);
        this.acks = new GroupCommit<>(this::ackAll, this.props.batchSize(), ACKS_IN_FLIGHT);
    }

    @Override
    public void start() {
        started = true;
        Consumer me = Consumer.from(RedisNames.COMMAND_GROUP, consumerName);
        Flux<Void> main = ensureGroup()
                .then(clock.measure())
                .thenMany(receive(me))
                .flatMap(record -> process(record, false), props.concurrency())
                .retryWhen(backoff("command stream"));
        Flux<Void> clockChecks = Flux.interval(CLOCK_CHECK_INTERVAL)
                .onBackpressureDrop()
                .concatMap(tick -> clock.measure().onErrorResume(e -> {
                    log.debug("Redis clock not measured: error={}", e.toString());
                    return Mono.empty();
                }), 1);
        Flux<Void> claims = Flux.interval(props.claimInterval())
                .onBackpressureDrop()
                .concatMap(tick -> claimPending(me), 1)
                .retryWhen(backoff("pending claim"));
        running.add(main.subscribe(null, e -> log.error("command consumer stopped: {}", e.toString())));
        running.add(claims.subscribe(null, e -> log.error("pending claimer stopped: {}", e.toString())));
        running.add(clockChecks.subscribe());
        log.info("command consumer started: consumer={} stream={}", consumerName, RedisNames.COMMAND_STREAM);
    }

    @Override
    public void stop() {
        running.dispose();
        started = false;
    }

    @Override
    public boolean isRunning() {
        return started;
    }

    /**
     * Blocking {@code XREADGROUP} polls on one long-lived connection, each read sent only when the consumers want more.
     * (Spring's {@code StreamReceiver} opens and closes a dedicated connection for every poll: under load tens of TCP
     * connections a second, each with its handshake.) A read is bounded by Lettuce's command timeout
     * ({@code spring.data.redis.timeout}, above the block time), which starts when the command is sent; no clock runs
     * while records wait for a free processing slot (a busy consumer is not a slow Redis). A failed read fails the
     * loop, which reconnects with backoff.
     */
    private Flux<MapRecord<String, String, String>> receive(Consumer me) {
        StreamReadOptions options = StreamReadOptions.empty().count(props.batchSize()).block(props.pollTimeout());
        return Flux.usingWhen(Mono.fromSupplier(factory::getReactiveConnection),
                connection -> Flux.defer(() -> connection.streamCommands().xReadGroup(me, options,
                                StreamOffset.create(STREAM_KEY.duplicate(), ReadOffset.lastConsumed())))
                        .repeat()
                        .map(record -> record.deserialize(StringRedisSerializer.UTF_8)),
                ReactiveRedisConnection::closeLater);
    }

    private Mono<Void> ensureGroup() {
        return redis.opsForStream().createGroup(RedisNames.COMMAND_STREAM, ReadOffset.from("0"), RedisNames.COMMAND_GROUP)
                .timeout(redisTimeout)
                .onErrorResume(e -> String.valueOf(e.getMessage()).contains("BUSYGROUP")
                        || (e.getCause() != null && String.valueOf(e.getCause().getMessage()).contains("BUSYGROUP")),
                        e -> Mono.empty())
                .then();
    }

    /** {@code claimed}: taken over from an instance that did not finish it (always old: see {@link ExpiredCommands}). */
    private Mono<Void> process(MapRecord<String, String, String> record, boolean claimed) {
        Command command;
        try {
            command = codec.read(record.getValue().get(RedisNames.COMMAND_FIELD), Command.class);
        } catch (RuntimeException e) {
            log.warn("dropping unreadable command: recordId={} error={}", record.getId(), e.getMessage());
            poison.increment();
            return ack(record.getId());
        }
        long addedAt = addedAt(record.getId());
        long age = Math.max(0, clock.now() - addedAt);
        Duration budget = deadline.minusMillis(age);
        // too little left to do anything but start and be cancelled; a DISCONNECT always runs (it only cleans up)
        boolean inTime = budget.compareTo(MIN_BUDGET) >= 0;
        boolean expire = !inTime && command.event() != Command.Event.DISCONNECT;
        Mono<Void> run;
        if (expire) {
            expired.skipped(command, age, claimed);
            run = Mono.empty();
        } else {
            if (inTime && !claimed) {
                expired.ranInTime();
            }
            // a step fenced with the deadline does nothing once it passed (CommandDeadline); not a DISCONNECT's: it
            // runs whatever its age, and must
            run = command.event() == Command.Event.DISCONNECT ? dispatcher.dispatch(command, budget)
                    : dispatcher.dispatch(command, budget).contextWrite(CommandDeadline.of(addedAt + deadline.toMillis()));
        }
        return run
                .doOnSuccess(v -> {
                    if (!expire) {
                        processed.increment();
                        latency.record(Math.max(0, clock.now() - addedAt), java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                    // Detached: the command's slot is free while its acknowledgement waits for the next XACK. A failed
                    // XACK leaves the entry pending: claimed later (and run again if still inside its deadline).
                    ack(record.getId()).subscribe(null, error -> {
                        ackFailures.increment();
                        log.warn("command done but not acknowledged, it will be claimed again: recordId={} error={}",
                                record.getId(), error.toString());
                    });
                })
                .onErrorResume(e -> {
                    // Left pending: claimed after claimIdle, by this or another instance (run again if still in time).
                    log.warn("command not completed, left pending: recordId={} userId={} connId={} error={}",
                            record.getId(), command.user().id(), command.conn(), e.toString());
                    return Mono.empty();
                });
    }

    /** The millisecond (Redis's clock) the gateway added the entry: a stream entry id starts with it. */
    private static long addedAt(RecordId id) {
        String value = id.getValue();
        return Long.parseLong(value.substring(0, value.indexOf('-')));
    }

    private Mono<Void> claimPending(Consumer me) {
        return redis.opsForStream().pending(RedisNames.COMMAND_STREAM, RedisNames.COMMAND_GROUP, Range.unbounded(),
                        props.batchSize())
                .timeout(redisTimeout)
                .flatMapMany(Flux::fromIterable)
                .filter(p -> p.getElapsedTimeSinceLastDelivery().compareTo(props.claimIdle()) >= 0)
                .collectList()
                .flatMap(idle -> idle.isEmpty() ? Mono.empty() : claim(me, idle));
    }

    private Mono<Void> claim(Consumer me, List<PendingMessage> idle) {
        List<PendingMessage> poisoned = idle.stream().filter(p -> p.getTotalDeliveryCount() >= props.maxDeliveries()).toList();
        RecordId[] retry = idle.stream().filter(p -> p.getTotalDeliveryCount() < props.maxDeliveries())
                .map(PendingMessage::getId).toArray(RecordId[]::new);
        Mono<Void> dropPoison = Flux.fromIterable(poisoned).concatMap(p -> {
            log.error("dropping command delivered {} times: recordId={}", p.getTotalDeliveryCount(), p.getId());
            poison.increment();
            return ack(p.getId());
        }).then();
        Mono<Void> rerun = retry.length == 0 ? Mono.empty()
                : redis.<String, String>opsForStream().claim(RedisNames.COMMAND_STREAM, RedisNames.COMMAND_GROUP, me.getName(),
                                XClaimOptions.minIdle(props.claimIdle()).ids(retry))
                        .timeout(redisTimeout)
                        .doOnNext(r -> log.info("claimed pending command: recordId={}", r.getId()))
                        .concatMap(record -> process(record, true))
                        .then();
        return dropPoison.then(rerun);
    }

    private Mono<Void> ack(RecordId id) {
        return acks.submit(id);
    }

    private Mono<List<Void>> ackAll(List<RecordId> ids) {
        return redis.opsForStream().acknowledge(RedisNames.COMMAND_STREAM, RedisNames.COMMAND_GROUP,
                        ids.toArray(RecordId[]::new))
                .timeout(redisTimeout)
                .map(acked -> java.util.Collections.<Void>nCopies(ids.size(), null));
    }

    private static Retry backoff(String what) {
        return Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(5))
                .doBeforeRetry(s -> log.warn("{} failed, resubscribing: attempt={} error={}", what,
                        s.totalRetries() + 1, s.failure().toString()));
    }
}
