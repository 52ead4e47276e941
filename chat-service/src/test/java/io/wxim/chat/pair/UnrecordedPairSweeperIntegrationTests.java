package io.wxim.chat.pair;

import static io.wxim.chat.pair.TestPairs.connect;
import static io.wxim.chat.pair.TestPairs.userFrame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.direct.PeersRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ProtocolException;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * A pair session whose accept started it in Redis but failed before recording it in MongoDB (and was not retried):
 * the accepter was answered unavailable, and the waiting requester used to learn of the session only at its next
 * connect or conversation list. {@link UnrecordedPairSweeper} records and announces it once its accept's time is up.
 */
@Timeout(60)
class UnrecordedPairSweeperIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_pair_unrecorded_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(redis, codec, props);
    private final PairRepository pairs = new PairRepository(redis, props);
    private final ProfileService profiles = new ProfileService(MONGO.template(), redis, props, Clock.systemUTC());
    private final RoomRepository rooms = new RoomRepository(MONGO.template(), props);
    private final DirectService directs = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
            Clock.systemUTC());
    private final DirectService mongoDown = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
            Clock.systemUTC()) {
        @Override
        public Mono<Void> recordMembers(String conv, String first, String second, long now) {
            return Mono.error(new IllegalStateException("MongoDB write failed"));
        }
    };

    private final UserRef alice = new UserRef("ua" + run, "Alice", null);
    private final UserRef bob = new UserRef("ub" + run, "Bob", null);
    private final String conv = "p:ab" + run;
    private final ClientFrame.PairAccept acceptFrame = new ClientFrame.PairAccept("pa", alice.id());
    /** When the accept ran (this machine's clock: the accept's own). */
    private long acceptedAt;

    /**
     * The accept fails at its MongoDB write; a sweep before its time does nothing; the sweep after it records the
     * session and tells both users pairStarted, once: a later sweep tells nothing more.
     */
    @Test
    void anAcceptWhoseMongoWriteFailed_isRecordedAndAnnouncedToBoth_onceItsTimeIsUp() throws Exception {
        LinkedBlockingQueue<String> atAlice = connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run);
        LinkedBlockingQueue<String> atBob = connect(testRedis, bob.id(), "c-b" + run, "gw-b" + run);
        acceptFailing();
        long due = entry().longValue();
        assertThat(due - acceptedAt).as("past the accept's deadline").isBetween(10_000L, 11_000L);

        sweeper(directs, due - 1_000).sweepOnce().block(WAIT); // the accept may still be running
        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("not before its time").isNull();
        sweeper(directs, due).sweepOnce().block(WAIT);

        assertThat(userFrame(codec, atAlice, alice.id())).isEqualTo(new ServerFrame.PairStarted(null, conv, bob));
        assertThat(userFrame(codec, atBob, bob.id())).isEqualTo(new ServerFrame.PairStarted(null, conv, alice));
        assertThat(rooms.isMember(conv, alice.id()).block(WAIT)).isTrue();
        assertThat(rooms.isMember(conv, bob.id()).block(WAIT)).isTrue();
        sweeper(directs, due + 60_000).sweepOnce().block(WAIT);
        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
        assertThat(atBob.poll(100, TimeUnit.MILLISECONDS)).as("once").isNull();
        assertThat(entry()).as("off the list").isNull();
    }

    /** An accept that records and tells takes its session off the list: no sweep tells it again. */
    @Test
    void anAcceptThatSucceeded_isNotAnnouncedAgain() throws Exception {
        LinkedBlockingQueue<String> atAlice = connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run);
        requestAndProfiles();
        acceptedAt = System.currentTimeMillis();
        commands(directs).accept(command(), acceptFrame).block(WAIT);
        assertThat(userFrame(codec, atAlice, alice.id())).isEqualTo(new ServerFrame.PairStarted(null, conv, bob));

        sweeper(directs, acceptedAt + 60_000).sweepOnce().block(WAIT);

        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
        assertThat(entry()).isNull();
    }

    /** Two instances sweeping at once: one claims the session, both users are told once. */
    @Test
    void twoSweepsAtOnce_announceOnce() throws Exception {
        LinkedBlockingQueue<String> atAlice = connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run);
        acceptFailing();
        long due = entry().longValue();

        Mono.when(sweeper(directs, due).sweepOnce(), sweeper(directs, due).sweepOnce()).block(WAIT);

        assertThat(userFrame(codec, atAlice, alice.id())).isEqualTo(new ServerFrame.PairStarted(null, conv, bob));
        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
    }

    /** A sweep that fails (MongoDB still down) leaves the session due again after the retry delay, not before. */
    @Test
    void aSweepThatFails_triesAgainAfterTheRetryDelay() throws Exception {
        LinkedBlockingQueue<String> atAlice = connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run);
        acceptFailing();
        long first = entry().longValue();

        sweeper(mongoDown, first).sweepOnce().block(WAIT);
        sweeper(directs, first + UnrecordedPairSweeper.RETRY.toMillis() - 1_000).sweepOnce().block(WAIT);
        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("claimed by the failed sweep until then").isNull();
        sweeper(directs, first + UnrecordedPairSweeper.RETRY.toMillis() + 1).sweepOnce().block(WAIT);

        assertThat(userFrame(codec, atAlice, alice.id())).isEqualTo(new ServerFrame.PairStarted(null, conv, bob));
        assertThat(rooms.isMember(conv, bob.id()).block(WAIT)).isTrue();
    }

    /** A session that ended before its sweep (the requester left it) is dropped from the list, not announced. */
    @Test
    void aSessionEndedBeforeItsSweep_isDropped_notAnnounced() throws Exception {
        LinkedBlockingQueue<String> atAlice = connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run);
        acceptFailing();
        long due = entry().longValue();
        assertThat(pairs.leave(alice.id(), conv, acceptedAt).block(WAIT)).isEqualTo(bob.id());

        sweeper(directs, due).sweepOnce().block(WAIT);

        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("nothing told").isNull();
        assertThat(entry()).isNull();
    }

    /**
     * A session that ends while the sweep records it (here: the requester leaves during the MongoDB write; the peer
     * is told pairEnded by that leave) is not announced as started after that: the sweep's announcement and its
     * removal from the list are one step that checks the session is still active for both.
     */
    @Test
    void aSessionEndedWhileTheSweepRecordsIt_isNotAnnouncedAsStarted() throws Exception {
        LinkedBlockingQueue<String> atAlice = connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run);
        LinkedBlockingQueue<String> atBob = connect(testRedis, bob.id(), "c-b" + run, "gw-b" + run);
        acceptFailing();
        long due = entry().longValue();
        DirectService endedMeanwhile = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
                Clock.systemUTC()) {
            @Override
            public Mono<Void> recordMembers(String conv, String first, String second, long now) {
                return directs.recordMembers(conv, first, second, now).then(pairs.leave(alice.id(), conv, now)).then();
            }
        };

        sweeper(endedMeanwhile, due).sweepOnce().block(WAIT);

        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("no pairStarted").isNull();
        assertThat(atBob.poll(100, TimeUnit.MILLISECONDS)).as("no pairStarted").isNull();
        assertThat(entry()).as("off the list").isNull();
    }

    /**
     * An accept whose session ends while it records it (the requester leaves during the write; the leave tells the
     * peer pairEnded) does not announce it as started after that: it answers not_found, tells no one, and leaves
     * nothing for the sweep.
     */
    @Test
    void anAcceptWhoseSessionEndsWhileItRecordsIt_answersNotFound_andAnnouncesNothing() throws Exception {
        LinkedBlockingQueue<String> atAlice = connect(testRedis, alice.id(), "c-a" + run, "gw-a" + run);
        LinkedBlockingQueue<String> atBob = connect(testRedis, bob.id(), "c-b2" + run, "gw-b" + run); // bob's other connection
        requestAndProfiles();
        DirectService endedMeanwhile = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
                Clock.systemUTC()) {
            @Override
            public Mono<Void> recordMembers(String conv, String first, String second, long now) {
                return directs.recordMembers(conv, first, second, now).then(pairs.leave(alice.id(), conv, now)).then();
            }
        };

        Throwable answer = catchThrowable(() -> commands(endedMeanwhile).accept(command(), acceptFrame).block(WAIT));

        assertThat(answer).isInstanceOf(ProtocolException.class).hasMessageContaining("already ended");
        assertThat(((ProtocolException) answer).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(atAlice.poll(300, TimeUnit.MILLISECONDS)).as("no pairStarted").isNull();
        assertThat(atBob.poll(100, TimeUnit.MILLISECONDS)).as("no pairStarted").isNull();
        assertThat(entry()).as("nothing for the sweep").isNull();
    }

    /** Alice's request to bob, then bob's accept failing at its MongoDB write (answered unavailable). */
    private void acceptFailing() {
        requestAndProfiles();
        acceptedAt = System.currentTimeMillis();
        assertThat(catchThrowable(() -> commands(mongoDown).accept(command(), acceptFrame).block(WAIT)))
                .hasMessageContaining("MongoDB write failed");
        assertThat(pairs.sessionOf(bob.id()).block(WAIT)).as("the step ran").isEqualTo(conv);
    }

    private void requestAndProfiles() {
        profiles.record(alice, Map.of()).block(WAIT);
        profiles.record(bob, Map.of()).block(WAIT);
        long now = System.currentTimeMillis();
        assertThat(pairs.request(alice.id(), bob.id(), now + 60_000, conv, 10, 50, now).block(WAIT).status()).isEqualTo("created");
    }

    private Double entry() {
        return redis.opsForZSet().score(RedisNames.PAIR_UNRECORDED, conv).block(WAIT);
    }

    private UnrecordedPairSweeper sweeper(DirectService directService, long at) {
        return new UnrecordedPairSweeper(pairs, directService, profiles, deliveries, props,
                Clock.fixed(Instant.ofEpochMilli(at), ZoneOffset.UTC));
    }

    private Command command() {
        return new Command(Command.Event.FRAME, "gw-b" + run, "c-b" + run, 1, bob, acceptFrame);
    }

    private PairCommands commands(DirectService directService) {
        return new PairCommands(pairs, profiles, directService, deliveries, props, Clock.systemUTC());
    }
}
