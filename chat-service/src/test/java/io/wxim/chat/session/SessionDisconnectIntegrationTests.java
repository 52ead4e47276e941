package io.wxim.chat.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.direct.PeersRepository;
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
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * A DISCONNECT against a real Redis and MongoDB: the user's rooms are told the user went offline in the step that takes
 * the user offline. They used to be told in a second step: when it failed, the DISCONNECT's redelivery found the user
 * offline already and announced nothing, so the announcements were lost for good.
 */
@Timeout(60)
class SessionDisconnectIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_disconnects_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    private final ProfileService profiles = new ProfileService(MONGO.template(), redis, props, Clock.systemUTC());
    private final RoomRepository rooms = new RoomRepository(MONGO.template(), props);
    private final DirectService directs = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
            Clock.systemUTC());

    @Test
    void theRoomsAreToldTheUserWentOffline_evenWhenPublishingAfterTheStepFails() throws Exception {
        UserRef dora = new UserRef("udo" + run, "Dora \"the\" \"online\":1", null);
        UserRef ed = new UserRef("ued" + run, "Ed", null);
        String node = "gw-" + run;
        String room = Conversations.room("off" + run);
        rooms.insertRoom(new Room("off" + run, "Offline", dora.id(), 1L)).block(WAIT);
        rooms.addMember(room, dora.id(), 1L).block(WAIT);
        rooms.addMember(room, ed.id(), 1L).block(WAIT);
        SessionService sessions = TestSessions.create(redis, props, presence, profiles, new Deliveries(redis, codec, props),
                rooms, directs);
        sessions.connect(new Command(Command.Event.CONNECT, node, "d-" + run, 1, dora, null)).block(WAIT);
        sessions.connect(new Command(Command.Event.CONNECT, node, "e-" + run, 1, ed, null)).block(WAIT);
        LinkedBlockingQueue<String> inRoom = testRedis.listen(RedisNames.convChannel(room));
        // publishing to conversations fails (outside a script) for this DISCONNECT
        Deliveries failing = new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toConversation(String conv, ServerFrame frame) {
                return Mono.error(new IllegalStateException("publish failed"));
            }
        };
        Command disconnect = new Command(Command.Event.DISCONNECT, node, "d-" + run, 0, dora, null);
        try {
            TestSessions.create(redis, props, presence, profiles, failing, rooms, directs).disconnect(disconnect).block(WAIT);
        } catch (IllegalStateException e) {
            // failed (as before the change): the stream redelivers it
        }
        sessions.disconnect(disconnect).block(WAIT); // the redelivery

        String announced = inRoom.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(announced).as("dora's going offline announced in the room").isNotNull();
        assertThat(codec.decodeServer(announced)).isEqualTo(new ServerFrame.Presence(room, dora, "offline", 1));
        assertThat(inRoom.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
        assertThat(presence.status(dora.id()).block(WAIT).online()).isFalse();
        assertThat(presence.onlineCount(room).block(WAIT)).isEqualTo(1L);
    }
}
