package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;

/** A connect's memberships in one read, and the same answer from the two bounded reads when there are many. */
class RoomMembershipsIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_memberships_");
    private final String user = "u" + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger oneRead = new AtomicInteger();
    private final AtomicInteger boundedReads = new AtomicInteger();

    @Test
    void oneReadWhileBelowTheBound_twoBoundedReadsAtIt_sameAnswer() {
        RoomRepository repository = counting(ChatProperties.defaults());
        long t = 1_000;
        for (String conv : List.of("r:a", "d:x", "r:b", "p:y", "d:z")) {
            repository.addMember(conv, user, t++).block(WAIT);
        }
        Memberships expected = new Memberships(List.of("r:lobby", "r:a", "r:b"), List.of("d:z", "p:y", "d:x"),
                Map.of("r:a", 1_000L, "r:b", 1_002L));

        assertThat(service(repository, 3, 3).membershipsOf(user).block(WAIT)).isEqualTo(expected); // bound 6 > 5
        assertThat(oneRead).hasValue(1);
        assertThat(boundedReads).hasValue(0);

        assertThat(service(repository, 3, 2).membershipsOf(user).block(WAIT)) // bound 5 = 5: not all in hand
                .isEqualTo(new Memberships(expected.rooms(), List.of("d:z", "p:y"), expected.roomsJoinedAt()));
        assertThat(oneRead).hasValue(2);
        assertThat(boundedReads).hasValue(2);
    }

    @Test
    void aNewUserIsInTheLobbyOnly() {
        assertThat(service(counting(ChatProperties.defaults()), 100, 300).membershipsOf("nobody" + user).block(WAIT))
                .isEqualTo(new Memberships(List.of("r:lobby"), List.of(), Map.of()));
    }

    private RoomRepository counting(ChatProperties props) {
        return new RoomRepository(MONGO.template(), props) {
            @Override
            public Flux<Membership> membershipsOf(String userId, int limit) {
                oneRead.incrementAndGet();
                return super.membershipsOf(userId, limit);
            }

            @Override
            public Flux<Membership> roomMembershipsOf(String userId) {
                boundedReads.incrementAndGet();
                return super.roomMembershipsOf(userId);
            }

            @Override
            public Flux<String> directsOf(String userId, int limit) {
                boundedReads.incrementAndGet();
                return super.directsOf(userId, limit);
            }
        };
    }

    private static RoomService service(RoomRepository repository, int maxRoomsPerUser, int maxConversationsListed) {
        ChatProperties d = ChatProperties.defaults();
        ChatProperties props = new ChatProperties(d.consumerName(), d.stream(), d.history(), d.redisTimeout(),
                d.mongoTimeout(), d.lobbyName(), d.maxRoomsListed(), d.maxMembersListed(), d.heartbeatSeconds(),
                d.commandDeadline(), maxRoomsPerUser, d.pair(), d.recallWindow(), d.typingInterval(),
                maxConversationsListed, d.crowd(), d.nodeSweepInterval());
        return new RoomService(repository, props, Clock.systemUTC(), KnownMembers.local(Duration.ofSeconds(10), System::nanoTime));
    }
}
