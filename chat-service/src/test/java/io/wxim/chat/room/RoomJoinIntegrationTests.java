package io.wxim.chat.room;

import static io.wxim.chat.room.TestRoomServices.NOTHING_TO_UNDO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What a join reads: the room once per instance, the user's rooms once per join, nothing for the first send after. */
@Timeout(60)
class RoomJoinIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_joins_");
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger roomReads = new AtomicInteger();
    private final AtomicInteger roomsOfReads = new AtomicInteger();
    private final AtomicInteger memberReads = new AtomicInteger();
    private final AtomicInteger inserts = new AtomicInteger();
    private final RoomRepository repository = counting();

    @Test
    void aRoomIsReadOncePerInstance_aRejoinInsertsNothing_andTheJoinerNeedsNoReadToSend() {
        Room room = service(100).create("Hall", "owner" + run, null, NOTHING_TO_UNDO).block(WAIT);
        String conv = "r:" + room.id();
        RoomService other = service(100); // another chat-service instance: it has not seen the room

        assertThat(other.join(conv, "a" + run).block(WAIT)).isEqualTo(new RoomService.Joined("Hall", true));
        assertThat(other.join(conv, "b" + run).block(WAIT)).isEqualTo(new RoomService.Joined("Hall", true));
        assertThat(other.join(conv, "a" + run).block(WAIT)).isEqualTo(new RoomService.Joined("Hall", false));
        assertThat(roomReads).hasValue(1);
        assertThat(roomsOfReads).hasValue(3); // one per join
        assertThat(inserts).hasValue(3); // the owner's at create, a's and b's; the rejoin none

        assertThat(other.isMember(conv, "b" + run).block(WAIT)).isTrue();
        assertThat(memberReads).hasValue(0);

        other.leave(conv, "b" + run).block(WAIT);
        assertThat(other.isMember(conv, "b" + run).block(WAIT)).isFalse();
        assertThat(memberReads).hasValue(1);
    }

    @Test
    void aRoomNotFoundIsNotRemembered() {
        String roomId = "late" + run;
        RoomService rooms = service(100);
        assertThatThrownBy(() -> rooms.join("r:" + roomId, "a" + run).block(WAIT))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));

        repository.insertRoom(new Room(roomId, "Late", "owner" + run, 1)).block(WAIT); // created on another instance
        assertThat(rooms.join("r:" + roomId, "a" + run).block(WAIT)).isEqualTo(new RoomService.Joined("Late", true));
    }

    @Test
    void atTheRoomLimitAJoinIsRefused_butAMemberBeyondALoweredLimitRejoins() {
        String user = "u" + run;
        for (String id : new String[] {"a", "b", "c"}) {
            repository.insertRoom(new Room(id + run, id, "owner" + run, 1)).block(WAIT);
        }
        RoomService limitTwo = service(2);
        limitTwo.join("r:a" + run, user).block(WAIT);
        limitTwo.join("r:b" + run, user).block(WAIT);

        assertThatThrownBy(() -> limitTwo.join("r:c" + run, user).block(WAIT))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
        assertThat(memberReads).hasValue(1); // at the limit: the one check by id
        assertThat(repository.isMember("r:c" + run, user).block(WAIT)).isFalse(); // (counted too: 2)

        // the limit lowered to one: the limited read finds one of the two rooms, so one rejoin checks the other by id
        RoomService limitOne = service(1);
        assertThat(limitOne.join("r:a" + run, user).block(WAIT)).isEqualTo(new RoomService.Joined("a", false));
        assertThat(limitOne.join("r:b" + run, user).block(WAIT)).isEqualTo(new RoomService.Joined("b", false));
        assertThat(memberReads).hasValue(3); // exactly one of the two rejoins needed the check by id
    }

    private RoomRepository counting() {
        return new RoomRepository(MONGO.template(), ChatProperties.defaults()) {
            @Override
            public Mono<Room> findRoom(String roomId) {
                roomReads.incrementAndGet();
                return super.findRoom(roomId);
            }

            @Override
            public Flux<String> roomsOf(String userId, int limit) {
                roomsOfReads.incrementAndGet();
                return super.roomsOf(userId, limit);
            }

            @Override
            public Mono<Boolean> isMember(String conv, String userId) {
                memberReads.incrementAndGet();
                return super.isMember(conv, userId);
            }

            @Override
            public Mono<Boolean> addMember(String conv, String userId, long now) {
                inserts.incrementAndGet();
                return super.addMember(conv, userId, now);
            }
        };
    }

    private RoomService service(int maxRoomsPerUser) {
        return TestRoomServices.withRoomLimit(repository, maxRoomsPerUser, Clock.systemUTC());
    }
}
