package io.wxim.gateway.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.data.redis.connection.ReactiveSubscription;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** A real listener container whose streams can be made to end with an error on demand. */
final class FailingContainer extends ReactiveRedisMessageListenerContainer {
    /** Streams asked for, of any channel. */
    final AtomicInteger subscribes = new AtomicInteger();
    private final AtomicReference<Sinks.Many<ReactiveSubscription.Message<String, String>>> latest = new AtomicReference<>();
    private final Map<String, Sinks.Many<ReactiveSubscription.Message<String, String>>> byChannel = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> subscribesByChannel = new ConcurrentHashMap<>();

    FailingContainer(LettuceConnectionFactory factory) {
        super(factory);
    }

    @Override
    public Mono<Flux<ReactiveSubscription.Message<String, String>>> receiveLater(ChannelTopic... topics) {
        subscribes.incrementAndGet();
        Sinks.Many<ReactiveSubscription.Message<String, String>> sink = Sinks.many().multicast().directBestEffort();
        latest.set(sink);
        for (ChannelTopic topic : topics) {
            byChannel.put(topic.getTopic(), sink);
            subscribesByChannel.computeIfAbsent(topic.getTopic(), t -> new AtomicInteger()).incrementAndGet();
        }
        return super.receiveLater(topics).map(flux -> flux.mergeWith(sink.asFlux()));
    }

    /** Ends the latest stream asked for with an error. */
    void failStream() {
        latest.get().tryEmitError(new IllegalStateException("the stream failed"));
    }

    /** Ends the latest stream of {@code channel} with an error. */
    void failStream(String channel) {
        byChannel.get(channel).tryEmitError(new IllegalStateException("the stream failed"));
    }

    /** Streams asked for of {@code channel}. */
    int subscribes(String channel) {
        AtomicInteger count = subscribesByChannel.get(channel);
        return count == null ? 0 : count.get();
    }
}
