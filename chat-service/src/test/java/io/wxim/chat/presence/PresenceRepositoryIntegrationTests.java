package io.wxim.chat.presence;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.test.StepVerifier;

/** Presence transitions against a real Redis: atomic, idempotent, and safe when commands arrive out of order. */
class PresenceRepositoryIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private LettuceConnectionFactory factory;
    private ReactiveStringRedisTemplate redis;
    private PresenceRepository presence;
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final UserRef alice = new UserRef("ua" + suffix, "Alice", null);
    private final List<String> convs = List.of("r:lobby" + suffix, "r:room" + suffix);

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        redis = new ReactiveStringRedisTemplate(factory);
        presence = new PresenceRepository(redis, ChatProperties.defaults());
    }

    @AfterEach
    void tearDown() {
        factory.destroy();
    }

    @Test
    void comesOnlineOnce_andGoesOfflineWithTheLastConnection() {
        StepVerifier.create(outcome(presence.connect(alice, "gw1", "c1", convs, "", true))).expectNext(PresenceRepository.Connect.CAME_ONLINE).verifyComplete();
        StepVerifier.create(outcome(presence.connect(alice, "gw1", "c1", convs, "", true))).expectNext(PresenceRepository.Connect.ALREADY_ONLINE).verifyComplete();
        StepVerifier.create(outcome(presence.connect(alice, "gw2", "c2", convs, "", true))).expectNext(PresenceRepository.Connect.ALREADY_ONLINE).verifyComplete();
        assertThat(online()).containsExactly(1L, 1L);

        StepVerifier.create(offline(presence.disconnect(alice.id(), "gw", "c1", convs, 1000L))).expectNext(false).verifyComplete();
        assertThat(online()).containsExactly(1L, 1L); // still connected through c2
        assertThat(presence.status(alice.id()).block(Duration.ofSeconds(5)).online()).isTrue();
        StepVerifier.create(offline(presence.disconnect(alice.id(), "gw", "c2", convs, 1000L))).expectNext(true).verifyComplete();
        assertThat(presence.status(alice.id()).block(Duration.ofSeconds(5)))
                .isEqualTo(new PresenceRepository.Status(false, 1000L)); // last seen: when the last connection closed
        StepVerifier.create(offline(presence.disconnect(alice.id(), "gw", "c2", convs, 1000L))).expectNext(false).verifyComplete(); // redelivery
        assertThat(online()).containsExactly(0L, 0L);
        StepVerifier.create(redis.hasKey(RedisNames.connections(alice.id()))).expectNext(false).verifyComplete();
    }

    /**
     * A user in a pair session who goes offline gets the session's grace period in the same step as the disconnect:
     * when it was a second call after it, a failure in between left the session active for good (a rerun of the
     * DISCONNECT finds the user offline already and changes nothing).
     */
    @Test
    void goingOfflineInAPairSession_startsItsGracePeriod_inTheSameStep() {
        UserRef bob = new UserRef("ub" + suffix, "Bob", null);
        long grace = ChatProperties.defaults().pair().grace().toMillis();
        redis.opsForValue().set(RedisNames.pairOf(alice.id()), "p:x" + suffix).block(WAIT);
        presence.connect(alice, "gw1", "c1" + suffix, convs, "", true).block(WAIT);
        presence.connect(alice, "gw2", "c2" + suffix, convs, "", true).block(WAIT);
        presence.connect(bob, "gw1", "c3" + suffix, convs, "", true).block(WAIT);
        try {
            presence.disconnect(alice.id(), "gw1", "c1" + suffix, convs, 1000L).block(WAIT);
            assertThat(lostDeadline(alice.id())).as("still online through c2").isNull();

            presence.disconnect(alice.id(), "gw2", "c2" + suffix, convs, 2000L).block(WAIT);
            assertThat(lostDeadline(alice.id())).isEqualTo((double) (2000L + grace));
            presence.disconnect(alice.id(), "gw2", "c2" + suffix, convs, 9000L).block(WAIT); // a rerun
            assertThat(lostDeadline(alice.id())).isEqualTo((double) (2000L + grace));

            presence.disconnect(bob.id(), "gw1", "c3" + suffix, convs, 2000L).block(WAIT);
            assertThat(lostDeadline(bob.id())).as("in no pair session").isNull();
        } finally {
            redis.delete(RedisNames.pairOf(alice.id())).block(WAIT);
            redis.opsForZSet().remove(RedisNames.PAIR_LOST, alice.id(), bob.id()).block(WAIT);
        }
    }

    private Double lostDeadline(String userId) {
        return redis.opsForZSet().score(RedisNames.PAIR_LOST, userId).block(WAIT);
    }

    @Test
    void tellsAClosedConnection_soAStaleConnectCanBeSkipped() {
        assertThat(presence.prepare(alice.id(), "gw1", "c-open" + suffix).block(WAIT).closed()).isFalse();
        StepVerifier.create(outcome(presence.connect(alice, "gw1", "c-x" + suffix, convs, "", true))).expectNext(PresenceRepository.Connect.CAME_ONLINE).verifyComplete();
        assertThat(presence.prepare(alice.id(), "gw1", "c-x" + suffix).block(WAIT).closed()).isFalse();
        StepVerifier.create(offline(presence.disconnect(alice.id(), "gw", "c-x" + suffix, convs, 1000L))).expectNext(true).verifyComplete();
        assertThat(presence.prepare(alice.id(), "gw1", "c-x" + suffix).block(WAIT).closed()).isTrue();
    }

    /**
     * Prepared, a connection is one being set up: deliveries reach it (chat's to_users.lua reads that hash too), but
     * presence is unchanged until the connect completes, which moves it to the user's connections.
     */
    @Test
    void aConnectionBeingSetUpIsReachable_andPresentOnlyOnceConnected() {
        assertThat(presence.prepare(alice.id(), "gw1", "c-r" + suffix).block(WAIT).closed()).isFalse();
        assertThat(redis.<String, String>opsForHash().entries(RedisNames.connecting(alice.id()))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue).block(WAIT)).isEqualTo(Map.of("c-r" + suffix, "gw1"));
        assertThat(redis.getExpire(RedisNames.connecting(alice.id())).block(WAIT)).isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
        assertThat(presence.status(alice.id()).block(WAIT).online()).isFalse();

        StepVerifier.create(outcome(presence.connect(alice, "gw1", "c-r" + suffix, convs, "", true))).expectNext(PresenceRepository.Connect.CAME_ONLINE).verifyComplete();
        StepVerifier.create(redis.hasKey(RedisNames.connecting(alice.id()))).expectNext(false).verifyComplete();
        assertThat(presence.status(alice.id()).block(WAIT).online()).isTrue();
    }

    /** A DISCONNECT during the set-up: no presence change to announce, nothing left reachable, the connect is skipped. */
    @Test
    void aConnectionClosedWhileBeingSetUpLeavesNothing() {
        presence.prepare(alice.id(), "gw1", "c-d" + suffix).block(WAIT);
        StepVerifier.create(offline(presence.disconnect(alice.id(), "gw", "c-d" + suffix, convs, 1000L))).expectNext(false).verifyComplete();
        StepVerifier.create(redis.hasKey(RedisNames.connecting(alice.id()))).expectNext(false).verifyComplete();
        StepVerifier.create(presence.connect(alice, "gw1", "c-d" + suffix, convs, "", true))
                .expectNext(new PresenceRepository.Connected(PresenceRepository.Connect.ALREADY_CLOSED, "", List.of()))
                .verifyComplete();
        assertThat(presence.prepare(alice.id(), "gw1", "c-d" + suffix).block(WAIT).closed()).isTrue(); // a redelivery
        StepVerifier.create(redis.hasKey(RedisNames.connecting(alice.id()))).expectNext(false).verifyComplete();
        StepVerifier.create(redis.hasKey(RedisNames.connections(alice.id()))).expectNext(false).verifyComplete();
        assertThat(online()).containsExactly(0L, 0L);
    }

    @Test
    void ignoresAConnectProcessedAfterItsDisconnect() {
        StepVerifier.create(offline(presence.disconnect(alice.id(), "gw", "c9", convs, 1000L))).expectNext(false).verifyComplete();
        StepVerifier.create(presence.connect(alice, "gw1", "c9", convs, "", true))
                .expectNext(new PresenceRepository.Connected(PresenceRepository.Connect.ALREADY_CLOSED, "", List.of()))
                .verifyComplete();
        assertThat(online()).containsExactly(0L, 0L);
        StepVerifier.create(redis.hasKey(RedisNames.connections(alice.id()))).expectNext(false).verifyComplete();
    }

    @Test
    void preparesWithTheCachedProfile() {
        PresenceRepository.Prepared fresh = presence.prepare(alice.id(), "gw1", "c-p" + suffix).block(WAIT);
        assertThat(fresh).isEqualTo(new PresenceRepository.Prepared(false,
                java.util.Map.of("stored", "", "nickname", "", "avatarUrl", ""), ""));
        redis.opsForHash().putAll(RedisNames.profile(alice.id()), java.util.Map.of("stored", "1", "nickname", "Al",
                "avatarUrl", "https://a/b.png")).block(WAIT);
        assertThat(presence.prepare(alice.id(), "gw1", "c-p" + suffix).block(WAIT)).isEqualTo(new PresenceRepository.Prepared(false,
                java.util.Map.of("stored", "1", "nickname", "Al", "avatarUrl", "https://a/b.png"), ""));
    }

    /**
     * The registration does not write the cached profile ({@code ProfileService.record} does, with its lifetime, when it
     * is new or changed): a profile hash that lapsed between the connect's two steps is not brought back without an
     * expiry, and a profile another device's connect stored between this connect's two steps is not overwritten with
     * this connect's (Redis and MongoDB no longer disagree).
     */
    @Test
    void theRegistrationLeavesTheCachedProfileAlone() {
        String key = RedisNames.profile(alice.id());
        presence.prepare(alice.id(), "gw1", "c-q" + suffix).block(WAIT);
        redis.delete(key).block(WAIT); // lapsed between the two steps
        StepVerifier.create(outcome(presence.connect(alice, "gw1", "c-q" + suffix, convs, "", true)))
                .expectNext(PresenceRepository.Connect.CAME_ONLINE).verifyComplete();
        assertThat(redis.hasKey(key).block(WAIT)).as("no hash without expiry").isFalse();

        redis.opsForHash().putAll(key, Map.of("stored", "1", "nickname", "Newer", "avatarUrl", "")).block(WAIT);
        StepVerifier.create(outcome(presence.connect(alice, "gw1", "c-q2" + suffix, convs, "", true)))
                .expectNext(PresenceRepository.Connect.ALREADY_ONLINE).verifyComplete();
        assertThat(redis.opsForHash().get(key, "nickname").block(WAIT)).isEqualTo("Newer");
    }

    /**
     * What Redis holds of a user lapses 30 days after they were last active: the cached profile from their last
     * connect (its first step refreshes it), the last seen time from their last disconnect; so Redis grows with the
     * users active lately, not with every user who ever connected (both had no expiry).
     */
    @Test
    void aUsersCachedProfileAndLastSeen_lapseThirtyDaysAfterTheirLastActivity() {
        long retention = PresenceRepository.USER_RETENTION.toMillis();
        redis.opsForHash().putAll(RedisNames.profile(alice.id()), Map.of("stored", "1", "nickname", "Al", "avatarUrl", ""))
                .block(WAIT); // written before expiries were set
        presence.prepare(alice.id(), "gw1", "c-r" + suffix).block(WAIT);
        assertThat(redis.getExpire(RedisNames.profile(alice.id())).block(WAIT).toMillis())
                .isBetween(retention - 60_000, retention);

        presence.connect(alice, "gw1", "c-r" + suffix, convs, "", true).block(WAIT);
        presence.disconnect(alice.id(), "gw1", "c-r" + suffix, convs, 1000L).block(WAIT);
        assertThat(redis.getExpire(RedisNames.lastSeen(alice.id())).block(WAIT).toMillis())
                .isBetween(retention - 60_000, retention);
        assertThat(presence.status(alice.id()).block(WAIT)).isEqualTo(new PresenceRepository.Status(false, 1000L));
    }

    @Test
    void connectReadsThePairSessionAndTheOnlineCounts_andEndsThePairGracePeriod() {
        UserRef bob = new UserRef("ub" + suffix, "Bob", null);
        // a deadline far ahead: no sweeper on this Redis may end it first
        redis.opsForZSet().add(RedisNames.PAIR_LOST, alice.id(), System.currentTimeMillis() + 600_000.0).block(WAIT);
        redis.opsForValue().set(RedisNames.pairOf(alice.id()), "p:x" + suffix).block(WAIT);
        presence.connect(bob, "gw1", "cb" + suffix, List.of(convs.get(0)), "", true).block(WAIT);
        PresenceRepository.Connected connected = presence.connect(alice, "gw1", "ca" + suffix, convs, "", true).block(WAIT);
        assertThat(connected).isEqualTo(new PresenceRepository.Connected(PresenceRepository.Connect.CAME_ONLINE,
                "p:x" + suffix, List.of(2L, 1L)));
        assertThat(redis.opsForZSet().score(RedisNames.PAIR_LOST, alice.id()).blockOptional(WAIT)).isEmpty();
        assertThat(presence.connect(bob, "gw1", "cb2" + suffix, List.of(), "", true).block(WAIT))
                .isEqualTo(new PresenceRepository.Connected(PresenceRepository.Connect.ALREADY_ONLINE, "", List.of()));
    }

    /**
     * A leave between a connect's first step (which read the user's last leave) and its registration: the memberships read
     * in between may still list the room, so nothing is registered and the connection stays one being set up; read
     * again, it registers. A connect that registered before the leave is undone by it.
     */
    @Test
    void aConnectThatDidNotSeeALeaveRegistersNothing_andTheLeaveUndoesAnEarlierOne() {
        String room = convs.get(1);
        presence.connect(alice, "gw1", "c1" + suffix, convs, "", true).block(WAIT);
        PresenceRepository.Prepared before = presence.prepare(alice.id(), "gw2", "c2" + suffix).block(WAIT);

        PresenceRepository.Left left = presence.leave(room, alice.id(), false).block(WAIT);
        assertThat(left.online()).isZero();
        assertThat(left.leaves()).isPositive();
        StepVerifier.create(outcome(presence.connect(alice, "gw2", "c2" + suffix, convs, before.leaves(), false)))
                .expectNext(PresenceRepository.Connect.MEMBERSHIPS_CHANGED).verifyComplete();

        assertThat(online()).containsExactly(1L, 0L);
        assertThat(redis.<String, String>opsForHash().get(RedisNames.connecting(alice.id()), "c2" + suffix).block(WAIT))
                .as("still reachable while the memberships are read again").isEqualTo("gw2");
        assertThat(redis.opsForHash().hasKey(RedisNames.connections(alice.id()), "c2" + suffix).block(WAIT)).isFalse();
        assertThat(redis.getExpire(RedisNames.leaves(alice.id())).block(WAIT)).isPositive();

        PresenceRepository.Prepared after = presence.prepare(alice.id(), "gw2", "c2" + suffix).block(WAIT);
        assertThat(after.leaves()).isNotEqualTo(before.leaves());
        assertThat(after.leaves()).isEqualTo(Long.toString(left.leaves()));
        assertThat(presence.connect(alice, "gw2", "c2" + suffix, List.of(convs.get(0)), after.leaves(), false).block(WAIT))
                .as("registered, stating the last leave").isEqualTo(new PresenceRepository.Connected(
                        PresenceRepository.Connect.ALREADY_ONLINE, "", List.of(1L), left.leaves()));
        assertThat(online()).containsExactly(1L, 0L);
        assertThat(redis.opsForHash().hasKey(RedisNames.connecting(alice.id()), "c2" + suffix).block(WAIT)).isFalse();

        // the last read allowed registers all the same, stating the value it was given: the gateway then still holds
        // back a room left after that read (ADR-31)
        presence.prepare(alice.id(), "gw2", "c4" + suffix).block(WAIT);
        PresenceRepository.Left later = presence.leave(convs.get(0), alice.id(), false).block(WAIT);
        assertThat(presence.connect(alice, "gw2", "c4" + suffix, List.of(), after.leaves(), true).block(WAIT))
                .isEqualTo(new PresenceRepository.Connected(PresenceRepository.Connect.ALREADY_ONLINE, "", List.of(),
                        Long.parseLong(after.leaves())));
        assertThat(later.leaves()).isGreaterThan(Long.parseLong(after.leaves()));

        // registered before a leave (its read listed the room): the leave takes the user out all the same
        PresenceRepository.Prepared third = presence.prepare(alice.id(), "gw1", "c3" + suffix).block(WAIT);
        presence.connect(alice, "gw1", "c3" + suffix, convs, third.leaves(), false).block(WAIT);
        assertThat(online()).containsExactly(1L, 1L);
        PresenceRepository.Left again = presence.leave(room, alice.id(), false).block(WAIT);
        assertThat(again.online()).isZero();
        assertThat(again.leaves()).isGreaterThan(left.leaves());
        assertThat(redis.opsForSet().isMember(RedisNames.onlineIn(alice.id()), room).block(WAIT)).isFalse();
    }

    /**
     * The last, forced registration of a connect whose memberships read still listed a room left after it leaves that
     * room out of the online sets (its count answered as -1); a room joined again after its leave is registered.
     */
    @Test
    void aForcedRegistrationLeavesOutARoomLeftAfterTheRead_butNotOneJoinedAgain() {
        String lobby = convs.get(0);
        String room = convs.get(1);
        presence.connect(alice, "gw1", "c1" + suffix, List.of(), "", true).block(WAIT); // another device
        PresenceRepository.Prepared read = presence.prepare(alice.id(), "gw2", "c2" + suffix).block(WAIT);
        presence.leave(room, alice.id(), false).block(WAIT); // on the other device, while the memberships are read

        assertThat(presence.connect(alice, "gw2", "c2" + suffix, convs, read.leaves(), true).block(WAIT).counts())
                .as("the room left after the read is answered as not registered").containsExactly(1L, -1L);
        assertThat(online()).containsExactly(1L, 0L);
        assertThat(redis.opsForSet().members(RedisNames.onlineIn(alice.id())).collectList().block(WAIT))
                .containsExactly(lobby);

        PresenceRepository.Prepared next = presence.prepare(alice.id(), "gw2", "c3" + suffix).block(WAIT);
        presence.leave(lobby, alice.id(), false).block(WAIT);
        presence.markCreatorOnline(lobby, alice.id()).block(WAIT); // joined again
        presence.disconnect(alice.id(), "gw2", "c2" + suffix, List.of(), 1000L).block(WAIT);
        presence.disconnect(alice.id(), "gw1", "c1" + suffix, List.of(), 1000L).block(WAIT);
        assertThat(online()).containsExactly(0L, 0L);
        presence.connect(alice, "gw2", "c3" + suffix, convs, next.leaves(), true).block(WAIT);
        assertThat(online()).as("the room joined again is registered, so is one left before the read (a read after its leave lists it only if joined again)")
                .containsExactly(1L, 1L);
    }

    /** Finishing a leave changes something only while the user is still recorded online in the room. */
    @Test
    void finishingALeave_changesNothingUnlessTheUserIsStillRecordedOnlineInTheRoom() {
        String room = convs.get(1);
        PresenceRepository.Left nothing = presence.leave(room, alice.id(), true).block(WAIT);
        assertThat(nothing).isEqualTo(new PresenceRepository.Left(0, 0));
        assertThat(redis.hasKey(RedisNames.leaves(alice.id())).block(WAIT)).isFalse();

        presence.connect(alice, "gw1", "c-f" + suffix, convs, "", true).block(WAIT);
        PresenceRepository.Left finished = presence.leave(room, alice.id(), true).block(WAIT);
        assertThat(finished.online()).isZero();
        assertThat(finished.leaves()).isPositive();
        assertThat(online()).containsExactly(1L, 0L);
    }

    @Test
    void addsAJoinerToTheOnlineSet_onlyWhileConnected() {
        String room = "r:joined" + suffix;
        StepVerifier.create(presence.markCreatorOnline(room, alice.id())).expectNext(0L).verifyComplete();
        StepVerifier.create(outcome(presence.connect(alice, "gw1", "c-j" + suffix, convs, "", true)))
                .expectNext(PresenceRepository.Connect.CAME_ONLINE).verifyComplete();
        StepVerifier.create(presence.markCreatorOnline(room, alice.id())).expectNext(1L).verifyComplete();
        StepVerifier.create(presence.onlineMembers(room, 10)).expectNext(new UserRef(alice.id(), null, null))
                .verifyComplete(); // no cached profile: the id alone
        redis.opsForHash().putAll(RedisNames.profile(alice.id()), Map.of("stored", "1", "nickname", "Alice", "avatarUrl", ""))
                .block(WAIT); // as ProfileService.record caches it at a connect
        StepVerifier.create(presence.onlineMembers(room, 10)).expectNext(alice).verifyComplete();
    }

    /**
     * The user's conversations could not be read from MongoDB: the last disconnect still leaves every online set that
     * holds the user (recorded in Redis by the connect and by joins; a leave takes its room out) and says which.
     */
    @Test
    void theLastDisconnectLeavesEveryOnlineSet_withoutTheRoomsFromMongo() {
        String joined = "r:joined" + suffix;
        String left = "r:left" + suffix;
        presence.connect(alice, "gw1", "c-m" + suffix, convs, "", true).block(WAIT);
        presence.markCreatorOnline(joined, alice.id()).block(WAIT);
        presence.markCreatorOnline(left, alice.id()).block(WAIT);
        presence.leave(left, alice.id(), false).block(WAIT);

        PresenceRepository.Disconnected gone = presence.disconnect(alice.id(), "gw", "c-m" + suffix, List.of(), 1000L).block(WAIT);

        assertThat(gone.wentOffline()).isTrue();
        assertThat(gone.convs()).containsExactlyInAnyOrder(convs.get(0), convs.get(1), joined);
        assertThat(online()).containsExactly(0L, 0L);
        StepVerifier.create(presence.onlineCount(joined)).expectNext(0L).verifyComplete();
        StepVerifier.create(redis.hasKey(RedisNames.onlineIn(alice.id()))).expectNext(false).verifyComplete();
        StepVerifier.create(redis.hasKey(RedisNames.connections(alice.id()))).expectNext(false).verifyComplete();
    }

    private static reactor.core.publisher.Mono<Boolean> offline(reactor.core.publisher.Mono<PresenceRepository.Disconnected> gone) {
        return gone.map(PresenceRepository.Disconnected::wentOffline);
    }

    private static reactor.core.publisher.Mono<PresenceRepository.Connect> outcome(
            reactor.core.publisher.Mono<PresenceRepository.Connected> connected) {
        return connected.map(PresenceRepository.Connected::outcome);
    }

    private List<Long> online() {
        return presence.onlineCounts(convs).collectList().block(WAIT);
    }
}
