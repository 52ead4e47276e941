package io.wxim.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.Disposable;

/**
 * A connection to the shared Redis and a pub/sub listener container on it, for tests without Spring:
 * {@code @RegisterExtension final TestRedis testRedis = new TestRedis();} (an instance field, so one per test), then
 * {@code testRedis.template()}, {@code testRedis.listen(channel)} and {@code TestRedis.next(queue)}. After each test
 * the subscriptions end and the container and the connection close.
 */
public final class TestRedis implements AfterEachCallback {
    /** How long subscribing to a channel and awaiting a message on it may take. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final LettuceConnectionFactory factory = TestInfra.redisConnectionFactory();
    private final ReactiveStringRedisTemplate template = new ReactiveStringRedisTemplate(factory);
    private final ReactiveRedisMessageListenerContainer container = new ReactiveRedisMessageListenerContainer(factory);
    private final List<Disposable> listening = new ArrayList<>();

    public ReactiveStringRedisTemplate template() {
        return template;
    }

    /** Redis's clock now ({@code TIME}, milliseconds): what its scripts' {@code TIME} and stream entry ids read. */
    public long redisMillis() {
        return template.execute(connection -> connection.serverCommands().time(TimeUnit.MILLISECONDS)).next().block(WAIT);
    }

    /** What is published on {@code channel} from now on: subscribed before this returns. */
    public LinkedBlockingQueue<String> listen(String channel) {
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        listen(channel, received::add);
        return received;
    }

    /**
     * Hands each message published on {@code channel} from now on to {@code onMessage}: subscribed before this returns.
     */
    public void listen(String channel, Consumer<String> onMessage) {
        listening.add(container.receiveLater(ChannelTopic.of(channel)).block(WAIT)
                .subscribe(message -> onMessage.accept(message.getMessage())));
    }

    /** The next message in {@code queue}, failing the test if none comes within ten seconds. */
    public static String next(LinkedBlockingQueue<String> queue) throws InterruptedException {
        String message = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(message).as("a message on the channel").isNotNull();
        return message;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        listening.forEach(Disposable::dispose);
        container.destroy();
        factory.destroy();
    }
}
