package io.wxim.gateway.delivery;

import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * This gateway's Redis pub/sub subscriptions to conversation channels, reference-counted by local connections, so
 * Redis sends a conversation's frames only to gateways with a member connected. {@link #acquire} completes once the
 * SUBSCRIBE is confirmed (receive() would race it and could lose the first messages). Delivery guarantee:
 * at-most-once; clients repair gaps with sync. A subscription that ends with an error while connections still hold it
 * (a delivery that threw, the listener container's stream failing) is made again after {@link ResubscribeBackoff#FIRST}
 * (then with a growing delay, at most {@link ResubscribeBackoff#MAX}), and once it is confirmed the conversation's
 * local members get {@code resync}: what was published meanwhile was not received here.
 */
public final class ConversationSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(ConversationSubscriptions.class);

    private static final String RESYNC = new FrameCodec().encode(new ServerFrame.Resync("pubsub"));

    private final ReactiveRedisMessageListenerContainer container;
    private final BiConsumer<String, String> onFrame;
    private final Duration timeout;
    private final Map<String, Entry> entries = new HashMap<>();

    private static final class Entry {
        int refs;
        Mono<Void> ready;
        Disposable subscription;
        /** System.nanoTime() once the SUBSCRIBE was confirmed; valid when {@code confirmed}. */
        volatile long confirmedAt;
        volatile boolean confirmed;
        /** The highest seq of a {@code message} frame received on the channel (ADR-27); -1: a seq could not be read. */
        final AtomicLong highestSeq = new AtomicLong();
        /** The waits before subscribing again after the stream ended. */
        final ResubscribeBackoff backoff = new ResubscribeBackoff();

        /** The wait before subscribing again: reset if the stream that ended had lived long ({@link ResubscribeBackoff}). */
        Duration nextDelay() {
            return backoff.next(confirmed && ResubscribeBackoff.livedLong(confirmedAt));
        }

        void received(long seq) {
            if (seq < 0) {
                highestSeq.set(-1); // a message frame of a format this gateway cannot read: ask Redis from now on
            } else if (seq > 0) {
                highestSeq.accumulateAndGet(seq, (a, b) -> a < 0 ? a : Math.max(a, b));
            }
            // The delivery that follows reads the members (a concurrent map) and a subscription's check registers a
            // member, then reads this seq: a full fence on each side, so one of them sees the other's write.
            VarHandle.fullFence();
        }
    }

    /** Pub/sub dropped since the last proof (PubSubWatch): what was published meanwhile was not received. */
    private volatile boolean distrusted;
    /** System.nanoTime() of the last proof that the subscriptions are in effect (start, or after a drop). */
    private volatile long trustedSince = System.nanoTime();

    /**
     * @param onFrame called with (conversation, encoded frame) for every message on a subscribed channel
     */
    public ConversationSubscriptions(ReactiveRedisMessageListenerContainer container, BiConsumer<String, String> onFrame,
                                     Duration timeout) {
        this.container = container;
        this.onFrame = onFrame;
        this.timeout = timeout;
    }

    /** Adds one reference; completes when the channel is subscribed. */
    public Mono<Void> acquire(String conv) {
        synchronized (entries) {
            Entry entry = entries.computeIfAbsent(conv, c -> subscribe(c));
            entry.refs++;
            return entry.ready;
        }
    }

    /** Drops one reference; the last one unsubscribes. */
    public void release(String conv) {
        synchronized (entries) {
            Entry entry = entries.get(conv);
            if (entry != null && --entry.refs <= 0) {
                entries.remove(conv);
                if (entry.subscription != null) {
                    entry.subscription.dispose();
                }
            }
        }
    }

    /**
     * For each conversation whose channel this gateway has received continuously since before {@code sinceNanos}
     * (subscribed and confirmed before it, no pub/sub drop since), the highest message seq received on it; others are
     * left out (unknown here). A command sent at {@code sinceNanos} was read by chat-service after it, so every
     * message published after that read was received here, or will be, after the connection was registered (ADR-27).
     */
    public Map<String, Long> highestSeqsSince(Collection<String> convs, long sinceNanos) {
        Map<String, Long> known = new HashMap<>();
        VarHandle.fullFence(); // the member was registered before this call: see received()
        if (distrusted || trustedSince - sinceNanos >= 0) {
            return known;
        }
        synchronized (entries) {
            for (String conv : convs) {
                Entry entry = entries.get(conv);
                long seq = entry == null ? -1 : entry.highestSeq.get();
                if (entry != null && entry.confirmed && entry.confirmedAt - sinceNanos < 0 && seq >= 0) {
                    known.put(conv, seq);
                }
            }
        }
        return known;
    }

    /** A Redis connection dropped: what was published until the subscriptions are proven again is not received. */
    public void distrust() {
        distrusted = true;
    }

    /** The subscriptions are proven in effect again (a probe published after the drop came back). */
    public void trustAgain() {
        trustedSince = System.nanoTime();
        distrusted = false;
    }

    /**
     * The seq of an encoded {@code message} frame (chat-service writes {@code type} first, then {@code conv},
     * {@code seq}; quotes inside strings are escaped, so no text can imitate the field); 0 for other frames; -1 for a
     * message frame whose seq cannot be read this way.
     */
    static long seqOf(String frame) {
        if (frame == null || !frame.startsWith("{\"type\":\"message\",")) {
            return 0;
        }
        int at = frame.indexOf("\"seq\":");
        long seq = 0;
        int digits = 0;
        for (int i = at + 6; at >= 0 && i < frame.length() && digits < 18; i++, digits++) {
            char c = frame.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            seq = seq * 10 + (c - '0');
        }
        return at < 0 || digits == 0 || seq <= 0 ? -1 : seq;
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private Entry subscribe(String conv) {
        Entry entry = new Entry();
        entry.ready = listen(conv, entry)
                .doOnError(e -> {
                    log.warn("subscribe failed: conversationId={} error={}", conv, e.toString());
                    synchronized (entries) {
                        entries.remove(conv, entry);
                    }
                })
                .cache();
        return entry;
    }

    /**
     * Subscribes {@code entry}'s channel; completes once the SUBSCRIBE is confirmed and the entry holds it (or at once
     * if the entry was released meanwhile). A stream that ends with an error later is made again ({@link #again}).
     */
    private Mono<Void> listen(String conv, Entry entry) {
        java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        return container.receiveLater(ChannelTopic.of(RedisNames.convChannel(conv)))
                .timeout(timeout)
                .map(flux -> flux.subscribe(
                        message -> {
                            entry.received(seqOf(message.getMessage())); // before the delivery looks up the members
                            try {
                                onFrame.accept(conv, message.getMessage());
                            } catch (RuntimeException e) { // a bug: it must not end the channel for every member here
                                log.error("delivery failed: conversationId={} error={}", conv, e.toString());
                            }
                        },
                        e -> {
                            ended.set(true);
                            Duration delay = entry.nextDelay(); // before confirmed is cleared: it reads the stream's life
                            entry.confirmed = false; // received nothing more: the gateway's record proves nothing
                            log.warn("conversation subscription ended: conversationId={} error={}", conv, e.toString());
                            again(conv, entry, delay);
                        }))
                .doOnNext(disposable -> {
                    synchronized (entries) {
                        if (ended.get()) {
                            disposable.dispose(); // ended at once (the error above scheduled the next attempt)
                        } else if (entries.get(conv) == entry) {
                            if (entry.subscription != null) {
                                entry.subscription.dispose(); // the ended stream's, if any: never two at once
                            }
                            entry.subscription = disposable;
                            entry.confirmedAt = System.nanoTime();
                            entry.confirmed = true;
                        } else {
                            disposable.dispose(); // released while subscribing
                        }
                    }
                })
                .then();
    }

    /**
     * After {@code delay}, subscribes a channel whose stream ended again, if connections still hold it, then (once the
     * new stream is confirmed) tells them to {@code resync}; a failed attempt tries again after the entry's next delay.
     */
    private void again(String conv, Entry entry, Duration delay) {
        Mono.delay(delay)
                .filter(t -> held(conv, entry))
                .flatMap(t -> listen(conv, entry).thenReturn(true))
                .subscribe(ok -> {
                    if (held(conv, entry) && entry.confirmed) {
                        log.info("conversation subscription made again: conversationId={}", conv);
                        try {
                            onFrame.accept(conv, RESYNC);
                        } catch (RuntimeException e) { // a bug, as for any delivery: the new stream stays
                            log.error("resync delivery failed: conversationId={} error={}", conv, e.toString());
                        }
                    }
                }, e -> {
                    log.warn("conversation subscription not made again: conversationId={} error={}", conv, e.toString());
                    again(conv, entry, entry.nextDelay());
                });
    }

    private boolean held(String conv, Entry entry) {
        synchronized (entries) {
            return entries.get(conv) == entry;
        }
    }
}
