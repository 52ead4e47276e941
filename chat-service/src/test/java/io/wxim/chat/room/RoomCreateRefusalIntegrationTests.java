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
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * A room create refused at the room limit after the creator's membership was inserted (another device's join got in
 * between the quick count and the count after the insert): its room is deleted, and what a connect of the user's other
 * device may have done with the membership meanwhile is undone, as for a join refused at the limit
 * ({@code RoomLeaveIntegrationTests}). It was not: such a connect left the user online in, and subscribed to, a deleted
 * room until their next disconnect.
 */
@Timeout(60)
class RoomCreateRefusalIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_create_refusals_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final Deliveries deliveries = new Deliveries(redis, codec, props);
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    /** The conversation of the room the create made, once its creator's membership is in. */
    private final AtomicReference<String> made = new AtomicReference<>();

    /**
     * A connect registered the user in the room while its membership existed: the refusal takes the user out of the
     * room's online set and every gateway of the user unsubscribes.
     */
    @Test
    void aCreateRefusedAtTheLimit_takesTheUserOutOfTheRoomAConnectRegisteredThemIn() throws Exception {
        UserRef kay = new UserRef("uk" + run, "Kay", null);
        String node = "gw-k" + run;
        LinkedBlockingQueue<String> atNode = testRedis.listen(RedisNames.nodeChannel(node));
        RoomCommands commands = atLimitOfOne(kay, conv -> presence.connect(kay, node, "k2" + run,
                List.of(Conversations.LOBBY, conv), "", true).then());

        assertThat(refusal(commands, kay, node)).isEqualTo(ErrorCode.TOO_LARGE);

        String conv = made.get();
        assertThat(redis.opsForSet().isMember(RedisNames.online(conv), kay.id()).block(WAIT)).isFalse();
        NodeMessage unsubscribe = codec.read(next(atNode), NodeMessage.class);
        assertThat(unsubscribe.kind()).isEqualTo(NodeMessage.Kind.UNSUBSCRIBE);
        assertThat(unsubscribe.convs()).containsExactly(conv);
    }

    /**
     * A connect that read the memberships while the refused create's membership existed registers after the refusal:
     * it reads them again (the refusal took a new last leave) instead of registering the deleted room and telling it
     * the user's join.
     */
    @Test
    void aConnectThatReadARefusedCreatesMembership_readsAgain_insteadOfRegisteringIt() throws Exception {
        UserRef lou = new UserRef("ul" + run, "Lou", null);
        String node = "gw-l" + run;
        presence.connect(lou, node, "l1" + run, List.of(Conversations.LOBBY), "", true).block(WAIT);
        String leaves = presence.prepare(lou.id(), node, "l2" + run).block(WAIT).leaves(); // l2's connect begins
        RoomCommands commands = atLimitOfOne(lou, conv -> Mono.empty());

        assertThat(refusal(commands, lou, node)).isEqualTo(ErrorCode.TOO_LARGE);

        String conv = made.get();
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(conv));
        PresenceRepository.Connected connected = presence.connect(lou, node, "l2" + run, List.of(Conversations.LOBBY, conv),
                leaves, false, PresenceFrames.online(lou, codec::encode), Set.of(conv),
                () -> PresenceFrames.joined(lou, codec::encode)).block(WAIT);

        assertThat(connected.outcome()).isEqualTo(PresenceRepository.Connect.MEMBERSHIPS_CHANGED);
        assertThat(redis.opsForSet().isMember(RedisNames.online(conv), lou.id()).block(WAIT)).isFalse();
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("nothing told").isNull();
    }

    /** The undo runs even if deleting the room made for nothing fails (the create then fails with that error). */
    @Test
    void aRefusedCreatesUndoRuns_evenIfDeletingItsRoomFails() {
        UserRef max = new UserRef("ux" + run, "Max", null);
        List<String> undone = new java.util.concurrent.CopyOnWriteArrayList<>();
        RoomService rooms = TestRoomServices.withRoomLimit(racedRepository(max, conv -> Mono.empty(), true), 1,
                Clock.systemUTC());

        Throwable thrown = catchThrowable(() -> rooms.create("Refused", max.id(), "c",
                conv -> Mono.fromRunnable(() -> undone.add(conv))).block(WAIT));

        assertThat(thrown).hasMessageContaining("MongoDB is down");
        assertThat(undone).containsExactly(made.get());
    }

    /**
     * Room commands with a limit of one room, where {@code user}'s other device joins another room between the create's
     * quick count and its membership's insert (so the count after the insert refuses it), and {@code meanwhile} runs
     * with the made room's conversation once the creator's membership is in.
     */
    private RoomCommands atLimitOfOne(UserRef user, Function<String, Mono<Void>> meanwhile) {
        return new RoomCommands(TestRoomServices.withRoomLimit(racedRepository(user, meanwhile, false), 1, Clock.systemUTC()),
                presence, TestHistory.knowingNoMessages(props), deliveries, props);
    }

    /** As {@link #atLimitOfOne}'s repository; {@code deleteFails}: deleting a room fails (MongoDB down). */
    private RoomRepository racedRepository(UserRef user, Function<String, Mono<Void>> meanwhile, boolean deleteFails) {
        String other = Conversations.room("o" + run);
        return new RoomRepository(MONGO.template(), props) {
            @Override
            public Mono<Void> deleteRoom(String roomId) {
                return deleteFails ? Mono.error(new IllegalStateException("MongoDB is down")) : super.deleteRoom(roomId);
            }

            @Override
            public Mono<Boolean> addMember(String conv, String userId, long now) {
                if (!userId.equals(user.id()) || conv.equals(other)) {
                    return super.addMember(conv, userId, now);
                }
                return insertRoom(new Room("o" + run, "Other", "owner" + run, 1L))
                        .then(super.addMember(other, userId, now)) // the other device's join
                        .then(super.addMember(conv, userId, now))
                        .flatMap(added -> Mono.fromRunnable(() -> made.set(conv)).then(meanwhile.apply(conv))
                                .thenReturn(added));
            }
        };
    }

    private ErrorCode refusal(RoomCommands commands, UserRef user, String node) {
        ClientFrame.CreateRoom create = new ClientFrame.CreateRoom("c", "Refused");
        Throwable thrown = catchThrowable(() -> commands.create(
                new Command(Command.Event.FRAME, node, "x1" + run, 3, user, create), create).block(WAIT));
        assertThat(thrown).isInstanceOf(ProtocolException.class);
        assertThat(made.get()).as("the room was made and its membership inserted").isNotNull();
        return ((ProtocolException) thrown).code();
    }
}
