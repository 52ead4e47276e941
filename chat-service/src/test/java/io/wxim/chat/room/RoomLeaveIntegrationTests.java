package io.wxim.chat.room;

import static io.wxim.chat.TestRedis.next;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.message.TestHistory;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * A leave against a real Redis and MongoDB (ADR-31): what reaches the user's gateways, in which order, and what a
 * retried leave whose membership was already removed still finishes; and what a room's creation sends them.
 */
@Timeout(60)
class RoomLeaveIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_leaves_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(redis, codec, props);
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    private final RoomRepository repository = new RoomRepository(MONGO.template(), props);
    private final RoomCommands commands = new RoomCommands(
            new RoomService(repository, props, Clock.systemUTC(), KnownMembers.local(Duration.ofSeconds(10), System::nanoTime)),
            presence, TestHistory.knowingNoMessages(props), deliveries, props);

    /**
     * The user's gateways, the requester's too, unsubscribe (stating the leave's value) before the user's other
     * connections are told ({@code left} without rid); the requester's answer states it as well.
     */
    @Test
    void everyGatewayOfTheUserUnsubscribes_beforeTheOtherConnectionsAreTold() throws Exception {
        UserRef eve = new UserRef("ue" + run, "Eve", null);
        String room = memberRoom(eve);
        String here = "gw-a" + run;
        String there = "gw-b" + run;
        presence.connect(eve, here, "e1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        presence.connect(eve, here, "e2" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        presence.connect(eve, there, "e3" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        LinkedBlockingQueue<String> atHere = listen(here);
        LinkedBlockingQueue<String> atThere = listen(there);

        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);
        NodeMessage answer = commands.leave(new Command(Command.Event.FRAME, here, "e1" + run, 7, eve, leave), leave).block(WAIT);

        assertThat(answer.kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
        assertThat(answer.leaves()).isPositive();
        assertThat(codec.decodeServer(answer.frames().get(0))).isEqualTo(new ServerFrame.Left("lv", room));
        for (LinkedBlockingQueue<String> node : List.of(atHere, atThere)) {
            NodeMessage first = codec.read(next(node), NodeMessage.class);
            assertThat(first.kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
            assertThat(first.convs()).containsExactly(room);
            assertThat(first.leaves()).isEqualTo(answer.leaves());
            NodeMessage second = codec.read(next(node), NodeMessage.class);
            assertThat(second.kind()).isEqualTo(NodeMessage.Kind.USER);
            assertThat(second.conn()).as("not to the requester").isEqualTo("e1" + run);
            assertThat(codec.decodeServer(second.frames().get(0))).isEqualTo(new ServerFrame.Left(null, room));
        }
        assertThat(presence.onlineCount(room).block(WAIT)).isZero();
    }

    /**
     * A leave whose membership is gone already (its first attempt removed it, then failed before Redis): the retry
     * takes the user out of the online set, sets the user's last leave and tells the room memberLeft (in one step: the
     * first attempt never told it), unsubscribes the user's gateways, then answers not_found as for any non-member (no
     * `left` event). A further retry tells the room nothing.
     */
    @Test
    void aRetriedLeaveWhoseRemovalHappenedFinishesTheRedisSide() throws Exception {
        UserRef fay = new UserRef("uf" + run, "Fay", null);
        String room = memberRoom(fay);
        String node = "gw-f" + run;
        presence.connect(fay, node, "f1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        repository.removeMember(room, fay.id()).block(WAIT); // the first attempt's removal
        LinkedBlockingQueue<String> atNode = listen(node);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));

        ProtocolException refused = null;
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);
        try {
            commands.leave(new Command(Command.Event.FRAME, node, "f1" + run, 3, fay, leave), leave).block(WAIT);
        } catch (ProtocolException e) {
            refused = e;
        }

        assertThat(refused).isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(presence.onlineCount(room).block(WAIT)).isZero();
        assertThat(redis.opsForSet().isMember(RedisNames.onlineIn(fay.id()), room).block(WAIT)).isFalse();
        String last = redis.opsForValue().get(RedisNames.leaves(fay.id())).block(WAIT);
        assertThat(last).as("the user's last leave set").isNotNull();
        NodeMessage unsubscribe = codec.read(next(atNode), NodeMessage.class);
        assertThat(unsubscribe.kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
        assertThat(unsubscribe.convs()).containsExactly(room);
        assertThat(unsubscribe.leaves()).isEqualTo(Long.parseLong(last));
        assertThat(atNode.poll(300, TimeUnit.MILLISECONDS)).as("nothing else").isNull();
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, fay, 0));

        assertThat(catchThrowable(() -> commands.leave(new Command(Command.Event.FRAME, node, "f1" + run, 4, fay, leave), leave)
                .block(WAIT))).isInstanceOf(ProtocolException.class);
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("told once").isNull();
    }

    /**
     * A leave whose unsubscribe publish failed (after the membership and the Redis step were done): the client retries,
     * and the retry, not_found as for any non-member, publishes the unsubscribe again with that leave's value. It used to
     * publish nothing, so the user's connections kept receiving the room. A member's leave publishes its unsubscribe in
     * its step now (room_leave.lua), so the attempt whose publish fails here is one finishing the Redis side of an
     * earlier attempt that removed the membership, then failed before Redis.
     */
    @Test
    void aRetriedLeaveWhoseUnsubscribeFailedPublishesItAgain() throws Exception {
        UserRef ivy = new UserRef("ui" + run, "Ivy", null);
        String room = memberRoom(ivy);
        String node = "gw-v" + run;
        presence.connect(ivy, node, "v1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        LinkedBlockingQueue<String> atNode = listen(node);
        Deliveries failing = new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toUserNodes(String userId, String exceptNode, NodeMessage message) {
                return Mono.error(new IllegalStateException("publish failed"));
            }
        };
        RoomCommands failingOnce = new RoomCommands(
                new RoomService(repository, props, Clock.systemUTC(), KnownMembers.local(Duration.ofSeconds(10), System::nanoTime)),
                presence, TestHistory.knowingNoMessages(props), failing, props);
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);
        repository.removeMember(room, ivy.id()).block(WAIT); // the earliest attempt's removal
        Command first = new Command(Command.Event.FRAME, node, "v1" + run, 3, ivy, leave);
        assertThat(catchThrowable(() -> failingOnce.leave(first, leave).block(WAIT))).hasMessageContaining("publish failed");
        String last = redis.opsForValue().get(RedisNames.leaves(ivy.id())).block(WAIT);
        assertThat(last).as("the first attempt's Redis step done").isNotNull();
        assertThat(atNode.poll(300, TimeUnit.MILLISECONDS)).as("nothing published").isNull();

        Command retry = new Command(Command.Event.FRAME, node, "v1" + run, 4, ivy, leave);
        assertThat(catchThrowable(() -> commands.leave(retry, leave).block(WAIT)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));

        NodeMessage unsubscribe = codec.read(next(atNode), NodeMessage.class);
        assertThat(unsubscribe.kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
        assertThat(unsubscribe.convs()).containsExactly(room);
        assertThat(unsubscribe.leaves()).as("the first attempt's leave").isEqualTo(Long.parseLong(last));
        assertThat(redis.opsForValue().get(RedisNames.leaves(ivy.id())).block(WAIT)).as("no new leave").isEqualTo(last);
        assertThat(atNode.poll(300, TimeUnit.MILLISECONDS)).as("nothing else").isNull();
    }

    /**
     * A retried leave racing a join of the same room on another device (the join's membership lands after the retry
     * found none): the retry answers not_found and publishes no unsubscribe, which would undo the join's subscribe.
     */
    @Test
    void aRetriedLeaveRacingAJoinDoesNotUnsubscribeTheRoomAgain() throws Exception {
        UserRef jo = new UserRef("uj" + run, "Jo", null);
        String room = memberRoom(jo);
        String node = "gw-j" + run;
        presence.connect(jo, node, "j1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);
        commands.leave(new Command(Command.Event.FRAME, node, "j1" + run, 3, jo, leave), leave).block(WAIT);
        LinkedBlockingQueue<String> atNode = listen(node);
        RoomRepository joinedMeanwhile = new RoomRepository(MONGO.template(), props) {
            @Override
            public Mono<Boolean> removeMember(String conv, String userId) {
                return super.removeMember(conv, userId).flatMap(removed -> removed ? Mono.just(true)
                        : addMember(conv, userId, System.currentTimeMillis()).thenReturn(false));
            }
        };
        RoomCommands racing = new RoomCommands(
                new RoomService(joinedMeanwhile, props, Clock.systemUTC(), KnownMembers.local(Duration.ofSeconds(10), System::nanoTime)),
                presence, TestHistory.knowingNoMessages(props), deliveries, props);

        Command retry = new Command(Command.Event.FRAME, node, "j1" + run, 4, jo, leave);
        assertThat(catchThrowable(() -> racing.leave(retry, leave).block(WAIT)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(atNode.poll(500, TimeUnit.MILLISECONDS)).as("no unsubscribe").isNull();
    }

    /**
     * A join refused at the room limit while the user is recorded online in that room (a connect registered them
     * while a membership the limit then removed existed): the user is taken out of the room's online set and every
     * gateway unsubscribes, instead of staying online in and subscribed to a room they are not in.
     */
    @Test
    void aJoinRefusedAtTheLimit_takesTheUserOutOfTheRoomAConnectRegisteredThemIn() throws Exception {
        UserRef kay = new UserRef("uk" + run, "Kay", null);
        memberRoom(kay); // at the limit of one room
        String other = Conversations.room("lk" + run);
        repository.insertRoom(new Room("lk" + run, "Refused", "owner" + run, 1L)).block(WAIT);
        String node = "gw-k" + run;
        presence.connect(kay, node, "k1" + run, List.of(Conversations.LOBBY, other), "", true).block(WAIT);
        LinkedBlockingQueue<String> atNode = listen(node);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(other));
        RoomCommands atLimit = new RoomCommands(TestRoomServices.withRoomLimit(repository, 1, Clock.systemUTC()),
                presence, TestHistory.knowingNoMessages(props), deliveries, props);
        ClientFrame.Join join = new ClientFrame.Join("j", other);

        assertThat(catchThrowable(() -> atLimit.join(new Command(Command.Event.FRAME, node, "k1" + run, 3, kay, join), join)
                .block(WAIT))).isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));

        assertThat(redis.opsForSet().isMember(RedisNames.online(other), kay.id()).block(WAIT)).isFalse();
        NodeMessage unsubscribe = codec.read(next(atNode), NodeMessage.class);
        assertThat(unsubscribe.kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
        assertThat(unsubscribe.convs()).containsExactly(other);
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("no memberLeft: its join was never told").isNull();
    }

    /**
     * A join refused at the limit whose undo comes after another device's join of the same room got in (the refused
     * membership removed, then inserted again and told by the other join): the undo takes the user out of the room
     * and tells memberLeft, then, the user being a member, marks them online again and tells the join again; no
     * unsubscribe. (It used to leave a subscribed member out of the online set, the room told they left.)
     */
    @Test
    void aRefusedJoinsUndo_afterAnotherDevicesJoinGotIn_leavesTheUserOnlineInTheRoom() throws Exception {
        UserRef mo = new UserRef("um" + run, "Mo", null);
        String room = Conversations.room("lm" + run);
        repository.insertRoom(new Room("lm" + run, "Raced", "owner" + run, 1L)).block(WAIT);
        String node = "gw-m" + run;
        presence.connect(mo, node, "m1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> atNode = listen(node);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        RoomService raced = new RoomService(repository, props, Clock.systemUTC(),
                KnownMembers.local(Duration.ofSeconds(10), System::nanoTime)) {
            @Override
            public Mono<Joined> join(String conv, String userId) { // refused; the other device's join got in since
                return repository.addMember(conv, userId, 1L)
                        .then(presence.markOnline(conv, userId, true, PresenceFrames.joined(mo, codec::encode)))
                        .then(Mono.error(new ProtocolException(ErrorCode.TOO_LARGE, "room limit reached: 1")));
            }
        };
        RoomCommands refusing = new RoomCommands(raced, presence,
                TestHistory.knowingNoMessages(props), deliveries, props);
        ClientFrame.Join join = new ClientFrame.Join("j", room);

        assertThat(catchThrowable(() -> refusing.join(new Command(Command.Event.FRAME, node, "m1" + run, 3, mo, join), join)
                .block(WAIT))).isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));

        assertThat(redis.opsForSet().isMember(RedisNames.online(room), mo.id()).block(WAIT)).as("online in the room").isTrue();
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberJoined(room, mo, 1));
        assertThat(codec.decodeServer(next(inRoom))).isEqualTo(new ServerFrame.MemberLeft(room, mo, 0));
        assertThat(codec.decodeServer(next(inRoom))).as("told again").isEqualTo(new ServerFrame.MemberJoined(room, mo, 1));
        assertThat(atNode.poll(300, TimeUnit.MILLISECONDS)).as("no unsubscribe").isNull();
    }

    /**
     * A connect of the user's other device that read the memberships while a join refused at the limit had its
     * membership registers after the refusal: it reads them again (the refusal took a new last leave) instead of
     * registering the room (and, the user being online, telling it the join); the room hears nothing.
     */
    @Test
    void aConnectThatReadARefusedJoinsMembership_readsAgain_insteadOfRegisteringIt() throws Exception {
        UserRef lou = new UserRef("ul" + run, "Lou", null);
        memberRoom(lou); // at the limit of one room
        String other = Conversations.room("ll" + run);
        repository.insertRoom(new Room("ll" + run, "Refused", "owner" + run, 1L)).block(WAIT);
        String node = "gw-l" + run;
        presence.connect(lou, node, "l1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        String leaves = presence.prepare(lou.id(), node, "l2" + run).block(WAIT).leaves(); // l2's connect begins
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(other));
        RoomCommands atLimit = new RoomCommands(TestRoomServices.withRoomLimit(repository, 1, Clock.systemUTC()),
                presence, TestHistory.knowingNoMessages(props), deliveries, props);
        ClientFrame.Join join = new ClientFrame.Join("j", other);
        assertThat(catchThrowable(() -> atLimit.join(new Command(Command.Event.FRAME, node, "l1" + run, 3, lou, join), join)
                .block(WAIT))).isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));

        PresenceRepository.Connected connected = presence.connect(lou, node, "l2" + run, List.of(Conversations.LOBBY, other),
                leaves, false, PresenceFrames.online(lou, codec::encode), Set.of(other), () -> PresenceFrames.joined(lou, codec::encode)).block(WAIT);

        assertThat(connected.outcome()).isEqualTo(PresenceRepository.Connect.MEMBERSHIPS_CHANGED);
        assertThat(redis.opsForSet().isMember(RedisNames.online(other), lou.id()).block(WAIT)).isFalse();
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("nothing told").isNull();
    }

    /** A leave of a room the user is not in (nor recorded online in) answers not_found and changes nothing. */
    @Test
    void aLeaveOfARoomTheUserIsNotInChangesNothing() throws Exception {
        UserRef gus = new UserRef("ug" + run, "Gus", null);
        String room = memberRoom(new UserRef("uo" + run, "Other", null));
        String node = "gw-g" + run;
        presence.connect(gus, node, "g1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> atNode = listen(node);
        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);

        ProtocolException refused = null;
        try {
            commands.leave(new Command(Command.Event.FRAME, node, "g1" + run, 3, gus, leave), leave).block(WAIT);
        } catch (ProtocolException e) {
            refused = e;
        }

        assertThat(refused).isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(redis.hasKey(RedisNames.leaves(gus.id())).block(WAIT)).isFalse();
        assertThat(presence.onlineCount(room).block(WAIT)).isZero();
        assertThat(atNode.poll(300, TimeUnit.MILLISECONDS)).as("no unsubscribe").isNull();
    }

    /**
     * A join (here: a create) tells the user's other connections only inside each gateway's subscribe: the other
     * gateway's SUBSCRIBE carries the {@code joined} event (no rid) and the stated seq; the requester's gateway gets
     * nothing before the answer, which carries the event for the user's other connections there. So no connection is
     * told before its gateway has subscribed it.
     */
    @Test
    void aJoinTellsTheUsersOtherConnectionsInsideEachGatewaysSubscribe() throws Exception {
        UserRef hal = new UserRef("uh" + run, "Hal", null);
        String here = "gw-h" + run;
        String there = "gw-i" + run;
        presence.connect(hal, here, "h1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        presence.connect(hal, here, "h2" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        presence.connect(hal, there, "h3" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        LinkedBlockingQueue<String> atHere = listen(here);
        LinkedBlockingQueue<String> atThere = listen(there);

        ClientFrame.CreateRoom create = new ClientFrame.CreateRoom("cr", "Hall");
        NodeMessage answer = commands.create(new Command(Command.Event.FRAME, here, "h1" + run, 5, hal, create), create)
                .block(WAIT);

        assertThat(answer.kind()).isEqualTo(NodeMessage.Kind.SUBSCRIBE);
        assertThat(answer.conn()).isEqualTo("h1" + run);
        String room = answer.convs().get(0);
        assertThat(codec.decodeServer(answer.frames().get(0))).isEqualTo(new ServerFrame.Joined("cr", room, "Hall", 1, 0));
        assertThat(answer.seqs()).containsEntry(room, 0L);
        ServerFrame event = new ServerFrame.Joined(null, room, "Hall", 1, 0);
        assertThat(answer.others()).hasSize(1);
        assertThat(codec.decodeServer(answer.others().get(0))).isEqualTo(event);
        NodeMessage subscribe = codec.read(next(atThere), NodeMessage.class);
        assertThat(subscribe.kind()).isEqualTo(NodeMessage.Kind.SUBSCRIBE);
        assertThat(subscribe.conn()).isNull();
        assertThat(subscribe.convs()).containsExactly(room);
        assertThat(subscribe.seqs()).containsEntry(room, 0L);
        assertThat(subscribe.others()).hasSize(1);
        assertThat(codec.decodeServer(subscribe.others().get(0))).isEqualTo(event);
        assertThat(atThere.poll(300, TimeUnit.MILLISECONDS)).as("nothing else there").isNull();
        assertThat(atHere.poll(300, TimeUnit.MILLISECONDS)).as("nothing ahead of the answer here").isNull();
    }

    /** A room (in MongoDB) with {@code user} as its member. */
    private String memberRoom(UserRef user) {
        String roomId = "lv" + user.id();
        repository.insertRoom(new Room(roomId, "Leaving", user.id(), 1L)).block(WAIT);
        String room = Conversations.room(roomId);
        repository.addMember(room, user.id(), 1L).block(WAIT);
        return room;
    }

    private LinkedBlockingQueue<String> listen(String node) {
        return testRedis.listen(RedisNames.nodeChannel(node));
    }
}
