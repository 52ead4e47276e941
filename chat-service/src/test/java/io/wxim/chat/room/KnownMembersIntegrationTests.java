package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.testinfra.TestInfra;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Two chat-service instances on one Redis and one MongoDB: a member's repeated checks read the database once, and a
 * leave through one instance ends the membership on the other at once (over pub/sub), not after the cache's lifetime.
 */
@Timeout(60)
class KnownMembersIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_known_members_");
    private final String conv = "r:" + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger reads = new AtomicInteger();
    private LettuceConnectionFactory factory;
    private Instance a;
    private Instance b;

    private record Instance(KnownMembers known, RoomService rooms, ReactiveRedisMessageListenerContainer container) {
    }

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        RoomRepository repository = new RoomRepository(MONGO.template(), ChatProperties.defaults()) {
            @Override
            public Mono<Boolean> isMember(String conv, String userId) {
                reads.incrementAndGet();
                return super.isMember(conv, userId);
            }
        };
        a = instance(repository);
        b = instance(repository);
    }

    private Instance instance(RoomRepository repository) {
        ReactiveRedisMessageListenerContainer container = new ReactiveRedisMessageListenerContainer(factory);
        KnownMembers known = new KnownMembers(new ReactiveStringRedisTemplate(factory), container, WAIT,
                Duration.ofMinutes(10), System::nanoTime); // far beyond the test: only the announcement can end it
        known.start();
        return new Instance(known, new RoomService(repository, ChatProperties.defaults(), Clock.systemUTC(), known),
                container);
    }

    @AfterEach
    void tearDown() {
        for (Instance i : new Instance[] {a, b}) {
            i.known().stop();
            i.container().destroy();
        }
        factory.destroy();
    }

    @Test
    void aMembersChecksReadOnce_andALeaveOnOneInstance_endsItOnTheOther() throws InterruptedException {
        new RoomRepository(MONGO.template(), ChatProperties.defaults()).addMember(conv, "u1", 1).block(WAIT);
        awaitListening();

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
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (b.known().contains(conv, "u1") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(b.rooms().isMember(conv, "u1").block(WAIT)).isFalse(); // and there, read again
        StepVerifier.create(b.rooms().requireMember(conv, "u1"))
                .expectErrorSatisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.NOT_FOUND))
                .verify(WAIT);
    }

    /** Both instances' subscriptions are in effect once an announcement for another membership reaches both. */
    private void awaitListening() throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            a.known().remember("r:probe", "p", a.known().generation());
            b.known().remember("r:probe", "p", b.known().generation());
            new KnownMembers(new ReactiveStringRedisTemplate(factory), null, WAIT, Duration.ofMinutes(1), System::nanoTime)
                    .ended("r:probe", "p").block(WAIT);
            Thread.sleep(50);
            if (!a.known().contains("r:probe", "p") && !b.known().contains("r:probe", "p")) {
                return;
            }
        }
        throw new AssertionError("the instances never received an announcement");
    }
}
