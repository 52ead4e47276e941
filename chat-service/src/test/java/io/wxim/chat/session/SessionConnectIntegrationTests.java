package io.wxim.chat.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.direct.PeersRepository;
import io.wxim.chat.pair.PairRepository;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.Membership;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

/**
 * A CONNECT against a real Redis and MongoDB: what it registers before it reads the user's memberships. A conversation
 * created between that read and the registration (a first direct message) reached neither the welcome (read before
 * it existed) nor the connection (its delivery found no connection of the user): the user learnt of it only with its
 * next message.
 */
@Timeout(60)
class SessionConnectIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_sessions_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(redis, codec, props);
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    private final ProfileService profiles = new ProfileService(MONGO.template(), redis, props, Clock.systemUTC());

    @Test
    void aConversationCreatedWhileTheMembershipsAreReadReachesTheConnection() throws Exception {
        UserRef alice = new UserRef("ua" + run, "Alice", null);
        UserRef bob = new UserRef("ub" + run, "Bob", null);
        String node = "gw-" + run;
        String conv = DirectService.conversationOf(alice.id(), bob.id());
        String marker = "first-" + run;
        DirectService[] directs = new DirectService[1];
        // The memberships read returns what it found, and only then (before chat goes on to register presence, in
        // the order before the change) alice's first message to bob is recorded and delivered to bob's connections.
        RoomRepository rooms = new RoomRepository(MONGO.template(), props) {
            @Override
            public Flux<Membership> membershipsOf(String userId, int limit) {
                return super.membershipsOf(userId, limit).collectList()
                        .flatMapMany(found -> directs[0].recordMembers(conv, bob.id(), alice.id(), System.currentTimeMillis())
                                .then(deliveries.toUser(bob.id(), new ServerFrame.Message(conv, 1, "m" + run, alice, "c1",
                                        "text", marker, System.currentTimeMillis())))
                                .thenMany(Flux.fromIterable(found)));
            }
        };
        directs[0] = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles, Clock.systemUTC());
        SessionService sessions = sessions(rooms, directs[0]);
        LinkedBlockingQueue<String> atNode = testRedis.listen(RedisNames.nodeChannel(node));

        NodeMessage reply = sessions.connect(new Command(Command.Event.CONNECT, node, "c-" + run, 1, bob, null)).block(WAIT);

        ServerFrame.Welcome welcome = (ServerFrame.Welcome) codec.decodeServer(reply.frames().get(0));
        assertThat(welcome.conversations()).extracting(ServerFrame.ConversationInfo::conv).doesNotContain(conv); // read before
        String delivered = atNode.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(delivered).as("alice's first message at bob's node").isNotNull().contains(marker);
    }

    /**
     * A leave on another device of the user between a CONNECT's memberships read (which still lists the room) and its
     * registration: the connect reads them again, so the new connection is neither welcomed into the room nor
     * subscribed to it, and the user is not put back in its online set. It used to undo the leave for that connection
     * (a ghost in the online count, the room's messages pushed to it) until it reconnected.
     */
    @Test
    void aRoomLeftOnAnotherDeviceWhileTheMembershipsAreReadStaysLeft() {
        UserRef dan = new UserRef("ud" + run, "Dan", null);
        String node = "gw-" + run;
        String roomId = "left" + run;
        String room = io.wxim.protocol.Conversations.room(roomId);
        RoomRepository plain = new RoomRepository(MONGO.template(), props);
        plain.insertRoom(new io.wxim.chat.room.Room(roomId, "Left behind", dan.id(), 1L)).block(WAIT);
        plain.addMember(room, dan.id(), 1L).block(WAIT);
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong leave = new java.util.concurrent.atomic.AtomicLong();
        // the first read finds the room; before chat registers the connection, dan leaves it on his first device
        RoomRepository rooms = new RoomRepository(MONGO.template(), props) {
            @Override
            public Flux<Membership> membershipsOf(String userId, int limit) {
                return super.membershipsOf(userId, limit).collectList().flatMapMany(found -> reads.incrementAndGet() != 2
                        ? Flux.fromIterable(found)
                        : plain.removeMember(room, dan.id()).then(presence.leave(room, dan.id(), false))
                                .doOnNext(left -> leave.set(left.leaves()))
                                .thenMany(Flux.fromIterable(found)));
            }
        };
        SessionService sessions = sessions(rooms, new DirectService(new PeersRepository(MONGO.template(), props), rooms,
                profiles, Clock.systemUTC()));
        sessions.connect(new Command(Command.Event.CONNECT, node, "c1-" + run, 1, dan, null)).block(WAIT);
        assertThat(presence.onlineCount(room).block(WAIT)).isEqualTo(1L);

        NodeMessage reply = sessions.connect(new Command(Command.Event.CONNECT, node, "c2-" + run, 1, dan, null)).block(WAIT);

        ServerFrame.Welcome welcome = (ServerFrame.Welcome) codec.decodeServer(reply.frames().get(0));
        assertThat(welcome.conversations()).extracting(ServerFrame.ConversationInfo::conv)
                .containsExactly(io.wxim.protocol.Conversations.LOBBY);
        assertThat(reply.convs()).containsExactly(io.wxim.protocol.Conversations.LOBBY);
        assertThat(reply.leaves()).as("the welcome states the last leave read before its memberships").isEqualTo(leave.get());
        assertThat(presence.onlineCount(room).block(WAIT)).as("dan is not back in the room's online set").isZero();
        assertThat(reads.get()).as("memberships read again after the leave").isEqualTo(3);
        assertThat(presence.status(dan.id()).block(WAIT).online()).isTrue();
        assertThat(redis.opsForHash().hasKey(RedisNames.connections(dan.id()), "c2-" + run).block(WAIT)).isTrue();
    }

    /**
     * A leave on another device during each of a CONNECT's three memberships reads: the third read is registered all
     * the same, but without the room left after it: not in the welcome, not subscribed, and the user not in its online
     * set.
     */
    @Test
    void aRoomLeftDuringTheLastMembershipsReadIsLeftOutOfTheForcedRegistration() {
        UserRef eve = new UserRef("uv" + run, "Eve", null);
        String node = "gw-" + run;
        RoomRepository plain = new RoomRepository(MONGO.template(), props);
        List<String> left = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String roomId = "thrice" + i + run;
            plain.insertRoom(new io.wxim.chat.room.Room(roomId, "Left " + i, eve.id(), 1L)).block(WAIT);
            plain.addMember(io.wxim.protocol.Conversations.room(roomId), eve.id(), 1L).block(WAIT);
        }
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        // every read of the second connect finds its rooms, then eve leaves the first of them on her first device
        RoomRepository rooms = new RoomRepository(MONGO.template(), props) {
            @Override
            public Flux<Membership> membershipsOf(String userId, int limit) {
                return super.membershipsOf(userId, limit).collectList().flatMapMany(found -> {
                    if (reads.incrementAndGet() == 1) {
                        return Flux.fromIterable(found);
                    }
                    String room = found.stream().map(Membership::conv).filter(io.wxim.protocol.Conversations::isRoom)
                            .filter(c -> !io.wxim.protocol.Conversations.LOBBY.equals(c)).sorted().findFirst().orElseThrow();
                    left.add(room);
                    return plain.removeMember(room, eve.id()).then(presence.leave(room, eve.id(), false))
                            .thenMany(Flux.fromIterable(found));
                });
            }
        };
        SessionService sessions = sessions(rooms, new DirectService(new PeersRepository(MONGO.template(), props), rooms,
                profiles, Clock.systemUTC()));
        sessions.connect(new Command(Command.Event.CONNECT, node, "v1-" + run, 1, eve, null)).block(WAIT);

        NodeMessage reply = sessions.connect(new Command(Command.Event.CONNECT, node, "v2-" + run, 1, eve, null)).block(WAIT);

        assertThat(reads.get()).as("the first connect's read, then three").isEqualTo(4);
        assertThat(left).hasSize(3);
        ServerFrame.Welcome welcome = (ServerFrame.Welcome) codec.decodeServer(reply.frames().get(0));
        assertThat(welcome.conversations()).extracting(ServerFrame.ConversationInfo::conv)
                .containsExactly(io.wxim.protocol.Conversations.LOBBY);
        assertThat(reply.convs()).containsExactly(io.wxim.protocol.Conversations.LOBBY);
        for (String room : left) {
            assertThat(presence.onlineCount(room).block(WAIT)).as("eve is not in %s's online set", room).isZero();
        }
        assertThat(redis.opsForSet().isMember(RedisNames.onlineIn(eve.id()), left.get(2)).block(WAIT)).isFalse();
        assertThat(redis.opsForHash().hasKey(RedisNames.connections(eve.id()), "v2-" + run).block(WAIT)).isTrue();
    }

    /**
     * A DISCONNECT while MongoDB does not answer: the connection is removed and the user leaves the online sets all the
     * same (they are known in Redis). It used to fail, be retried and then dropped, leaving the user online for good.
     */
    @Test
    void aDisconnectWithoutMongoStillTakesTheUserOffline() {
        UserRef carol = new UserRef("uc" + run, "Carol", null);
        String node = "gw-" + run;
        String room = "r:room" + run;
        RoomRepository unreachable = new RoomRepository(MONGO.template(), props) {
            @Override
            public Flux<String> roomsOf(String userId) {
                return Flux.error(new org.springframework.dao.DataAccessResourceFailureException("MongoDB timed out"));
            }
        };
        DirectService directs = new DirectService(new PeersRepository(MONGO.template(), props), unreachable, profiles, Clock.systemUTC());
        SessionService sessions = sessions(unreachable, directs);
        sessions.connect(new Command(Command.Event.CONNECT, node, "c-" + run, 1, carol, null)).block(WAIT);
        presence.markCreatorOnline(room, carol.id()).block(WAIT); // a room joined on this connection
        assertThat(presence.status(carol.id()).block(WAIT).online()).isTrue();
        assertThat(redis.opsForSet().isMember(RedisNames.online(io.wxim.protocol.Conversations.LOBBY), carol.id()).block(WAIT)).isTrue();

        sessions.disconnect(new Command(Command.Event.DISCONNECT, node, "c-" + run, 0, carol, null)).block(WAIT);

        assertThat(presence.status(carol.id()).block(WAIT).online()).isFalse();
        assertThat(presence.onlineCount(room).block(WAIT)).isZero();
        assertThat(redis.opsForSet().isMember(RedisNames.online(io.wxim.protocol.Conversations.LOBBY), carol.id()).block(WAIT)).isFalse();
    }

    /**
     * A pair session that started in Redis but whose MongoDB record failed (the accept answered {@code unavailable}):
     * a connect of either user records it and welcomes it as active. Neither user saw it after a reload before.
     */
    @Test
    void aPairSessionItsAcceptLeftUnrecorded_isRecordedAtConnect_andWelcomedAsActive() {
        UserRef carol = new UserRef("uc" + run, "Carol", null);
        UserRef dan = new UserRef("ud" + run, "Dan", null);
        String conv = Conversations.PAIR_PREFIX + ("pq" + run + "000000").substring(0, 16);
        PairRepository pairs = new PairRepository(redis, props);
        long now = System.currentTimeMillis();
        pairs.request(carol.id(), dan.id(), now + 60_000, conv, 5, 20, now).block(WAIT);
        assertThat(pairs.accept(dan.id(), carol.id(), now, now + 30_000).block(WAIT).status()).isEqualTo("started");
        RoomRepository rooms = new RoomRepository(MONGO.template(), props);
        DirectService directs = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles, Clock.systemUTC());
        assertThat(rooms.conversationsOf(carol.id()).collectList().block(WAIT)).doesNotContain(conv);

        NodeMessage reply = sessions(rooms, directs)
                .connect(new Command(Command.Event.CONNECT, "gw-" + run, "c-" + run, 1, dan, null)).block(WAIT);

        ServerFrame.Welcome welcome = (ServerFrame.Welcome) codec.decodeServer(reply.frames().get(0));
        assertThat(welcome.conversations()).filteredOn(c -> c.conv().equals(conv)).singleElement().satisfies(c -> {
            assertThat(c.active()).isTrue();
            assertThat(c.peer().id()).isEqualTo(carol.id());
        });
        assertThat(rooms.conversationsOf(carol.id()).collectList().block(WAIT)).as("the requester's too").contains(conv);
    }

    /** A new user's profile, cached in Redis by their first connect, lapses 30 days on (unless they connect again). */
    @Test
    void aNewUsersCachedProfileLapsesThirtyDaysOn() {
        UserRef fay = new UserRef("uf" + run, "Fay", null);
        RoomRepository rooms = new RoomRepository(MONGO.template(), props);
        SessionService sessions = sessions(rooms, new DirectService(new PeersRepository(MONGO.template(), props), rooms,
                profiles, Clock.systemUTC()));

        sessions.connect(new Command(Command.Event.CONNECT, "gw-" + run, "f-" + run, 1, fay, null)).block(WAIT);

        assertThat(redis.opsForHash().get(RedisNames.profile(fay.id()), "nickname").block(WAIT)).isEqualTo("Fay");
        long retention = PresenceRepository.USER_RETENTION.toMillis();
        assertThat(redis.getExpire(RedisNames.profile(fay.id())).block(WAIT).toMillis()).isBetween(retention - 60_000, retention);
    }

    private SessionService sessions(RoomRepository rooms, DirectService directs) {
        return TestSessions.create(redis, props, presence, profiles, deliveries, rooms, directs);
    }
}
