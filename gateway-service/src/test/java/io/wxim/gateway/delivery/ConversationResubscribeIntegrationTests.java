package io.wxim.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.RedisNames;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/**
 * A conversation channel's stream that ends with an error while local connections hold it (real Redis; the listener
 * container's stream is made to fail on demand) is subscribed again and the members told to {@code resync}; a
 * delivery that throws does not end the channel.
 */
@Timeout(60)
class ConversationResubscribeIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String conv = "r:resub-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> delivered = new CopyOnWriteArrayList<>();
    private LettuceConnectionFactory factory;
    private FailingContainer container;
    private ReactiveStringRedisTemplate redis;

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        container = new FailingContainer(factory);
        redis = new ReactiveStringRedisTemplate(factory);
    }

    @AfterEach
    void tearDown() {
        container.destroy();
        factory.destroy();
    }

    /** Waits (at most {@link #WAIT}) until {@code condition} holds; fails otherwise. */
    private static void until(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited %s", WAIT).isNegative();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private void publish(String frame) {
        redis.convertAndSend(RedisNames.convChannel(conv), frame).block(WAIT);
    }

    @Test
    void aStreamThatFails_isSubscribedAgain_andItsMembersToldToResync() {
        ConversationSubscriptions subscriptions = new ConversationSubscriptions(container,
                (c, frame) -> delivered.add(frame), WAIT);
        subscriptions.acquire(conv).block(WAIT);
        publish("one");
        until(() -> delivered.contains("one"));

        container.failStream();
        until(() -> delivered.contains(RESYNC));
        publish("two");
        until(() -> delivered.contains("two"));
        assertThat(container.subscribes).hasValue(2);
    }

    @Test
    void aStreamThatFailsAfterItsLastHolderLeft_isNotSubscribedAgain() throws InterruptedException {
        ConversationSubscriptions subscriptions = new ConversationSubscriptions(container,
                (c, frame) -> delivered.add(frame), WAIT);
        subscriptions.acquire(conv).block(WAIT);
        container.failStream();
        subscriptions.release(conv); // within the delay before the new attempt

        Thread.sleep(ResubscribeBackoff.FIRST.toMillis() + 1000);
        assertThat(container.subscribes).hasValue(1);
        assertThat(delivered).isEmpty();
        assertThat(subscriptions.size()).isZero();
    }

    @Test
    void aDeliveryThatThrows_doesNotEndTheChannel() {
        ConversationSubscriptions subscriptions = new ConversationSubscriptions(container, (c, frame) -> {
            if (frame.equals("boom")) {
                throw new IllegalStateException("a bug in the delivery");
            }
            delivered.add(frame);
        }, WAIT);
        subscriptions.acquire(conv).block(WAIT);
        publish("boom");
        publish("after");
        until(() -> delivered.contains("after"));
        assertThat(container.subscribes).hasValue(1); // the same stream carried it
    }

    private static final String RESYNC = "{\"type\":\"resync\",\"reason\":\"pubsub\"}";

    @Test
    void aStreamThatEndsAgainSoonAfterItsStart_waitsLongerBeforeTheNextAttempt() {
        ConversationSubscriptions subscriptions = new ConversationSubscriptions(container,
                (c, frame) -> delivered.add(frame), WAIT);
        subscriptions.acquire(conv).block(WAIT);
        container.failStream();
        until(() -> delivered.contains(RESYNC));
        long start = System.nanoTime();
        container.failStream(); // right after the new start: the next attempt waits twice as long
        until(() -> delivered.stream().filter(RESYNC::equals).count() == 2);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(container.subscribes).hasValue(3);
    }

    @Test
    void aResyncDeliveryThatThrows_leavesOneStream_notTwo() {
        ConversationSubscriptions subscriptions = new ConversationSubscriptions(container, (c, frame) -> {
            if (frame.equals(RESYNC)) {
                delivered.add(frame);
                throw new IllegalStateException("a bug in the delivery");
            }
            delivered.add(frame);
        }, WAIT);
        subscriptions.acquire(conv).block(WAIT);
        container.failStream();
        until(() -> delivered.contains(RESYNC));
        publish("two");
        until(() -> delivered.contains("two"));
        try {
            Thread.sleep(ResubscribeBackoff.FIRST.toMillis() + 1000); // a second stream would start
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        publish("three");
        until(() -> delivered.contains("three"));
        assertThat(delivered.stream().filter("three"::equals).count()).isEqualTo(1);
        assertThat(container.subscribes).hasValue(2);
    }
}
