package io.wxim.chat.room;

import io.wxim.chat.config.ChatProperties;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/** A {@link RoomService} for tests: the default settings but the room limit, on {@code repository} and {@code clock}. */
final class TestRoomServices {
    /** For a {@link RoomService#create} whose refusal at the limit has no Redis side to undo (no presence here). */
    static final Function<String, Mono<Void>> NOTHING_TO_UNDO = conv -> Mono.empty();

    private TestRoomServices() {
    }

    static RoomService withRoomLimit(RoomRepository repository, int maxRoomsPerUser, Clock clock) {
        ChatProperties d = ChatProperties.defaults();
        ChatProperties props = new ChatProperties(d.consumerName(), d.stream(), d.history(), d.redisTimeout(),
                d.mongoTimeout(), d.lobbyName(), d.maxRoomsListed(), d.maxMembersListed(), d.heartbeatSeconds(),
                d.commandDeadline(), maxRoomsPerUser, d.pair(), d.recallWindow(), d.typingInterval(),
                d.maxConversationsListed(), d.crowd(), d.nodeSweepInterval());
        return new RoomService(repository, props, clock, KnownMembers.local(Duration.ofSeconds(10), System::nanoTime));
    }
}
