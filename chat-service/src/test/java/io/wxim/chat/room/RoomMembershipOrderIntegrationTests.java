package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.command.CommandDeadline;
import io.wxim.chat.command.CommandDispatcher;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.message.HistoryClient;
import io.wxim.chat.message.TestHistory;
import io.wxim.chat.presence.LeaveNews;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * A leave and a join of one room by two devices of one user, through the dispatcher against a real Redis and MongoDB
 * (ADR-35): the leave's Redis step is held up (a slow network between a chat instance and Redis) while the other
 * device's join arrives. The join waits for the leave's lock, so Redis ends as MongoDB does: a member, online in the
 * room, every gateway's unsubscribe before the join's subscribe. Without the lock the join got in between the leave's
 * MongoDB write and its step, and the late step took the member out of the room and unsubscribed their gateways
 * (ADR-34's uncovered case).
 */
@Timeout(60)
class RoomMembershipOrderIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration STEP_HELD_UP = Duration.ofMillis(1500);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_membership_order_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(redis, codec, props);
    private final RoomRepository repository = new RoomRepository(MONGO.template(), props);

    @Test
    void aJoinFromAnotherDevice_waitsForALeaveWhoseStepIsHeldUp_andRedisEndsAsMongoDoes() throws Exception {
        UserRef uma = new UserRef("uu" + run, "Uma", null);
        String room = Conversations.room("mo" + run);
        repository.insertRoom(new Room("mo" + run, "Ordered", "owner" + run, 1L)).block(WAIT);
        repository.addMember(room, uma.id(), 1L).block(WAIT);
        PresenceRepository plain = new PresenceRepository(redis, props);
        String phone = "gw-p" + run;
        String pad = "gw-d" + run;
        plain.connect(uma, phone, "p1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        plain.connect(uma, pad, "d1" + run, List.of(Conversations.LOBBY, room), "", true).block(WAIT);
        LinkedBlockingQueue<String> atPad = testRedis.listen(RedisNames.nodeChannel(pad));
        CommandDispatcher dispatcher = dispatcher(new PresenceRepository(redis, props) {
            @Override
            public Mono<Left> leave(String conv, String userId, LeaveNews news) { // the step arrives late
                return Mono.delay(STEP_HELD_UP).then(super.leave(conv, userId, news));
            }
        });
        long deadline = testRedis.redisMillis() + props.commandDeadline().toMillis();

        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room);
        CompletableFuture<Void> leaving = dispatcher.dispatch(new Command(Command.Event.FRAME, phone, "p1" + run, 5, uma, leave),
                props.commandDeadline()).contextWrite(CommandDeadline.of(deadline)).toFuture();
        awaitRemoved(room, uma.id()); // the leave's MongoDB write is done, its step held up
        ClientFrame.Join join = new ClientFrame.Join("jn", room);
        CompletableFuture<Void> joining = dispatcher.dispatch(new Command(Command.Event.FRAME, pad, "d1" + run, 6, uma, join),
                props.commandDeadline()).contextWrite(CommandDeadline.of(deadline)).toFuture();
        assertThat(leaving).as("the join came while the leave's step was held up").isNotDone();
        leaving.get(10, TimeUnit.SECONDS);
        joining.get(10, TimeUnit.SECONDS);

        assertThat(repository.isMember(room, uma.id()).block(WAIT)).as("MongoDB: the join came last").isTrue();
        assertThat(redis.opsForSet().isMember(RedisNames.online(room), uma.id()).block(WAIT))
                .as("Redis: online in the room, as a member").isTrue();
        List<NodeMessage.Kind> forRoom = new ArrayList<>();
        for (String message = atPad.poll(1, TimeUnit.SECONDS); message != null; message = atPad.poll(300, TimeUnit.MILLISECONDS)) {
            NodeMessage m = codec.read(message, NodeMessage.class);
            if (m.convs() != null && m.convs().contains(room)) {
                forRoom.add(m.kind());
            }
        }
        assertThat(forRoom).as("the pad's gateway: unsubscribed by the leave, then subscribed by the join")
                .containsExactly(NodeMessage.Kind.UNSUBSCRIBE, NodeMessage.Kind.SUBSCRIBE);
    }

    /**
     * A command whose work ended by itself (here a leave answered not_found) releases its lock; one whose work was cut
     * off (its budget ran out while a write could still be on its way) leaves it to lapse at its deadline.
     */
    @Test
    void theLockIsReleasedAfterWorkThatEnded_butLapsesAfterWorkCutOff() throws Exception {
        UserRef vic = new UserRef("uv" + run, "Vic", null);
        String room = Conversations.room("mv" + run);
        repository.insertRoom(new Room("mv" + run, "Cut", "owner" + run, 1L)).block(WAIT);
        String node = "gw-v" + run;
        connectedInTheLobby(vic, node, "v1" + run);
        CommandDispatcher dispatcher = dispatcher(new PresenceRepository(redis, props),
                joinsAnswering(Mono.never())); // a MongoDB write that does not answer
        String lock = RedisNames.membershipLock(vic.id(), room);
        long deadline = testRedis.redisMillis() + props.commandDeadline().toMillis();

        ClientFrame.Leave leave = new ClientFrame.Leave("lv", room); // not a member: not_found, after its step
        dispatcher.dispatch(new Command(Command.Event.FRAME, node, "v1" + run, 1, vic, leave), props.commandDeadline())
                .contextWrite(CommandDeadline.of(deadline)).block(WAIT);
        assertThat(redis.hasKey(lock).block(WAIT)).as("released").isFalse();

        ClientFrame.Join join = new ClientFrame.Join("jn", room);
        dispatcher.dispatch(new Command(Command.Event.FRAME, node, "v1" + run, 2, vic, join), Duration.ofMillis(300))
                .contextWrite(CommandDeadline.of(deadline)).block(WAIT);
        Duration left = redis.getExpire(lock).block(WAIT);
        assertThat(left).as("kept until the deadline").isNotNull();
        assertThat(left.toMillis()).isPositive().isLessThanOrEqualTo(props.commandDeadline().toMillis());
    }

    /**
     * Work that fails with a timeout well before the deadline (a MongoDB or Redis call that did not answer in time, its
     * write possibly still on its way) keeps the lock until the deadline, as work cut off by its budget does.
     */
    @Test
    void theLockIsKeptAfterATimeoutInsideTheWork() {
        UserRef wes = new UserRef("uw" + run, "Wes", null);
        String room = Conversations.room("mw" + run);
        String node = "gw-w" + run;
        connectedInTheLobby(wes, node, "w1" + run);
        CommandDispatcher dispatcher = dispatcher(new PresenceRepository(redis, props),
                joinsAnswering(Mono.error(new TimeoutException("the membership insert did not answer"))));
        long deadline = testRedis.redisMillis() + props.commandDeadline().toMillis();

        ClientFrame.Join join = new ClientFrame.Join("jn", room);
        dispatcher.dispatch(new Command(Command.Event.FRAME, node, "w1" + run, 1, wes, join), props.commandDeadline())
                .contextWrite(CommandDeadline.of(deadline)).block(WAIT);

        Duration left = redis.getExpire(RedisNames.membershipLock(wes.id(), room)).block(WAIT);
        assertThat(left).as("kept").isNotNull();
        assertThat(left.toMillis()).as("until the deadline").isGreaterThan(props.commandDeadline().toMillis() / 2);
    }

    /** A join whose room's last seq cannot be read (history down) is refused before anything is written. */
    @Test
    void aJoinThatCannotReadItsRoomsSeq_writesNothing() throws Exception {
        UserRef xia = new UserRef("ux" + run, "Xia", null);
        String room = Conversations.room("mx" + run);
        repository.insertRoom(new Room("mx" + run, "Quiet", "owner" + run, 1L)).block(WAIT);
        String node = "gw-x" + run;
        connectedInTheLobby(xia, node, "x1" + run);
        LinkedBlockingQueue<String> atNode = testRedis.listen(RedisNames.nodeChannel(node));
        CommandDispatcher dispatcher = dispatcher(new PresenceRepository(redis, props), roomService(),
                Mono.error(new ProtocolException(ErrorCode.UNAVAILABLE, "history did not answer")));

        ClientFrame.Join join = new ClientFrame.Join("jn", room);
        dispatcher.dispatch(new Command(Command.Event.FRAME, node, "x1" + run, 1, xia, join), props.commandDeadline())
                .contextWrite(CommandDeadline.of(testRedis.redisMillis() + props.commandDeadline().toMillis())).block(WAIT);

        NodeMessage reply = codec.read(TestRedis.next(atNode), NodeMessage.class);
        assertThat(reply.kind()).isEqualTo(NodeMessage.Kind.REPLY);
        assertThat(codec.decodeServer(reply.frames().get(0))).isInstanceOfSatisfying(ServerFrame.Error.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE.wire()));
        assertThat(repository.isMember(room, xia.id()).block(WAIT)).as("not a member").isFalse();
        assertThat(redis.opsForSet().isMember(RedisNames.online(room), xia.id()).block(WAIT)).as("not online").isFalse();
    }

    private void connectedInTheLobby(UserRef user, String node, String conn) {
        new PresenceRepository(redis, props).connect(user, node, conn, List.of(Conversations.LOBBY), "", true).block(WAIT);
    }

    private void awaitRemoved(String room, String userId) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (Boolean.TRUE.equals(repository.isMember(room, userId).block(WAIT))) {
            assertThat(System.nanoTime()).as("the leave's MongoDB write").isLessThan(until);
            Thread.sleep(20);
        }
    }

    /** A dispatcher for room commands only (the other command kinds are not sent here); history knows no messages. */
    private CommandDispatcher dispatcher(PresenceRepository presence) {
        return dispatcher(presence, roomService());
    }

    private RoomService roomService() {
        return new RoomService(repository, props, Clock.systemUTC(), KnownMembers.local(Duration.ofSeconds(10), System::nanoTime));
    }

    /** Room service whose join answers {@code outcome} (writing nothing). */
    private RoomService joinsAnswering(Mono<RoomService.Joined> outcome) {
        return new RoomService(repository, props, Clock.systemUTC(), KnownMembers.local(Duration.ofSeconds(10), System::nanoTime)) {
            @Override
            public Mono<Joined> join(String conv, String userId) {
                return outcome;
            }
        };
    }

    private CommandDispatcher dispatcher(PresenceRepository presence, RoomService service) {
        return dispatcher(presence, service, Mono.just(Map.of()));
    }

    /** {@code seqs}: what history answers for a room's last seq. */
    private CommandDispatcher dispatcher(PresenceRepository presence, RoomService service, Mono<Map<String, Long>> seqs) {
        HistoryClient history = TestHistory.answering(props, seqs);
        RoomCommands rooms = new RoomCommands(service, presence, history, deliveries, props);
        return new CommandDispatcher(null, rooms, null, null, null, null, deliveries, new MembershipLocks(redis, props), props);
    }
}
