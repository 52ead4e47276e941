package io.wxim.chat.session;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.message.HistoryClient;
import io.wxim.chat.message.TestHistory;
import io.wxim.chat.message.LastSeqs;
import io.wxim.chat.pair.PairRecords;
import io.wxim.chat.pair.PairRepository;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.KnownMembers;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.room.RoomService;
import io.wxim.chat.routing.Deliveries;
import java.time.Clock;
import java.time.Duration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** A {@link SessionService} on a real Redis and MongoDB, for tests; history knows no messages (every last seq is 0). */
final class TestSessions {
    private TestSessions() {
    }

    static SessionService create(ReactiveStringRedisTemplate redis, ChatProperties props, PresenceRepository presence,
                                 ProfileService profiles, Deliveries deliveries, RoomRepository rooms,
                                 DirectService directs) {
        RoomService roomService = new RoomService(rooms, props, Clock.systemUTC(),
                KnownMembers.local(Duration.ofSeconds(10), System::nanoTime));
        HistoryClient history = TestHistory.knowingNoMessages(props);
        return new SessionService(presence, roomService, profiles, directs,
                new LastSeqs(history), deliveries,
                new PairRecords(new PairRepository(redis, props), directs, Clock.systemUTC()), props, Clock.systemUTC());
    }
}
