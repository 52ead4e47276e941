package io.wxim.chat.session;

import static io.wxim.chat.TestRedis.next;
import static io.wxim.chat.config.TestChatProperties.withCrowdThreshold;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.direct.PeersRepository;
import io.wxim.chat.presence.PresenceFrames;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.Room;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.FrameCodec;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * A CONNECT that brings a user online, against a real Redis and MongoDB: the user's conversations are told in the step
 * that registers the connection (connect.lua), crowded ones are marked for the periodic count instead. They used to be
 * told in a second step: when it (or anything after the script) failed, the redelivered CONNECT found the connection
 * registered already and announced nothing, so the announcements were lost for good.
 */
@Timeout(60)
class SessionConnectAnnouncementIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_connect_announcements_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = withCrowdThreshold(2);
    private final FrameCodec codec = new FrameCodec();
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    private final ProfileService profiles = new ProfileService(MONGO.template(), redis, props, Clock.systemUTC());
    private final RoomRepository rooms = new RoomRepository(MONGO.template(), props);
    private final DirectService directs = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
            Clock.systemUTC());

    @Test
    void theConversationsAreToldTheUserCameOnline_evenWhenEverythingAfterTheStepFails() throws Exception {
        UserRef dora = new UserRef("udo" + run, "Dora \"the\" \"online\":1", null);
        UserRef ed = new UserRef("ued" + run, "Ed", null);
        UserRef fay = new UserRef("ufa" + run, "Fay", null);
        String node = "gw-" + run;
        String quiet = room("qa" + run, dora);
        String crowded = room("qb" + run, dora);
        redis.delete(RedisNames.online(Conversations.LOBBY)).block(WAIT); // shared by every test: start it empty
        presence.connect(ed, node, "e-" + run, List.of(Conversations.LOBBY, quiet, crowded), "", true).block(WAIT);
        presence.connect(fay, node, "f-" + run, List.of(crowded), "", true).block(WAIT);
        LinkedBlockingQueue<String> inLobby = listen(Conversations.LOBBY);
        LinkedBlockingQueue<String> inQuiet = listen(quiet);
        LinkedBlockingQueue<String> inCrowded = listen(crowded);
        // everything after connect.lua fails for this CONNECT: publishing to conversations, and encoding its welcome
        Deliveries failing = new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toConversation(String conv, ServerFrame frame) {
                return Mono.error(new IllegalStateException("publish failed"));
            }

            @Override
            public String encode(ServerFrame frame) {
                if (frame instanceof ServerFrame.Welcome) {
                    throw new IllegalStateException("welcome failed");
                }
                return super.encode(frame);
            }
        };
        Command connect = new Command(Command.Event.CONNECT, node, "d-" + run, 1, dora, null);

        assertThat(catchThrowable(() -> TestSessions.create(redis, props, presence, profiles, failing, rooms, directs)
                .connect(connect).block(WAIT))).hasMessageContaining("failed");
        // the redelivery: dora is registered already
        Deliveries deliveries = new Deliveries(redis, codec, props);
        TestSessions.create(redis, props, presence, profiles, deliveries, rooms, directs)
                .connect(connect).block(WAIT);

        assertThat(codec.decodeServer(next(inLobby))).isEqualTo(new ServerFrame.MemberJoined(Conversations.LOBBY, dora, 2));
        assertThat(codec.decodeServer(next(inQuiet))).isEqualTo(new ServerFrame.Presence(quiet, dora, "online", 2));
        assertThat(redis.opsForSet().isMember(RedisNames.CROWDED, crowded).block(WAIT)).as("the crowded room marked for its count")
                .isTrue();
        assertThat(redis.opsForSet().isMember(RedisNames.CROWDED, quiet).block(WAIT)).as("not crowded").isFalse();
        assertThat(inCrowded.poll(300, TimeUnit.MILLISECONDS)).as("no per-user frame above the threshold").isNull();
        assertThat(inLobby.poll(100, TimeUnit.MILLISECONDS)).as("once").isNull();
        assertThat(inQuiet.poll(100, TimeUnit.MILLISECONDS)).as("once").isNull();
        assertThat(presence.onlineCount(crowded).block(WAIT)).isEqualTo(3L);
    }

    /**
     * A user comes online with a room joined minutes ago, whose join never reached its step (its attempt inserted the
     * membership, then failed; the user's last connection closed before the retry): the connect tells the room
     * {@code memberJoined}, not {@code presence online}, and the retry tells nothing more. The room used to hear of the
     * user only as {@code presence online}, and the retry, finding the user in the online set, told nothing: the
     * members never learnt of the join. A room joined longer ago than a join's record lasts gets {@code presence online},
     * and a connect with no such room encodes no {@code memberJoined} frame for a room.
     */
    @Test
    void aUserComingOnlineWithARecentJoinNeverTold_tellsItAsAJoin_anOlderMembershipAsPresence() throws Exception {
        UserRef gil = new UserRef("ugi" + run, "Gil", null);
        UserRef hana = new UserRef("uha" + run, "Hana", null);
        String node = "gw-" + run;
        String old = room("ga" + run, hana); // gil joined it long ago
        rooms.addMember(old, gil.id(), 1L).block(WAIT);
        String fresh = room("gb" + run, hana);
        presence.connect(hana, node, "h-" + run, List.of(old, fresh), "", true).block(WAIT);
        AtomicInteger roomJoinFrames = new AtomicInteger();
        Deliveries deliveries = new Deliveries(redis, codec, props) {
            @Override
            public String encode(ServerFrame frame) {
                if (frame instanceof ServerFrame.MemberJoined joined && !Conversations.LOBBY.equals(joined.conv())) {
                    roomJoinFrames.incrementAndGet();
                }
                return super.encode(frame);
            }
        };
        SessionService sessions = TestSessions.create(redis, props, presence, profiles, deliveries, rooms, directs);
        sessions.connect(new Command(Command.Event.CONNECT, node, "g1-" + run, 1, gil, null)).block(WAIT);
        assertThat(roomJoinFrames).as("no recent membership: no room memberJoined encoded").hasValue(0);
        sessions.disconnect(new Command(Command.Event.DISCONNECT, node, "g1-" + run, 0, gil, null)).block(WAIT);
        rooms.addMember(fresh, gil.id(), System.currentTimeMillis()).block(WAIT); // a join's insert, then it failed
        LinkedBlockingQueue<String> inOld = listen(old);
        LinkedBlockingQueue<String> inFresh = listen(fresh);

        sessions.connect(new Command(Command.Event.CONNECT, node, "g2-" + run, 1, gil, null)).block(WAIT);

        assertThat(codec.decodeServer(next(inFresh))).isEqualTo(new ServerFrame.MemberJoined(fresh, gil, 2));
        assertThat(codec.decodeServer(next(inOld))).isEqualTo(new ServerFrame.Presence(old, gil, "online", 2));
        assertThat(roomJoinFrames).hasValue(1);
        presence.markOnline(fresh, gil.id(), false, PresenceFrames.joined(gil, codec::encode)).block(WAIT); // the retry
        assertThat(inFresh.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
        assertThat(inOld.poll(100, TimeUnit.MILLISECONDS)).isNull();
    }

    /** A room with {@code member}. */
    private String room(String roomId, UserRef member) {
        return room(roomId, member, 1L);
    }

    /** A room with {@code member}, who joined it at {@code joinedAt}. */
    private String room(String roomId, UserRef member, long joinedAt) {
        rooms.insertRoom(new Room(roomId, "Room " + roomId, member.id(), 1L)).block(WAIT);
        String conv = Conversations.room(roomId);
        rooms.addMember(conv, member.id(), joinedAt).block(WAIT);
        return conv;
    }

    private LinkedBlockingQueue<String> listen(String conv) {
        return testRedis.listen(RedisNames.convChannel(conv));
    }
}
