package io.wxim.chat.room;

import io.lettuce.core.event.connection.ConnectionDeactivatedEvent;
import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.RedisNames;
import io.wxim.redis.PubSubFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.ReactiveSubscription;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Room memberships this instance read recently, so a member's next checks (sends, syncs, recalls, read receipts, typing,
 * history-service's member checks) need no database read. An entry is trusted for at most {@link #TTL}; a leave drops
 * it here at once and, over Redis pub/sub ({@link RedisNames#MEMBERSHIPS_ENDED}), on every other chat-service
 * instance. Pub/sub is at-most-once, so an instance also forgets every entry when one of its Redis connections drops
 * (what is published until it is back is lost to it), and listens again on a new connection when its subscription
 * fails (also when Redis was down at start). What remains: an announcement published while an instance's
 * subscription is being set up again; a member who left can then still send through that instance for at most
 * {@link #TTL}. A read that started before a drop is never cached after it (a generation count, checked under the
 * same lock as the drop). Only memberships found to exist are kept, at most {@value #MAX_ENTRIES}, least recently used
 * first out.
 */
@Component
public class KnownMembers implements SmartLifecycle {
    static final Duration TTL = Duration.ofSeconds(10);
    static final int MAX_ENTRIES = 100_000;
    private static final Logger log = LoggerFactory.getLogger(KnownMembers.class);

    private final ReactiveStringRedisTemplate redis;
    private final PubSubFactory pubSub;
    private final Duration redisTimeout;
    private final long ttlNanos;
    private final LongSupplier nanos;
    /** membership id -> the System.nanoTime() it stops being trusted at; guarded by itself. */
    private final Map<String, Long> expiries = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > MAX_ENTRIES;
        }
    };
    private long generation;
    private volatile Disposable listening;

    @Autowired
    KnownMembers(ReactiveStringRedisTemplate redis, PubSubFactory pubSub, ChatProperties props) {
        this(redis, pubSub, props.redisTimeout(), TTL, System::nanoTime);
    }

    KnownMembers(ReactiveStringRedisTemplate redis, PubSubFactory pubSub, Duration redisTimeout, Duration ttl,
                 LongSupplier nanos) {
        this.redis = redis;
        this.pubSub = pubSub;
        this.redisTimeout = redisTimeout;
        this.ttlNanos = ttl.toNanos();
        this.nanos = nanos;
    }

    /** One instance alone, without Redis (tests): a leave drops the entry here only. */
    public static KnownMembers local(Duration ttl, LongSupplier nanos) {
        return new KnownMembers(null, null, Duration.ZERO, ttl, nanos);
    }

    /** True if {@code conv}/{@code userId} was found to be a membership less than {@link #TTL} ago and not dropped since. */
    boolean contains(String conv, String userId) {
        String id = Membership.idOf(conv, userId);
        synchronized (expiries) {
            Long until = expiries.get(id);
            if (until == null) {
                return false;
            }
            if (nanos.getAsLong() - until >= 0) {
                expiries.remove(id);
                return false;
            }
            return true;
        }
    }

    /** To pass to {@link #remember} with what a read that starts now finds. */
    long generation() {
        synchronized (expiries) {
            return generation;
        }
    }

    /** Keeps a membership that a read begun at {@code readGeneration} found, unless a membership was dropped since. */
    void remember(String conv, String userId, long readGeneration) {
        synchronized (expiries) {
            if (generation == readGeneration) {
                expiries.put(Membership.idOf(conv, userId), nanos.getAsLong() + ttlNanos);
            }
        }
    }

    private void drop(String membershipId) {
        synchronized (expiries) {
            generation++;
            expiries.remove(membershipId);
        }
    }

    /** Forgets every entry (and keeps reads under way out of the cache). */
    void clear() {
        synchronized (expiries) {
            generation++;
            expiries.clear();
        }
    }

    /**
     * A membership ended: dropped here at once, then announced to the other instances. Never fails: an announcement
     * that cannot be published is logged, and the other instances stop trusting their copy within {@link #TTL}.
     */
    Mono<Void> ended(String conv, String userId) {
        String id = Membership.idOf(conv, userId);
        drop(id);
        if (redis == null) {
            return Mono.empty();
        }
        return redis.convertAndSend(RedisNames.MEMBERSHIPS_ENDED, id)
                .timeout(redisTimeout)
                .then()
                .onErrorResume(e -> {
                    log.warn("membership end not announced, other instances trust it for at most {}: conversationId={} userId={} error={}",
                            TTL, conv, userId, e.toString());
                    return Mono.empty();
                });
    }

    /**
     * Listens for the other instances' announcements (each attempt on a new listener container, so nothing of a
     * failed one carries over), and forgets everything when a Redis connection drops. Does not wait for Redis:
     * start-up goes on without it, and listening starts once Redis answers.
     */
    @Override
    public void start() {
        if (pubSub == null) {
            return;
        }
        Flux<String> ended = Flux.usingWhen(
                        Mono.fromSupplier(() -> new ReactiveRedisMessageListenerContainer(pubSub.factory())),
                        container -> container.receive(ChannelTopic.of(RedisNames.MEMBERSHIPS_ENDED))
                                .map(ReactiveSubscription.Message::getMessage),
                        ReactiveRedisMessageListenerContainer::destroyLater)
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(5))
                        .doBeforeRetry(s -> {
                            clear();
                            log.warn("membership listener failed, listening again: attempt={} error={}",
                                    s.totalRetries() + 1, s.failure().toString());
                        }));
        Disposable.Composite running = Disposables.composite(
                ended.subscribe(this::drop, e -> log.error("membership listener stopped: error={}", e.toString())));
        pubSub.factory().getClientConfiguration().getClientResources().ifPresent(resources -> running.add(
                resources.eventBus().get()
                        .filter(event -> event instanceof ConnectionDeactivatedEvent)
                        .subscribe(event -> clear(),
                                e -> log.error("Redis connection event listener stopped: error={}", e.toString()))));
        listening = running;
    }

    @Override
    public void stop() {
        Disposable current = listening;
        if (current != null) {
            current.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        Disposable current = listening;
        return current != null && !current.isDisposed();
    }
}
