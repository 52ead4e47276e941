package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.ErrorCode;
import io.wxim.protocol.ProtocolException;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The room limit under concurrent joins and creates of one user (several devices) against MongoDB: each used to count
 * the user's rooms, then insert, so all of them could see room for one more and together pass the limit.
 */
@Timeout(60)
class RoomLimitIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int LIMIT = 5;
    private static final int HELD = LIMIT - 2;
    private static final int JOINS = 6;
    private static final int CREATES = 4;
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_limits_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String user = "u" + run;

    /**
     * Every insert of the user's membership waits until all of them have checked the limit and arrived at their insert
     * (the widest race there is): the user still ends within the limit, and every one refused answers too_large.
     */
    @Test
    void concurrentJoinsAndCreatesAtTheLimitsEdgeNeverEndAboveIt() {
        Sinks.Empty<Void> allArrived = Sinks.empty();
        AtomicInteger arrived = new AtomicInteger();
        RoomRepository repository = new RoomRepository(MONGO.template(), ChatProperties.defaults()) {
            @Override
            public Mono<Boolean> addMember(String conv, String userId, long now) {
                if (!userId.equals(user)) {
                    return super.addMember(conv, userId, now);
                }
                if (arrived.incrementAndGet() == JOINS + CREATES) {
                    allArrived.tryEmitEmpty();
                }
                return allArrived.asMono().then(super.addMember(conv, userId, now));
            }
        };
        RoomRepository plain = new RoomRepository(MONGO.template(), ChatProperties.defaults());
        for (int i = 0; i < HELD + JOINS; i++) {
            plain.insertRoom(new Room("lim" + i + run, "Room " + i, "owner" + run, 1L)).block(WAIT);
        }
        for (int i = 0; i < HELD; i++) {
            plain.addMember(Conversations.room("lim" + i + run), user, 1L).block(WAIT);
        }
        RoomService rooms = TestRoomServices.withRoomLimit(repository, LIMIT, Clock.systemUTC());

        List<Mono<String>> attempts = new ArrayList<>();
        for (int i = HELD; i < HELD + JOINS; i++) {
            attempts.add(outcome(rooms.join(Conversations.room("lim" + i + run), user).map(j -> "joined")));
        }
        List<String> undone = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < CREATES; i++) {
            attempts.add(outcome(rooms.create("Made " + i, user, null, conv -> Mono.fromRunnable(() -> undone.add(conv)))
                    .map(r -> "joined")));
        }
        List<String> outcomes = Flux.mergeSequential(attempts).collectList().block(WAIT);

        long inRooms = plain.countRoomMemberships(user).block(WAIT);
        assertThat(outcomes).hasSize(JOINS + CREATES).allMatch(o -> o.equals("joined") || o.equals("too_large"));
        assertThat(inRooms).isLessThanOrEqualTo(LIMIT).isEqualTo(HELD + outcomes.stream().filter("joined"::equals).count());
        assertThat(plain.listRooms(1_000).filter(r -> r.createdBy().equals(user)).count().block(WAIT))
                .as("a room made for a refused create is gone").isEqualTo(outcomes.subList(JOINS, JOINS + CREATES).stream()
                        .filter("joined"::equals).count());
        assertThat(undone).as("each create refused after its insert had its room's Redis side undone, once")
                .doesNotHaveDuplicates()
                .hasSize((int) outcomes.subList(JOINS, JOINS + CREATES).stream().filter("too_large"::equals).count())
                .allSatisfy(conv -> assertThat(plain.findRoom(conv.substring(Conversations.ROOM_PREFIX.length()))
                        .block(WAIT)).as("its room is gone").isNull());
    }

    /** "joined", or the refusal's error code. */
    private static Mono<String> outcome(Mono<String> attempt) {
        return attempt.onErrorResume(ProtocolException.class, e -> Mono.just(e.code() == ErrorCode.TOO_LARGE ? "too_large"
                : e.code().name()));
    }
}
