package io.wxim.gateway.delivery;

import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
 * at-most-once; clients repair gaps with sync.
 */
public final class ConversationSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(ConversationSubscriptions.class);

    private final ReactiveRedisMessageListenerContainer container;
    private final BiConsumer<String, String> onFrame;
    private final Duration timeout;
    private final Map<String, Entry> entries = new HashMap<>();

    private static final class Entry {
        int refs;
        Mono<Void> ready;
        Disposable subscription;
    }

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

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    private Entry subscribe(String conv) {
        Entry entry = new Entry();
        Mono<Void> ready = container.receiveLater(ChannelTopic.of(RedisNames.convChannel(conv)))
                .timeout(timeout)
                .map(flux -> flux.subscribe(
                        message -> onFrame.accept(conv, message.getMessage()),
                        e -> log.warn("conversation subscription ended: conversationId={} error={}", conv, e.toString())))
                .doOnNext(disposable -> {
                    synchronized (entries) {
                        if (entries.get(conv) == entry) {
                            entry.subscription = disposable;
                        } else {
                            disposable.dispose(); // released while subscribing
                        }
                    }
                })
                .then()
                .doOnError(e -> {
                    log.warn("subscribe failed: conversationId={} error={}", conv, e.toString());
                    synchronized (entries) {
                        entries.remove(conv, entry);
                    }
                })
                .cache();
        entry.ready = ready;
        return entry;
    }
}
