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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A {@code create} with a rid is answered with the room it made when it is a retry (the same user, rid and name within
 * the retry window, across a window's edge too, and at the room limit), and makes a new room otherwise: a rid used
 * again later (clients number rids anew at each start) or with another name.
 */
@Timeout(60)
class RoomCreateIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long WINDOW = RoomService.CREATE_RETRY_WINDOW.toMillis();
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_creates_");
    private final String user = "u" + UUID.randomUUID().toString().substring(0, 8);
    /** Now, in ms: moved by hand; starts in the middle of a window. */
    private final AtomicLong now = new AtomicLong((System.currentTimeMillis() / WINDOW) * WINDOW + WINDOW / 2);
    private final RoomRepository repository = new RoomRepository(MONGO.template(), ChatProperties.defaults());

    @Test
    void aRetryGetsTheRoomItMade_aRidUsedAgainAfterTheWindowOrWithAnotherName_anotherRoom() {
        RoomService rooms = service(100);
        Room tea = rooms.create("Tea room", user, "q3", NOTHING_TO_UNDO).block(WAIT);
        now.addAndGet(60_000);
        assertThat(rooms.create("Tea room", user, "q3", NOTHING_TO_UNDO).block(WAIT)).isEqualTo(tea);

        Room books = rooms.create("Book club", user, "q3", NOTHING_TO_UNDO).block(WAIT); // the next start's first create, same rid
        assertThat(books.id()).isNotEqualTo(tea.id());
        assertThat(books.name()).isEqualTo("Book club");

        now.addAndGet(WINDOW + 1);
        Room later = rooms.create("Tea room", user, "q3", NOTHING_TO_UNDO).block(WAIT); // a rid used again later: a new room
        assertThat(later.id()).isNotIn(tea.id(), books.id());
    }

    @Test
    void aCreateAfterTheUserLeftTheRoomItsRidMade_makesANewRoom_insteadOfRejoiningIt() {
        RoomService rooms = service(100);
        Room tea = rooms.create("Tea room", user, "q3", NOTHING_TO_UNDO).block(WAIT);
        rooms.leave("r:" + tea.id(), user).block(WAIT);
        now.addAndGet(60_000); // within the window

        Room again = rooms.create("Tea room", user, "q3", NOTHING_TO_UNDO).block(WAIT);
        assertThat(again.id()).isNotEqualTo(tea.id());
        assertThat(again.name()).isEqualTo("Tea room");
        assertThat(repository.isMember("r:" + tea.id(), user).block(WAIT)).isFalse();
        assertThat(repository.isMember("r:" + again.id(), user).block(WAIT)).isTrue();
    }

    @Test
    void aRetryOnAnInstanceWhoseClockIsBehind_acrossAWindowsEdge_getsTheSameRoom() {
        RoomService ahead = service(100);
        now.set((now.get() / WINDOW) * WINDOW + 30_000); // 30 s into a window
        Room made = ahead.create("Skew", user, "c9", NOTHING_TO_UNDO).block(WAIT);
        now.addAndGet(-90_000); // the retry lands on an instance whose clock is 90 s behind: the window before
        assertThat(ahead.create("Skew", user, "c9", NOTHING_TO_UNDO).block(WAIT)).isEqualTo(made);
    }

    @Test
    void aRetryAcrossAWindowsEdge_getsTheSameRoom() {
        RoomService rooms = service(100);
        now.set((now.get() / WINDOW) * WINDOW + WINDOW - 1_000); // a second before the window ends
        Room made = rooms.create("Edge", user, "c1", NOTHING_TO_UNDO).block(WAIT);
        now.addAndGet(2_000);
        assertThat(rooms.create("Edge", user, "c1", NOTHING_TO_UNDO).block(WAIT)).isEqualTo(made);
    }

    @Test
    void aRetryOfTheCreateThatReachedTheRoomLimit_getsItsRoom_anotherCreateIsRefused() {
        RoomService rooms = service(1);
        Room made = rooms.create("Only", user, "c1", NOTHING_TO_UNDO).block(WAIT);
        assertThat(rooms.create("Only", user, "c1", NOTHING_TO_UNDO).block(WAIT)).isEqualTo(made);
        assertThatThrownBy(() -> rooms.create("Second", user, "c2", NOTHING_TO_UNDO).block(WAIT))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
    }

    private RoomService service(int maxRoomsPerUser) {
        Clock clock = new Clock() { // now, as the test moves it
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        return TestRoomServices.withRoomLimit(repository, maxRoomsPerUser, clock);
    }
}
