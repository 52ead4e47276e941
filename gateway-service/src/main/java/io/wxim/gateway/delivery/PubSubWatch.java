package io.wxim.gateway.delivery;

import io.lettuce.core.event.connection.ConnectionDeactivatedEvent;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.gateway.config.NodeIdentity;
import io.wxim.gateway.connection.Connection;
import io.wxim.gateway.connection.ConnectionRegistry;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Watches this gateway's Redis pub/sub connection (node channel and conversation channels share it).
 * <p>
 * Lettuce reconnects a dropped connection and resubscribes all its channels (one SUBSCRIBE) on its own, but what was
 * published in between is lost for this gateway's clients (pub/sub is at-most-once), and a client that gets no later
 * message never sees the gap. So after any Redis connection of this gateway was deactivated, it publishes probes
 * ({@code probe:<boot>:<n>}) to its own node channel every {@value #FAST_PROBE_MS} ms until one published after the
 * drop comes back through the listener (proof that the resubscription is in effect), then writes
 * {@code {"type":"resync"}} to every local connection: clients sync every conversation, which repairs the gap.
 * A drop of the command connection alone also causes a resync: harmless, only extra syncs. If this node's alive key
 * ({@code im:gw:alive:<node>}, refreshed with each periodic probe) is gone at that moment, Redis lost its data,
 * chat-service's record of this node's connections with it: the connections are closed with 4001 instead (spread
 * over the drain window), and their reconnects register them again. The same happens when a periodic refresh finds the
 * key gone (it lapsed: chat-service ends the connections of a node whose key stays gone, as those of a dead gateway).
 * The key's value is this process's boot id, the middle part of its connIds.
 * <p>
 * The same probe, sent every {@code pubsubProbeInterval}, feeds readiness: DOWN after three intervals without one.
 * Three long-lived loops started once (connection events, probes, closes), each with an error handler.
 */
@Component
public class PubSubWatch implements SmartLifecycle {
    static final long FAST_PROBE_MS = 100;
    private static final Duration MIN_ALIVE_TTL = Duration.ofSeconds(60);
    private static final Logger log = LoggerFactory.getLogger(PubSubWatch.class);

    private final ReactiveStringRedisTemplate redis;
    private final ClientResources resources;
    private final ConnectionRegistry registry;
    private final GatewayProperties props;
    private final String channel;
    private final String aliveKey;
    private final String prefix;
    /** The alive key's value: this process's boot id (chat-service compares it with the connIds it holds). */
    private final String boot;
    /** Whether this process wrote its alive key yet; after that, a refresh that finds it gone means it lapsed. */
    private boolean aliveWritten;
    private final String resyncFrame;
    private final Counter resyncs;
    private final Counter reconnects;
    private final Disposable.Composite running = Disposables.composite();
    private final Sinks.Many<List<Connection>> closeRequests = Sinks.many().unicast()
            .onBackpressureBuffer(new java.util.concurrent.ArrayBlockingQueue<>(16)); // data losses pending a closing loop
    private long sent;
    private long lastSentNanos;
    private long receivedNanos = System.nanoTime();
    /** A probe numbered above this completes a recovery; -1 when none is pending. */
    private long recoverAbove = -1;
    private volatile boolean started;

    PubSubWatch(ReactiveStringRedisTemplate redis, ClientResources resources, ConnectionRegistry registry,
                GatewayProperties props, NodeIdentity node, FrameCodec codec, MeterRegistry meters) {
        this.redis = redis;
        this.resources = resources;
        this.registry = registry;
        this.props = props;
        this.channel = RedisNames.nodeChannel(node.id());
        this.aliveKey = RedisNames.nodeAliveKey(node.id());
        this.boot = node.boot();
        this.prefix = "probe:" + node.boot() + ":";
        this.resyncFrame = codec.encode(new ServerFrame.Resync("pubsub"));
        this.resyncs = Counter.builder("im.gateway.pubsub.resyncs")
                .description("times the gateway told its clients to resync after its Redis pub/sub connection came back")
                .register(meters);
        this.reconnects = Counter.builder("im.gateway.redis.data-loss")
                .description("times the gateway found its alive key gone (Redis lost its data, or the key lapsed) and made its clients reconnect")
                .register(meters);
    }

    /** True for a probe payload (of any process of this node id); the node listener hands these here, undecoded. */
    boolean isProbe(String payload) {
        return payload.startsWith("probe:");
    }

    /**
     * A probe came back through the node channel listener. If it proves the subscription after a drop: when this
     * node's alive key survived, every local connection gets {@code resync}; when it is gone, Redis lost its data
     * (chat-service's record of this node's connections included, so direct messages and presence would no longer
     * reach them) and every local connection is closed with 4001 (reconnect), spread over the drain window, so each
     * reconnect registers it again.
     */
    Mono<Void> probeReceived(String payload) {
        if (!payload.startsWith(prefix)) {
            return Mono.empty(); // a probe of an earlier process of the same node id
        }
        long n;
        try {
            n = Long.parseLong(payload.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return Mono.empty();
        }
        boolean recovered;
        synchronized (this) {
            receivedNanos = System.nanoTime();
            recovered = recoverAbove >= 0 && n > recoverAbove;
            if (recovered) {
                recoverAbove = -1;
                registry.subscriptionsProven(); // under the lock a drop takes too: a newer drop is never cleared
            }
        }
        if (!recovered) {
            return Mono.empty();
        }
        return redis.opsForValue().setIfAbsent(aliveKey, boot, aliveTtl())
                .timeout(props.redisTimeout())
                .onErrorResume(e -> {
                    log.warn("alive key check failed, assuming Redis kept its data: error={}", e.toString());
                    return Mono.just(false);
                })
                .flatMap(lost -> lost ? reconnectAll() : resyncAll());
    }

    private Mono<Void> resyncAll() {
        int told = 0;
        for (Connection c : registry.connections()) {
            try {
                if (c.deliverToUser(resyncFrame)) {
                    told++;
                }
            } catch (RuntimeException e) {
                log.warn("resync hint failed: connId={} error={}", c.id(), e.toString());
            }
        }
        resyncs.increment();
        log.info("pub/sub subscription proven again after a Redis connection drop: told {} connections to resync", told);
        return Mono.empty();
    }

    private Mono<Void> reconnectAll() {
        List<Connection> open = new ArrayList<>(registry.connections());
        Collections.shuffle(open);
        reconnects.increment();
        log.warn("alive key of this node gone (Redis lost its data, or the key lapsed): closing {} connections with 4001 over {}",
                open.size(), props.ws().drainWindow());
        if (open.isEmpty()) {
            return Mono.empty();
        }
        // Handed to the closing loop so that node messages (replies to the reconnects) keep flowing meanwhile.
        if (closeRequests.tryEmitNext(open).isFailure()) {
            log.error("could not hand {} connections to the closing loop", open.size());
        }
        return Mono.empty();
    }

    /** Readiness: a probe came back within three probe intervals. */
    synchronized boolean receiving() {
        return System.nanoTime() - receivedNanos <= 3 * props.pubsubProbeInterval().toNanos();
    }

    /**
     * What was published to this gateway's channels may have been lost ({@code why}: a Redis connection dropped, or
     * the node channel's stream ended and is being subscribed again): probes go out fast until one published after
     * this comes back, which proves the subscription and triggers the resync (or the reconnects).
     */
    synchronized void subscriptionInDoubt(String why) {
        registry.distrustSubscriptions();
        if (recoverAbove < 0) {
            log.info("{}: probing the pub/sub subscription until it is back", why);
        }
        recoverAbove = sent;
    }

    private Duration aliveTtl() {
        Duration twelve = props.pubsubProbeInterval().multipliedBy(12);
        return twelve.compareTo(MIN_ALIVE_TTL) > 0 ? twelve : MIN_ALIVE_TTL;
    }

    /** The next probe number if one is due now (fast while a recovery is pending), else -1. */
    private synchronized long nextProbe() {
        long now = System.nanoTime();
        boolean due = recoverAbove >= 0 || now - lastSentNanos >= props.pubsubProbeInterval().toNanos();
        if (!due) {
            return -1;
        }
        lastSentNanos = now;
        return ++sent;
    }

    private synchronized boolean recovering() {
        return recoverAbove >= 0;
    }

    private Mono<Void> probe() {
        long n = nextProbe();
        if (n < 0) {
            return Mono.empty();
        }
        // While recovering the alive key is only extended, never created: whether it survived is what the recovery
        // asks, and a recovery that takes long must not let it lapse (chat-service would end this node's connections).
        Mono<Boolean> refresh = recovering()
                ? redis.opsForValue().setIfPresent(aliveKey, boot, aliveTtl()).thenReturn(true)
                : refreshAlive();
        return refresh.then(redis.convertAndSend(channel, prefix + n))
                .timeout(props.redisTimeout())
                .doOnError(e -> log.debug("probe publish failed: error={}", e.toString()))
                .onErrorResume(e -> Mono.empty()) // Redis unreachable: readiness reports it once probes stop coming back
                .then();
    }

    /**
     * Refreshes the alive key, only if it exists (SET XX) once this process wrote it: if it lapsed (no refresh for a
     * whole TTL: Redis unreachable or this process stalled, without the connection dropping), chat-service may have
     * ended this node's connections as those of a dead gateway, so the clients are made to reconnect (4001) and the
     * key is written again.
     */
    private Mono<Boolean> refreshAlive() {
        if (!aliveWritten()) {
            aliveWritten(true); // before the write: a refresh after it is visible must check it
            return redis.opsForValue().set(aliveKey, boot, aliveTtl())
                    .doOnError(e -> aliveWritten(false))
                    .doOnCancel(() -> aliveWritten(false)); // timed out: whether it landed is unknown
        }
        return redis.opsForValue().setIfPresent(aliveKey, boot, aliveTtl()).flatMap(present -> {
            if (present) {
                return Mono.just(true);
            }
            log.warn("this gateway's alive key lapsed: chat-service may have ended its connections");
            return redis.opsForValue().set(aliveKey, boot, aliveTtl()).flatMap(done -> reconnectAll().thenReturn(done));
        });
    }

    private synchronized boolean aliveWritten() {
        return aliveWritten;
    }

    private synchronized void aliveWritten(boolean written) {
        aliveWritten = written;
    }

    @Override
    public void start() {
        running.add(resources.eventBus().get()
                .filter(event -> event instanceof ConnectionDeactivatedEvent)
                .subscribe(event -> subscriptionInDoubt("a Redis connection of this gateway dropped"),
                        e -> log.error("Redis connection event listener stopped: error={}", e.toString())));
        running.add(Flux.interval(Duration.ofMillis(FAST_PROBE_MS))
                .onBackpressureDrop()
                .concatMap(tick -> probe(), 1)
                .subscribe(null, e -> log.error("pub/sub probe stopped: error={}", e.toString())));
        running.add(closeRequests.asFlux()
                .concatMap(open -> Flux.fromIterable(open)
                        .delayElements(props.ws().drainWindow().dividedBy(open.size()))
                        .doOnNext(c -> c.close(CloseCode.GOING_AWAY)))
                .subscribe(null, e -> log.error("closing loop stopped: error={}", e.toString())));
        started = true;
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

    /** After the node listener (phase 0). */
    @Override
    public int getPhase() {
        return 1;
    }
}
