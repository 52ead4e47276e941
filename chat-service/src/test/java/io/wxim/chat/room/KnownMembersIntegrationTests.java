package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.redis.PubSubFactory;
import io.wxim.testinfra.TestInfra;
import io.wxim.testinfra.TestMongo;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.DefaultClientResources;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import redis.embedded.RedisServer;

/**
 * chat-service instances on one Redis and one MongoDB, with the pub/sub connections they run with
 * ({@link PubSubFactory}): a member's repeated checks read the database once per instance, a leave through one instance
 * ends the membership on the other at once (not after the cache's lifetime), and an instance started while Redis was
 * down hears announcements once Redis is up.
 */
@Timeout(90)
class KnownMembersIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_known_members_");
    private final String conv = "r:" + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger reads = new AtomicInteger();
    private final RoomRepository repository = new RoomRepository(MONGO.template(), ChatProperties.defaults()) {
        @Override
        public Mono<Boolean> isMember(String conv, String userId) {
            reads.incrementAndGet();
            return super.isMember(conv, userId);
        }

        @Override
        public Mono<Boolean> removeMember(String conv, String userId) {
            Mono<Boolean> removed = super.removeMember(conv, userId);
            return removeAnswerLost.get() ? removed.then(Mono.error(new TimeoutException("lost"))) : removed;
        }
    };
    /** The next deletes happen, but their answer does not arrive (as when the Mongo timeout fires after the write). */
    private final AtomicBoolean removeAnswerLost = new AtomicBoolean();
    /** Closed last-added first after each test, also when it failed half-way. */
    private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();

    private record Instance(KnownMembers known, RoomService rooms) {
    }

    @AfterEach
    void tearDown() throws Exception {
        while (!cleanup.isEmpty()) {
            cleanup.pop().close();
        }
    }

    @Test
    void aMembersChecksReadOnce_andALeaveOnOneInstance_endsItOnTheOther() throws InterruptedException {
        Two two = twoListeningInstances_u1AMember();
        Instance a = two.a();
        Instance b = two.b();

        for (int i = 0; i < 3; i++) {
            assertThat(a.rooms().isMember(conv, "u1").block(WAIT)).isTrue();
            assertThat(b.rooms().isMember(conv, "u1").block(WAIT)).isTrue();
        }
        assertThat(reads).hasValue(2); // once per instance
        assertThat(a.rooms().isMember(conv, "u2").block(WAIT)).isFalse(); // a non-member is never kept
        assertThat(a.rooms().isMember(conv, "u2").block(WAIT)).isFalse();
        assertThat(reads).hasValue(4);

        a.rooms().leave(conv, "u1").block(WAIT);

        assertThat(a.rooms().isMember(conv, "u1").block(WAIT)).isFalse(); // dropped here at once
        await(() -> !b.known().contains(conv, "u1"), "the other instance never dropped the membership");
        assertThat(b.rooms().isMember(conv, "u1").block(WAIT)).isFalse(); // and there, read again
        StepVerifier.create(b.rooms().requireMember(conv, "u1"))
                .expectErrorSatisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.NOT_FOUND))
                .verify(WAIT);
    }

    @Test
    void aLeaveWhoseDeleteAnswerIsLost_stillEndsTheMembershipOnEveryInstance() throws InterruptedException {
        Two two = twoListeningInstances_u1AMember();
        Instance a = two.a();
        Instance b = two.b();
        assertThat(a.rooms().isMember(conv, "u1").block(WAIT)).isTrue();
        assertThat(b.rooms().isMember(conv, "u1").block(WAIT)).isTrue();

        removeAnswerLost.set(true);
        StepVerifier.create(a.rooms().leave(conv, "u1")).expectError(TimeoutException.class).verify(WAIT);

        assertThat(a.known().contains(conv, "u1")).isFalse();
        await(() -> !b.known().contains(conv, "u1"), "the other instance never dropped the membership");
        assertThat(b.rooms().isMember(conv, "u1").block(WAIT)).isFalse();
    }

    @Test
    void anInstanceStartedWhileRedisWasDown_hearsAnnouncements_onceItIsUp() throws IOException, InterruptedException {
        int port = TestInfra.freePort();
        LettuceConnectionFactory commands = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", port),
                LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2)).build());
        commands.afterPropertiesSet();
        commands.start();
        cleanup.push(commands::destroy);
        Instance late = instance(commands); // its first subscription fails: nothing listens on the port yet
        Thread.sleep(500);

        RedisServer redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                .setting("save \"\"").setting("appendonly no").build();
        redis.start();
        cleanup.push(redis::stop);
        awaitListening(commands, late);
    }

    @Test
    void aDroppedRedisConnection_forgetsEveryMembership() throws InterruptedException {
        // the client resources given explicitly, as Spring Boot does: their event bus reports the drop
        DefaultClientResources resources = DefaultClientResources.create();
        cleanup.push(() -> resources.shutdown().get());
        LettuceConnectionFactory commands = new LettuceConnectionFactory(
                new RedisStandaloneConfiguration(TestInfra.redisHost(), TestInfra.redisPort()),
                LettuceClientConfiguration.builder().clientResources(resources).build());
        commands.afterPropertiesSet();
        commands.start();
        cleanup.push(commands::destroy);
        Instance a = instance(commands);
        awaitListening(commands, a);
        repository.addMember(conv, "u1", 1).block(WAIT);
        assertThat(a.rooms().isMember(conv, "u1").block(WAIT)).isTrue();
        assertThat(a.known().contains(conv, "u1")).isTrue();

        // what is published while a connection is down is lost to it: kill the pub/sub connections
        RedisClient client = RedisClient.create(RedisURI.create(TestInfra.redisHost(), TestInfra.redisPort()));
        try (var connection = client.connect()) {
            assertThat(connection.sync().clientKill(KillArgs.Builder.typePubsub())).isPositive();
        } finally {
            client.shutdown();
        }
        await(() -> !a.known().contains(conv, "u1"), "a dropped connection did not clear the memberships");
    }

    private record Two(Instance a, Instance b) {
    }

    /** Two instances on the shared Redis, both listening, and "u1" a member of the test's room. */
    private Two twoListeningInstances_u1AMember() throws InterruptedException {
        LettuceConnectionFactory commands = TestInfra.redisConnectionFactory();
        cleanup.push(commands::destroy);
        Instance a = instance(commands);
        Instance b = instance(commands);
        repository.addMember(conv, "u1", 1).block(WAIT);
        awaitListening(commands, a, b);
        return new Two(a, b);
    }

    private Instance instance(LettuceConnectionFactory commands) {
        PubSubFactory pubSub = PubSubFactory.like(commands);
        cleanup.push(pubSub::destroy);
        KnownMembers known = new KnownMembers(new ReactiveStringRedisTemplate(commands), pubSub, WAIT,
                Duration.ofMinutes(10), System::nanoTime); // far beyond the test: only an announcement can end an entry
        known.start();
        cleanup.push(known::stop);
        return new Instance(known, new RoomService(repository, ChatProperties.defaults(), Clock.systemUTC(), known));
    }

    /** The instances listen once an announcement for another membership, sent again until it does, reaches them all. */
    private static void awaitListening(LettuceConnectionFactory commands, Instance... instances) throws InterruptedException {
        KnownMembers announcer = new KnownMembers(new ReactiveStringRedisTemplate(commands), null, WAIT,
                Duration.ofMinutes(1), System::nanoTime);
        await(() -> {
            for (Instance i : instances) {
                i.known().remember("r:probe", "p", i.known().generation());
            }
            announcer.ended("r:probe", "p").block(WAIT);
            sleep(50);
            for (Instance i : instances) {
                if (i.known().contains("r:probe", "p")) {
                    return false;
                }
            }
            return true;
        }, "the instances never received an announcement");
    }

    private static void await(BooleanSupplier condition, String failure) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(failure);
            }
            Thread.sleep(20);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
