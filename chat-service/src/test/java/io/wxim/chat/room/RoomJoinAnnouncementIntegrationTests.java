package io.wxim.chat.room;

import static io.wxim.chat.TestRedis.next;
import static io.wxim.chat.config.TestChatProperties.withCrowdThreshold;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.command.CommandDeadline;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.message.HistoryClient;
import io.wxim.chat.message.TestHistory;
import io.wxim.chat.presence.PresenceFrames;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/**
 * A join's {@code memberJoined} against a real Redis and MongoDB: published in the step that marks the joiner online
 * (mark_online.lua), crowded rooms marked for the periodic count instead (in the same step, {@link RedisNames#CROWDED}). It used to be published in a second step,
 * only when this attempt inserted the membership: when that step (or anything after it) failed, the retry found the
 * membership and announced nothing.
 */
@Timeout(60)
class RoomJoinAnnouncementIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_join_announcements_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(redis, codec, props);
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    private final RoomRepository repository = new RoomRepository(MONGO.template(), props);

    /** The first attempt's step announces; everything after it fails; the retry announces nothing more. */
    @Test
    void aJoinIsAnnouncedOnce_evenWhenEverythingAfterItsStepFails() throws Exception {
        UserRef amy = new UserRef("ua" + run, "Amy", null);
        String room = roomWithOneOnline("ja" + run);
        presence.connect(amy, "gw-a" + run, "a1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = listen(room);
        Deliveries failing = new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toConversation(String conv, ServerFrame frame) {
                return Mono.error(new IllegalStateException("publish failed"));
            }

            @Override
            public Mono<Void> toUserNodes(String userId, String exceptNode, NodeMessage message) {
                return Mono.error(new IllegalStateException("subscribe failed"));
            }
        };
        ClientFrame.Join join = new ClientFrame.Join("j", room);

        assertThat(catchThrowable(() -> commands(failing, props).join(command(amy, "a1", 1, join), join).block(WAIT)))
                .hasMessageContaining("failed");
        commands(deliveries, props).join(command(amy, "a1", 2, join), join).block(WAIT); // the retry

        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, amy, 2));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
    }

    /**
     * The first attempt inserted the membership, then failed before the step: the retry (not a new membership now)
     * announces it, since its step is the one that adds the user to the room's online set; a further retry does not.
     */
    @Test
    void aRetryAnnouncesTheJoin_whenTheFirstAttemptFailedBeforeItsStep() throws Exception {
        UserRef bo = new UserRef("ub" + run, "Bo", null);
        String room = roomWithOneOnline("jb" + run);
        presence.connect(bo, "gw-b" + run, "b1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        repository.addMember(room, bo.id(), System.currentTimeMillis()).block(WAIT); // the first attempt's insert
        LinkedBlockingQueue<String> inRoom = listen(room);
        ClientFrame.Join join = new ClientFrame.Join("j", room);

        commands(deliveries, props).join(command(bo, "b1", 2, join), join).block(WAIT);
        commands(deliveries, props).join(command(bo, "b1", 3, join), join).block(WAIT);

        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, bo, 2));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
    }

    /**
     * The first attempt inserted the membership and failed before its step; a connect of the user's other device (the
     * user being online already) registers the room first: the connect announces the join, and neither the retry nor
     * the first attempt's step arriving late announces it again. (The connect announced nothing, as the user was
     * online, and the retry found the user in the online set: the join was never told.)
     */
    @Test
    void aMembershipAConnectOfAnotherDeviceRegistersFirst_isAnnouncedOnce_byTheConnect() throws Exception {
        UserRef cy = new UserRef("uc" + run, "Cy", null);
        String room = roomWithOneOnline("jc" + run);
        presence.connect(cy, "gw-c" + run, "c1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        repository.addMember(room, cy.id(), System.currentTimeMillis()).block(WAIT); // the first attempt's insert
        LinkedBlockingQueue<String> inRoom = listen(room);

        connectAnnouncing(cy, "gw-c" + run, "c2" + run, room);
        ClientFrame.Join join = new ClientFrame.Join("j", room);
        commands(deliveries, props).join(command(cy, "c1", 2, join), join).block(WAIT); // the retry
        presence.markOnline(room, cy.id(), true, PresenceFrames.joined(cy, codec::encode)).block(WAIT); // the late step

        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, cy, 2));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
    }

    /**
     * Two devices join at once: one attempt inserts the membership, the other finds it and its step runs first, adding
     * the user online: told by that step only (the inserting attempt's step used to announce it again). A join of a
     * user with no connection (nothing added online) is told by the attempt that inserted the membership.
     */
    @Test
    void twoDevicesJoiningAtOnce_announceOnce_andAnUnconnectedUsersNewMembershipIsAnnounced() throws Exception {
        UserRef ev = new UserRef("ue" + run, "Ev", null);
        UserRef fi = new UserRef("uf" + run, "Fi", null);
        String room = roomWithOneOnline("je" + run);
        presence.connect(ev, "gw-e" + run, "e1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = listen(room);

        presence.markOnline(room, ev.id(), false, PresenceFrames.joined(ev, codec::encode)).block(WAIT); // found it
        presence.markOnline(room, ev.id(), true, PresenceFrames.joined(ev, codec::encode)).block(WAIT); // inserted it
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, ev, 2));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();

        presence.markOnline(room, fi.id(), true, PresenceFrames.joined(fi, codec::encode)).block(WAIT); // not connected
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, fi, 2));
    }

    /**
     * The first attempt inserted the membership; the user's last connection closes and a new one comes online with the
     * room before the attempt's step: the connect tells the join (the membership is recent and its join not told; it
     * used to tell presence online, and only this step the join, which a retry's step never did), and the attempt's step
     * tells it no second time. Then, once a connect of another device told a join, the user going offline and the
     * attempt's step coming late tell it no second time either.
     */
    @Test
    void aJoinIsToldOnce_whenTheUserReconnectsOrGoesOfflineBeforeItsStep() throws Exception {
        UserRef gus = new UserRef("ug" + run, "Gus", null);
        String room = roomWithOneOnline("jg" + run);
        String node = "gw-g" + run;
        presence.connect(gus, node, "g1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        repository.addMember(room, gus.id(), System.currentTimeMillis()).block(WAIT); // the attempt's insert
        LinkedBlockingQueue<String> inRoom = listen(room);
        presence.disconnect(gus.id(), node, "g1" + run, List.of(Conversations.LOBBY), 1L).block(WAIT);
        connectAnnouncing(gus, node, "g2" + run, room);
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, gus, 2));

        presence.markOnline(room, gus.id(), true, PresenceFrames.joined(gus, codec::encode)).block(WAIT); // its step
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();

        UserRef hal = new UserRef("uh" + run, "Hal", null);
        String other = roomWithOneOnline("jh" + run);
        presence.connect(hal, node, "h1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        repository.addMember(other, hal.id(), System.currentTimeMillis()).block(WAIT); // the attempt's insert
        LinkedBlockingQueue<String> inOther = listen(other);
        connectAnnouncing(hal, node, "h2" + run, other); // another device: tells the join
        assertThat(codec.decodeServer(next(inOther))).isEqualTo(new ServerFrame.MemberJoined(other, hal, 2));
        presence.disconnect(hal.id(), node, "h1" + run, List.of(Conversations.LOBBY, other), 2L).block(WAIT);
        presence.disconnect(hal.id(), node, "h2" + run, List.of(Conversations.LOBBY, other), 3L).block(WAIT);
        presence.markOnline(other, hal.id(), true, PresenceFrames.joined(hal, codec::encode)).block(WAIT); // late step
        assertThat(inOther.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    /**
     * A join told by its own step, then the user's reconnect minutes later (the room is recent): the room gets
     * {@code presence online}, not the join again. A room's creator likewise: the create records the join told (the
     * creator's {@code joined} tells it) and its reconnect is {@code presence online}, not a join.
     */
    @Test
    void aJoinToldByItsStep_andARoomsCreation_areNotToldAgainByAReconnect() throws Exception {
        UserRef kit = new UserRef("uk" + run, "Kit", null);
        String room = roomWithOneOnline("jk" + run);
        String node = "gw-k" + run;
        presence.connect(kit, node, "k1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = listen(room);
        ClientFrame.Join join = new ClientFrame.Join("j", room);
        commands(deliveries, props).join(command(kit, "k1", 1, join), join).block(WAIT);
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, kit, 2));
        ClientFrame.CreateRoom create = new ClientFrame.CreateRoom("c", "Kit's");
        NodeMessage created = commands(deliveries, props).create(command(kit, "k1", 2, create), create).block(WAIT);
        String own = ((ServerFrame.Joined) codec.decodeServer(created.frames().get(0))).conv();
        LinkedBlockingQueue<String> inOwn = listen(own);
        presence.disconnect(kit.id(), node, "k1" + run, List.of(Conversations.LOBBY, room, own), 1L).block(WAIT); // silent

        connectAnnouncing(kit, node, "k2" + run, room, own);

        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.Presence(room, kit, "online", 2));
        assertThat(codec.decodeServer(next(inOwn))).isEqualTo(new ServerFrame.Presence(own, kit, "online", 1));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("no join told again").isNull();

        // a create's step finding a record (a retried create after a leave, a rejoin's step to come) keeps it
        String leftValue = "l:" + (testRedis.redisMillis() + 60_000);
        redis.opsForHash().put(RedisNames.joinsTold(kit.id()), own, leftValue).block(WAIT);
        presence.markCreatorOnline(own, kit.id()).block(WAIT);
        assertThat(redis.opsForHash().get(RedisNames.joinsTold(kit.id()), own).block(WAIT)).isEqualTo(leftValue);
    }

    /** A record of a join told that has lapsed (10 minutes) counts as none: the next join is told. */
    @Test
    void aLapsedRecordOfAToldJoin_doesNotHideTheNextJoin() throws Exception {
        UserRef ida = new UserRef("ui" + run, "Ida", null);
        String room = roomWithOneOnline("ji" + run);
        presence.connect(ida, "gw-i" + run, "i1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        redis.opsForHash().put(RedisNames.joinsTold(ida.id()), room, "j:1000").block(WAIT); // told long ago, lapsed
        LinkedBlockingQueue<String> inRoom = listen(room);

        presence.markOnline(room, ida.id(), true, PresenceFrames.joined(ida, codec::encode)).block(WAIT);

        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, ida, 2));
    }

    /**
     * In a room above the crowd threshold the join is marked for the count instead, by the step: a failure after it
     * cannot lose the mark (it used to be made after the step's answer, in memory).
     */
    @Test
    void aCrowdedRoomIsMarkedByTheJoinsStep_evenWhenEverythingAfterItFails() throws Exception {
        UserRef di = new UserRef("ud" + run, "Di", null);
        String crowdedRoom = roomWithOneOnline("jd" + run);
        presence.connect(di, "gw-d" + run, "d1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> inCrowded = listen(crowdedRoom);
        ClientFrame.Join joinCrowded = new ClientFrame.Join("k", crowdedRoom);
        Deliveries failing = new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toUserNodes(String userId, String exceptNode, NodeMessage message) {
                return Mono.error(new IllegalStateException("subscribe failed"));
            }
        };

        assertThat(catchThrowable(() -> commands(failing, withCrowdThreshold(1)).join(command(di, "d1", 3, joinCrowded), joinCrowded)
                .block(WAIT))).hasMessageContaining("failed");

        assertThat(redis.opsForSet().isMember(RedisNames.CROWDED, crowdedRoom).block(WAIT)).as("marked by the step").isTrue();
        assertThat(inCrowded.poll(300, TimeUnit.MILLISECONDS)).as("no per-user frame above the threshold").isNull();
    }

    /**
     * A join's first attempt inserts the membership and its step is held up on the way to Redis past the command's
     * deadline; the retry marks the user online (memberJoined), then the user leaves (memberLeft, out of the online
     * set); then the late step reaches Redis. Fenced with its command's deadline ({@link CommandDeadline}) it fails and
     * changes nothing: the user, no longer a member, is not put back in the room's online set and the room is told
     * nothing. Unfenced, it did both (a member shown online and joined who is not one). The retry and the leave run
     * inside their own (future) deadlines.
     */
    @Test
    void aJoinStepThatReachesRedisAfterItsDeadline_changesNothing_afterItsRetryAndALeave() throws Exception {
        UserRef jo = new UserRef("uj" + run, "Jo", null);
        String room = roomWithOneOnline("jj" + run);
        presence.connect(jo, "gw-j" + run, "j1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = listen(room);
        // the first attempt's deadline, passed when its step arrives (on Redis's clock, as the fence reads it)
        long firstDeadline = testRedis.redisMillis() - 1_000;
        repository.addMember(room, jo.id(), System.currentTimeMillis()).block(WAIT); // the first attempt's insert
        ClientFrame.Join join = new ClientFrame.Join("j", room);
        commands(deliveries, props).join(command(jo, "j1", 2, join), join)
                .contextWrite(CommandDeadline.of(testRedis.redisMillis() + 8_000)).block(WAIT); // the retry
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, jo, 2));
        ClientFrame.Leave leave = new ClientFrame.Leave("l", room);
        commands(deliveries, props).leave(command(jo, "j1", 3, leave), leave)
                .contextWrite(CommandDeadline.of(testRedis.redisMillis() + 8_000)).block(WAIT);
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, jo, 1));

        Throwable late = catchThrowable(() -> presence.markOnline(room, jo.id(), true, PresenceFrames.joined(jo, codec::encode))
                .contextWrite(CommandDeadline.of(firstDeadline)).block(WAIT)); // the first attempt's step, late
        assertThat(Exceptions.unwrap(late)).as("the late step fails, its time run out").isInstanceOf(TimeoutException.class);
        assertThat(late).rootCause().hasMessageStartingWith("LATE");
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("no memberJoined").isNull();
        assertThat(redis.opsForSet().isMember(RedisNames.online(room), jo.id()).block(WAIT)).as("not online in it").isFalse();
        assertThat(presence.onlineCount(room).block(WAIT)).isEqualTo(1L);
    }

    /** A connect of {@code user} with the lobby and {@code rooms} (joined recently), announcing as a CONNECT does. */
    private void connectAnnouncing(UserRef user, String node, String conn, String... rooms) {
        List<String> convs = new java.util.ArrayList<>(List.of(Conversations.LOBBY));
        convs.addAll(List.of(rooms));
        presence.connect(user, node, conn, convs, "", true, PresenceFrames.online(user, codec::encode), Set.of(rooms),
                () -> PresenceFrames.joined(user, codec::encode)).block(WAIT);
    }

    /** A room whose owner is its member and online in it. */
    private String roomWithOneOnline(String roomId) {
        UserRef owner = new UserRef("o" + roomId, "Owner", null);
        repository.insertRoom(new Room(roomId, "Joining", owner.id(), 1L)).block(WAIT);
        String room = Conversations.room(roomId);
        repository.addMember(room, owner.id(), 1L).block(WAIT);
        presence.connect(owner, "gw-o" + run, "o" + roomId, List.of(room), "", true).block(WAIT);
        return room;
    }

    private Command command(UserRef user, String conn, long ref, ClientFrame frame) {
        return new Command(Command.Event.FRAME, "gw-" + user.id().substring(1, 2) + run, conn + run, ref, user, frame);
    }

    /** Room commands on these deliveries and settings; history knows no messages. */
    private RoomCommands commands(Deliveries through, ChatProperties settings) {
        HistoryClient history = TestHistory.knowingNoMessages(settings);
        return new RoomCommands(new RoomService(repository, settings, Clock.systemUTC(),
                KnownMembers.local(Duration.ofSeconds(10), System::nanoTime)), new PresenceRepository(redis, settings), history,
                through, settings);
    }

    private LinkedBlockingQueue<String> listen(String conv) {
        return testRedis.listen(RedisNames.convChannel(conv));
    }
}
