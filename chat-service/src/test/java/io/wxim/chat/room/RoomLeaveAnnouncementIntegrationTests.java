package io.wxim.chat.room;

import static io.wxim.chat.TestRedis.next;
import static io.wxim.chat.config.TestChatProperties.withCrowdThreshold;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.command.CommandDeadline;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.message.TestHistory;
import io.wxim.chat.presence.LeaveNews;
import io.wxim.chat.presence.PresenceFrames;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.ClientFrame;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.NodeMessage;
import io.wxim.protocol.ProtocolException;
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
 * A room leave's news against a real Redis and MongoDB: the room's {@code memberLeft} (a crowded room marked for the
 * periodic count instead), the unsubscribe to every gateway of the user and {@code left} to the user's other
 * connections, all published in the step that takes the user out of the room (room_leave.lua). They used to be
 * published after that step: when a publish (or anything after the step) failed, the retry found no membership,
 * answered not_found and told no one (it only published the unsubscribe again).
 */
@Timeout(60)
class RoomLeaveAnnouncementIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_leave_announcements_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final FrameCodec codec = new FrameCodec();
    private final ChatProperties props = ChatProperties.defaults();
    private final Deliveries deliveries = new Deliveries(redis, codec, props);
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    private final RoomRepository repository = new RoomRepository(MONGO.template(), props);

    /**
     * The first attempt's step tells; every publish after it and its answer fail; the retry answers not_found: the room
     * got {@code memberLeft} once, and each gateway of the user the unsubscribe, then {@code left} (not for the
     * requester's connection) once, then only the retry's unsubscribe again (stating the same leave).
     */
    @Test
    void aLeaveIsToldOnce_evenWhenEverythingAfterItsStepFails() throws Exception {
        UserRef eve = new UserRef("ue" + run, "Eve", null);
        String room = memberRoom(eve, 1);
        String here = "gw-a" + run;
        String there = "gw-b" + run;
        for (String[] conn : new String[][] {{here, "e1"}, {here, "e2"}, {there, "e3"}}) {
            presence.connect(eve, conn[0], conn[1] + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        }
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        LinkedBlockingQueue<String> atHere = testRedis.listen(RedisNames.nodeChannel(here));
        LinkedBlockingQueue<String> atThere = testRedis.listen(RedisNames.nodeChannel(there));
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);

        assertThat(catchThrowable(() -> failingAfterTheStep(commands(failingDeliveries(), props),
                new Command(Command.Event.FRAME, here, "e1" + run, 1, eve, leave), leave).block(WAIT))).hasMessageContaining("failed");
        Command retry = new Command(Command.Event.FRAME, here, "e1" + run, 2, eve, leave);
        assertThat(catchThrowable(() -> commands(deliveries, props).leave(retry, leave).block(WAIT)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));

        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, eve, 1));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("the room told once").isNull();
        long leaves = Long.parseLong(redis.opsForValue().get(RedisNames.leaves(eve.id())).block(WAIT));
        for (LinkedBlockingQueue<String> node : List.of(atHere, atThere)) {
            assertUnsubscribe(node, room, leaves);
            assertLeft(node, eve, room);
            assertUnsubscribe(node, room, leaves); // the retry's, again: harmless
            assertThat(node.poll(300, TimeUnit.MILLISECONDS)).as("the user's connections told once").isNull();
        }
    }

    /**
     * In a room with more than the crowd threshold online after the leave, the step sends the room nothing and the
     * room is marked for the periodic count by the step ({@link RedisNames#CROWDED}: a failure after it cannot lose the
     * mark); the user's gateways are still told in the step.
     */
    @Test
    void aCrowdedRoomIsMarkedByTheStep_andTheUsersGatewaysToldOnce_evenWhenEverythingAfterTheStepFails() throws Exception {
        UserRef fay = new UserRef("uf" + run, "Fay", null);
        String room = memberRoom(fay, 2);
        String node = "gw-f" + run;
        presence.connect(fay, node, "f1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        presence.connect(fay, node, "f2" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        LinkedBlockingQueue<String> atNode = testRedis.listen(RedisNames.nodeChannel(node));
        ChatProperties crowdedAtOne = withCrowdThreshold(1);
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);

        assertThat(catchThrowable(() -> failingAfterTheStep(commands(failingDeliveries(), crowdedAtOne),
                new Command(Command.Event.FRAME, node, "f1" + run, 1, fay, leave), leave).block(WAIT))).hasMessageContaining("failed");
        Command retry = new Command(Command.Event.FRAME, node, "f1" + run, 2, fay, leave);
        assertThat(catchThrowable(() -> commands(deliveries, crowdedAtOne).leave(retry, leave).block(WAIT)))
                .isInstanceOf(ProtocolException.class);

        assertThat(redis.opsForSet().isMember(RedisNames.CROWDED, room).block(WAIT)).as("marked by the step").isTrue();
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("no per-user frame above the threshold").isNull();
        long leaves = Long.parseLong(redis.opsForValue().get(RedisNames.leaves(fay.id())).block(WAIT));
        assertUnsubscribe(atNode, room, leaves);
        assertLeft(atNode, fay, room);
        assertUnsubscribe(atNode, room, leaves);
        assertThat(atNode.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    /** {@code commands}' leave whose answer then fails to reach the gateway (so the client retries). */
    private static Mono<NodeMessage> failingAfterTheStep(RoomCommands commands, Command cmd, ClientFrame.Leave leave) {
        return commands.leave(cmd, leave).flatMap(answer -> Mono.error(new IllegalStateException("answer failed")));
    }

    /** Deliveries whose every publish fails (the leave's step is a presence script, untouched). */
    private Deliveries failingDeliveries() {
        return new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toConversation(String conv, ServerFrame frame) {
                return Mono.error(new IllegalStateException("publish failed"));
            }

            @Override
            public Mono<Void> toUserNodes(String userId, String exceptNode, NodeMessage message) {
                return Mono.error(new IllegalStateException("unsubscribe failed"));
            }

            @Override
            public Mono<Void> toUsers(List<String> userIds, String exceptConn, List<? extends ServerFrame> frames) {
                return Mono.error(new IllegalStateException("publish failed"));
            }
        };
    }

    /**
     * A leave's first attempt removes the membership and is slow to reach its step; its retry finds no membership and
     * finishes the leave, telling the room memberLeft; the user's connections close; the first attempt's step, coming
     * last, tells it no second time (the step records the leave told; a rule on the user's connections told it again).
     */
    @Test
    void aLeaveIsToldOnce_whenItsRetryFinishesItBeforeTheFirstAttemptsStep() throws Exception {
        UserRef gil = new UserRef("ug" + run, "Gil", null);
        String room = memberRoom(gil, 1);
        String node = "gw-g" + run;
        presence.connect(gil, node, "g1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        presence.connect(gil, node, "g2" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        repository.removeMember(room, gil.id()).block(WAIT); // the first attempt's removal; its step comes later
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);

        Command retry = new Command(Command.Event.FRAME, node, "g1" + run, 2, gil, leave);
        assertThat(catchThrowable(() -> commands(deliveries, props).leave(retry, leave).block(WAIT)))
                .isInstanceOf(ProtocolException.class);
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, gil, 1));
        presence.disconnect(gil.id(), node, "g1" + run, List.of(Conversations.LOBBY), 1L).block(WAIT);
        presence.disconnect(gil.id(), node, "g2" + run, List.of(Conversations.LOBBY), 2L).block(WAIT);
        presence.leave(room, gil.id(), LeaveNews.of(gil, room, "g1" + run, deliveries)).block(WAIT); // the first's step

        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    /**
     * A leave removes the membership; before its step the user's only connection closes and a new one registers without
     * the room: the step takes no one out of the online set, and still tells the room memberLeft (once).
     */
    @Test
    void aLeaveIsTold_whenTheUsersConnectionChangedBeforeItsStep() throws Exception {
        UserRef hap = new UserRef("uh" + run, "Hap", null);
        String room = memberRoom(hap, 1);
        String node = "gw-h" + run;
        presence.connect(hap, node, "h1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        repository.removeMember(room, hap.id()).block(WAIT); // the leave's removal; its step comes later
        presence.disconnect(hap.id(), node, "h1" + run, List.of(Conversations.LOBBY, room), 1L).block(WAIT);
        presence.connect(hap, node, "h2" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);

        presence.leave(room, hap.id(), LeaveNews.of(hap, room, "h2" + run, deliveries)).block(WAIT); // the step

        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, hap, 1));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
    }

    /**
     * A leave's first attempt removes the membership and fails before its step; the user's connection changes (the new
     * one registers without the room, so the user is no longer recorded online in it); the retry finds nothing to
     * finish in Redis and still tells the room memberLeft, its join having been told, and takes a new last leave, so a
     * connect that read the membership before its removal reads again instead of registering the room; a rejoin is
     * then told again.
     */
    @Test
    void aRetriedLeave_afterTheUsersConnectionChanged_isTold_andARejoinToo() throws Exception {
        UserRef ivy = new UserRef("ui" + run, "Ivy", null);
        String room = memberRoom(ivy, 1);
        String node = "gw-i" + run;
        presence.connect(ivy, node, "i1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        presence.markOnline(room, ivy.id(), true, PresenceFrames.joined(ivy, codec::encode)).block(WAIT); // its join, told
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, ivy, 2));
        String readBefore = presence.prepare(ivy.id(), node, "i3" + run).block(WAIT).leaves(); // i3's connect begins
        repository.removeMember(room, ivy.id()).block(WAIT); // the leave's first attempt; its step never runs
        presence.disconnect(ivy.id(), node, "i1" + run, List.of(Conversations.LOBBY), 1L).block(WAIT);
        presence.connect(ivy, node, "i2" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);

        Command retry = new Command(Command.Event.FRAME, node, "i2" + run, 2, ivy, leave);
        assertThat(catchThrowable(() -> commands(deliveries, props).leave(retry, leave).block(WAIT)))
                .isInstanceOf(ProtocolException.class);
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, ivy, 1));
        assertThat(catchThrowable(() -> commands(deliveries, props).leave(retry, leave).block(WAIT)))
                .isInstanceOf(ProtocolException.class);
        assertThat(presence.connect(ivy, node, "i3" + run, List.of(Conversations.LOBBY, room), readBefore, false,
                PresenceFrames.online(ivy, codec::encode), Set.of(room), () -> PresenceFrames.joined(ivy, codec::encode)).block(WAIT).outcome())
                .as("i3 read the membership before its removal").isEqualTo(PresenceRepository.Connect.MEMBERSHIPS_CHANGED);
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("told once, no join told for i3").isNull();

        presence.markOnline(room, ivy.id(), true, PresenceFrames.joined(ivy, codec::encode)).block(WAIT); // a rejoin
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, ivy, 2));
    }

    /**
     * A leave's first attempt removes the membership and its step is held up on the way to Redis past the command's
     * deadline; the retry finishes the leave (memberLeft) and the user joins again (memberJoined, back in the online
     * set); then the late step reaches Redis. Fenced with its command's deadline ({@link CommandDeadline}) it fails
     * and changes nothing: the member stays online in the room, the room is told nothing, no gateway unsubscribes.
     * Unfenced, it took the member out of the online set, told memberLeft and unsubscribed the user's gateways, so
     * the member's connections stopped receiving the room. Every step of the retry and the rejoin runs inside its own
     * (future) deadline, so a fence lets a step in time run.
     */
    @Test
    void aLeaveStepThatReachesRedisAfterItsDeadline_changesNothing_afterItsRetryAndARejoin() throws Exception {
        UserRef kim = new UserRef("uk" + run, "Kim", null);
        String room = memberRoom(kim, 1);
        String node = "gw-k" + run;
        presence.connect(kim, node, "k1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        LinkedBlockingQueue<String> atNode = testRedis.listen(RedisNames.nodeChannel(node));
        // the first attempt's deadline, passed when its step arrives (on Redis's clock, as the fence reads it)
        long firstDeadline = testRedis.redisMillis() - 1_000;
        repository.removeMember(room, kim.id()).block(WAIT); // the first attempt's removal; its step is held up
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);

        Command retry = new Command(Command.Event.FRAME, node, "k1" + run, 2, kim, leave);
        assertThat(catchThrowable(() -> commands(deliveries, props).leave(retry, leave)
                .contextWrite(CommandDeadline.of(testRedis.redisMillis() + 8_000)).block(WAIT)))
                .isInstanceOf(ProtocolException.class); // not_found, after finishing the leave
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, kim, 1));
        assertThat(codec.read(next(atNode), NodeMessage.class).kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
        repository.addMember(room, kim.id(), 2L).block(WAIT); // the rejoin
        presence.markOnline(room, kim.id(), true, PresenceFrames.joined(kim, codec::encode))
                .contextWrite(CommandDeadline.of(testRedis.redisMillis() + 8_000)).block(WAIT);
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, kim, 2));

        Throwable late = catchThrowable(() -> presence.leave(room, kim.id(), LeaveNews.of(kim, room, "k1" + run, deliveries))
                .contextWrite(CommandDeadline.of(firstDeadline)).block(WAIT)); // the first attempt's step, late
        assertThat(Exceptions.unwrap(late)).as("the late step fails, its time run out").isInstanceOf(TimeoutException.class);
        assertThat(late).rootCause().hasMessageStartingWith("LATE");
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("no memberLeft").isNull();
        assertThat(atNode.poll(100, TimeUnit.MILLISECONDS)).as("no unsubscribe, no left").isNull();
        assertThat(redis.opsForSet().isMember(RedisNames.online(room), kim.id()).block(WAIT)).as("still online in it").isTrue();
        assertThat(presence.onlineCount(room).block(WAIT)).isEqualTo(2L);
    }

    private void assertUnsubscribe(LinkedBlockingQueue<String> node, String room, long leaves) throws InterruptedException {
        NodeMessage unsubscribe = codec.read(next(node), NodeMessage.class);
        assertThat(unsubscribe.kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
        assertThat(unsubscribe.conn()).isNull();
        assertThat(unsubscribe.convs()).containsExactly(room);
        assertThat(unsubscribe.leaves()).isEqualTo(leaves);
    }

    private void assertLeft(LinkedBlockingQueue<String> node, UserRef user, String room) throws InterruptedException {
        NodeMessage left = codec.read(next(node), NodeMessage.class);
        assertThat(left.kind()).isEqualTo(NodeMessage.Kind.USER);
        assertThat(left.user()).isEqualTo(user.id());
        assertThat(left.conn()).as("all but the requester's connection").isEqualTo(user.id().substring(1, 2) + "1" + run);
        assertThat(left.frames()).hasSize(1);
        assertThat(codec.decodeServer(left.frames().get(0))).isEqualTo(new ServerFrame.Left(null, room));
    }

    /** A room (in MongoDB) with {@code user} as its member, and {@code othersOnline} other members online in it. */
    private String memberRoom(UserRef user, int othersOnline) {
        String roomId = "la" + user.id();
        repository.insertRoom(new Room(roomId, "Leaving", user.id(), 1L)).block(WAIT);
        String room = Conversations.room(roomId);
        repository.addMember(room, user.id(), 1L).block(WAIT);
        for (int i = 0; i < othersOnline; i++) {
            UserRef other = new UserRef("o" + i + roomId, "Other", null);
            repository.addMember(room, other.id(), 1L).block(WAIT);
            presence.connect(other, "gw-o" + run, "o" + i + roomId, List.of(room), "", true).block(WAIT);
        }
        return room;
    }

    /** Room commands on these deliveries and settings. */
    private RoomCommands commands(Deliveries through, ChatProperties settings) {
        return new RoomCommands(new RoomService(repository, settings, Clock.systemUTC(),
                KnownMembers.local(Duration.ofSeconds(10), System::nanoTime)), new PresenceRepository(redis, settings),
                TestHistory.knowingNoMessages(settings), through, settings);
    }
}
