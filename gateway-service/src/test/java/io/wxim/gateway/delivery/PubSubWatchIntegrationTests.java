package io.wxim.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wxim.gateway.config.GatewayProperties;
import io.wxim.gateway.config.NodeIdentity;
import io.wxim.gateway.connection.Connection;
import io.wxim.gateway.connection.ConnectionRegistry;
import io.wxim.gateway.connection.TestConnections;
import io.wxim.protocol.CloseCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * {@link PubSubWatch} with the node listener against a real Redis: after {@code CLIENT KILL TYPE pubsub} Lettuce
 * resubscribes on its own, and the watch tells the connections to resync, or, when this node's alive key is gone
 * (Redis lost its data), closes them with 4001.
 */
class PubSubWatchIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private final String node = "gw-t-" + UUID.randomUUID().toString().substring(0, 8);
    private final NodeIdentity identity = new NodeIdentity(node);
    private ClientResources resources;
    private LettuceConnectionFactory factory;
    private FailingContainer container;
    private ReactiveStringRedisTemplate redis;
    private ConnectionRegistry registry;
    private NodeListener listener;
    private PubSubWatch watch;

    @BeforeEach
    void setUp() {
        resources = DefaultClientResources.create();
        factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration(TestInfra.redisHost(), TestInfra.redisPort()),
                LettuceClientConfiguration.builder().clientResources(resources).build());
        factory.afterPropertiesSet();
        factory.start();
        container = new FailingContainer(factory);
        redis = new ReactiveStringRedisTemplate(factory);
        registry = new ConnectionRegistry(onFrame -> new ConversationSubscriptions(container, onFrame, WAIT),
                new SimpleMeterRegistry(), "{\"type\":\"error\",\"code\":\"unavailable\"}");
        // a long probe interval: the alive key is written once, at start, and not refreshed during a test
        startWatch("60s");
    }

    private void startWatch(String probeInterval) {
        GatewayProperties props = new Binder(new MapConfigurationPropertySource(Map.of(
                "im.gateway.pubsub-probe-interval", probeInterval, "im.gateway.ws.drain-window", "500ms")))
                .bindOrCreate("im.gateway", GatewayProperties.class);
        FrameCodec codec = new FrameCodec();
        redis.delete(RedisNames.nodeAliveKey(node)).block(WAIT); // left by an earlier watch: wait for this one's write
        watch = new PubSubWatch(redis, resources, registry, props, identity, codec, new SimpleMeterRegistry());
        // a subscribe timeout shorter than the first wait before subscribing again: it bounds the SUBSCRIBE only
        listener = new NodeListener(container, registry, codec, identity, watch, Duration.ofMillis(900));
        listener.start();
        watch.start();
        // the first probe (at start) writes this node's alive key: this process's boot id
        StepVerifier.create(Flux.interval(Duration.ofMillis(50)).onBackpressureDrop()
                        .concatMap(t -> redis.opsForValue().get(RedisNames.nodeAliveKey(node)))
                        .filter(identity.boot()::equals).next())
                .expectNext(identity.boot()).expectComplete().verify(WAIT);
    }

    @AfterEach
    void tearDown() {
        watch.stop();
        listener.stop();
        container.destroy();
        factory.destroy();
        resources.shutdown();
    }

    @Test
    void tellsEveryConnectionToResync_afterItsPubSubConnectionWasKilledAndResubscribed() {
        Connection a = welcomed("a");
        Connection b = welcomed("b");
        killPubSubConnections();
        StepVerifier.create(TestConnections.outbound(a)).expectNext("{\"type\":\"resync\",\"reason\":\"pubsub\"}")
                .thenCancel().verify(WAIT);
        StepVerifier.create(TestConnections.outbound(b)).expectNext("{\"type\":\"resync\",\"reason\":\"pubsub\"}")
                .thenCancel().verify(WAIT);
        assertThat(watch.receiving()).isTrue();
    }

    @Test
    void closesEveryConnectionWithGoingAway_whenTheAliveKeyIsGone_afterTheConnectionCameBack() {
        Connection a = welcomed("a");
        StepVerifier.create(redis.delete(RedisNames.nodeAliveKey(node))).expectNext(1L).verifyComplete();
        killPubSubConnections();
        StepVerifier.create(TestConnections.closeRequested(a)).expectNext(CloseCode.GOING_AWAY).expectComplete().verify(WAIT);
        StepVerifier.create(redis.hasKey(RedisNames.nodeAliveKey(node))).expectNext(true).expectComplete().verify(WAIT);
    }

    /**
     * The key lapsed while the gateway kept its Redis connection (stalled past the TTL): chat-service may have ended
     * this node's connections as those of a dead gateway, so the next refresh closes them with 4001 (they register
     * again) and writes the key again.
     */
    @Test
    void closesEveryConnectionWithGoingAway_whenARefreshFindsTheAliveKeyLapsed() {
        watch.stop();
        listener.stop();
        startWatch("200ms");
        Connection a = welcomed("a");
        StepVerifier.create(redis.delete(RedisNames.nodeAliveKey(node))).expectNext(1L).verifyComplete();
        StepVerifier.create(TestConnections.closeRequested(a)).expectNext(CloseCode.GOING_AWAY).expectComplete().verify(WAIT);
        StepVerifier.create(redis.opsForValue().get(RedisNames.nodeAliveKey(node))).expectNext(identity.boot())
                .expectComplete().verify(WAIT);
    }

    @Test
    void refreshesTheAliveKeyWithoutClosingAnything_whileItExists() {
        watch.stop();
        listener.stop();
        startWatch("200ms");
        Connection a = welcomed("a");
        StepVerifier.create(TestConnections.closeRequested(a)).expectSubscription()
                .expectNoEvent(Duration.ofSeconds(1)) // five refreshes
                .thenCancel().verify(WAIT);
        StepVerifier.create(redis.getExpire(RedisNames.nodeAliveKey(node))).assertNext(ttl -> assertThat(ttl)
                .isGreaterThan(Duration.ofSeconds(50))).expectComplete().verify(WAIT);
    }

    /**
     * The node channel's stream ends (an error of the listener container, not a dropped connection): readiness goes
     * DOWN, the channel is subscribed again after a second, and what may have been published meanwhile is recovered
     * as after a drop (every connection told to resync); node messages reach connections again.
     */
    @Test
    void subscribesTheNodeChannelAgain_whenItsStreamEnds_andTellsEveryConnectionToResync() {
        Connection a = welcomed("a");
        String channel = RedisNames.nodeChannel(node);
        container.failStream(channel);
        assertThat(listener.listening()).isFalse();
        // a frame for the connection, sent by chat-service over the node channel, arrives through the new stream
        String frame = "{\"type\":\"presence\",\"user\":\"ub\",\"online\":true}";
        StepVerifier.create(TestConnections.outbound(a)).expectNext("{\"type\":\"resync\",\"reason\":\"pubsub\"}")
                .then(() -> {
                    assertThat(listener.listening()).isTrue();
                    assertThat(container.subscribes(channel)).isEqualTo(2);
                    redis.convertAndSend(channel, new FrameCodec().write(NodeMessage.toUser("ua", null, List.of(frame)))).block(WAIT);
                })
                .expectNext(frame)
                .thenCancel().verify(WAIT);
    }

    private Connection welcomed(String id) {
        Connection c = registry.open(node + "." + id, new UserRef("u" + id, null, null), 16, 5);
        TestConnections.markWelcomed(c);
        return c;
    }

    /** {@code CLIENT KILL TYPE pubsub} from a client of its own (kills every pub/sub client of the test Redis). */
    private static void killPubSubConnections() {
        RedisClient client = RedisClient.create(RedisURI.create(TestInfra.redisHost(), TestInfra.redisPort()));
        try (var connection = client.connect()) {
            assertThat(connection.sync().clientKill(KillArgs.Builder.typePubsub())).isPositive();
        } finally {
            client.shutdown();
        }
    }
}
