package io.wxim.chat.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.direct.DirectService;
import io.wxim.chat.direct.PeersRepository;
import io.wxim.chat.presence.GatewayNodes;
import io.wxim.chat.presence.PresenceRepository;
import io.wxim.chat.profile.ProfileService;
import io.wxim.chat.room.RoomRepository;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.Command;
import io.wxim.protocol.Conversations;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.OpenConnections;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.UserRef;
import io.wxim.testinfra.TestInfra;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Connections of gateway processes that died without DISCONNECTs, against a real Redis and MongoDB: a node whose alive
 * key is gone at two passes in a row has all its connections ended (its users go offline unless connected elsewhere)
 * and is forgotten; a node id reused by a new process has the connections of the old boot ended.
 */
@Timeout(60)
class DeadNodeSweeperIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_chat_test_deadnodes_");

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final LettuceConnectionFactory factory = TestInfra.redisConnectionFactory();
    private final ReactiveStringRedisTemplate redis = new ReactiveStringRedisTemplate(factory);
    private final ChatProperties props = ChatProperties.defaults();
    private final PresenceRepository presence = new PresenceRepository(redis, props);
    private final GatewayNodes nodes = new GatewayNodes(redis, props);
    private final SessionService sessions = sessions();
    private final DeadNodeSweeper sweeper = new DeadNodeSweeper(nodes, presence, sessions, props);

    @AfterEach
    void tearDown() {
        factory.destroy();
    }

    @Test
    void endsEveryConnectionOfANodeWhoseAliveKeyStaysGone_andForgetsIt() {
        String dead = "gwdead" + run;
        String live = "gwlive" + run;
        alive(live, "b9");
        UserRef carol = user("carol");
        UserRef dave = user("dave");
        connect(dead, dead + ".b1.1", carol);
        connect(dead, dead + ".b1.2", dave);
        connect(live, live + ".b9.1", dave); // dave is also connected through a running gateway
        assertThat(redis.opsForHash().size(RedisNames.nodeConnections(dead)).block(WAIT)).isEqualTo(2);
        assertThat(redis.opsForSet().isMember(RedisNames.NODES, dead).block(WAIT)).isTrue();

        sweeper.sweep(Flux.just(dead, live)).block(WAIT);
        assertThat(online(carol)).as("gone at one pass only: maybe a late refresh").isTrue();

        sweeper.sweep(Flux.just(dead, live)).block(WAIT);
        assertThat(online(carol)).isFalse();
        assertThat(inLobby(carol)).isFalse();
        assertThat(redis.opsForValue().get(RedisNames.lastSeen(carol.id())).block(WAIT)).isNotNull();
        assertThat(online(dave)).as("still connected through the live gateway").isTrue();
        assertThat(redis.opsForHash().keys(RedisNames.connections(dave.id())).collectList().block(WAIT))
                .containsExactly(live + ".b9.1");
        assertThat(redis.opsForHash().size(RedisNames.nodeConnections(dead)).block(WAIT)).isZero();
        assertThat(redis.opsForSet().isMember(RedisNames.NODES, dead).block(WAIT)).as("forgotten").isFalse();
        assertThat(redis.opsForHash().size(RedisNames.nodeConnections(live)).block(WAIT)).isEqualTo(1);
    }

    @Test
    void endsTheConnectionsOfAnEarlierBoot_whenTheNodeIdRunsAgainInANewProcess() {
        String node = "gwreused" + run;
        UserRef erin = user("erin");
        UserRef frank = user("frank");
        connect(node, node + ".b1.1", erin); // opened by the process that was killed
        connect(node, node + ".b2.1", frank); // opened by the new process
        alive(node, "b2");

        sweeper.sweep(Flux.just(node)).block(WAIT);

        assertThat(online(erin)).isFalse();
        assertThat(online(frank)).isTrue();
        assertThat(redis.opsForHash().keys(RedisNames.nodeConnections(node)).collectList().block(WAIT))
                .containsExactly(node + ".b2.1");
        // a later connection of the old boot is not looked for again while the boot stays the same; a change is
        connect(node, node + ".b1.7", erin);
        sweeper.sweep(Flux.just(node)).block(WAIT);
        assertThat(online(erin)).isTrue();
        alive(node, "b3");
        sweeper.sweep(Flux.just(node)).block(WAIT);
        assertThat(online(erin)).isFalse();
        assertThat(online(frank)).isFalse();
    }

    @Test
    void leavesANodeAlone_whileItsAliveKeyIsThere_andAnAliveValueThatIsNoBootId() {
        String node = "gwold" + run;
        UserRef gina = user("gina");
        connect(node, node + ".b1.1", gina);
        alive(node, "probe:1a2b3c4d:"); // what gateways wrote before boot ids
        for (int i = 0; i < 3; i++) {
            sweeper.sweep(Flux.just(node)).block(WAIT);
        }
        assertThat(online(gina)).isTrue();
    }

    @Test
    void disconnectTakesTheConnectionOutOfItsNodeIndex_alsoWhenTheUserHoldsNoEntryForIt() {
        String node = "gwidx" + run;
        UserRef hank = user("hank");
        connect(node, node + ".b1.1", hank);
        sessions.disconnect(new Command(Command.Event.DISCONNECT, node, node + ".b1.1", 0, hank, null)).block(WAIT);
        assertThat(redis.opsForHash().size(RedisNames.nodeConnections(node)).block(WAIT)).isZero();
        // indexed, but unknown to the user's connections (an older disconnect script removed it from there only)
        redis.opsForHash().put(RedisNames.nodeConnections(node), node + ".b1.2", hank.id()).block(WAIT);
        sessions.disconnect(new Command(Command.Event.DISCONNECT, node, node + ".b1.2", 0, hank, null)).block(WAIT);
        assertThat(redis.opsForHash().size(RedisNames.nodeConnections(node)).block(WAIT)).isZero();
    }

    /**
     * A live gateway whose DISCONNECTs were lost (a longer Redis outage, a trimmed command stream): the connections of
     * its boot missing from two of its lists of open connections in a row are ended; one missing once (its id may have
     * been taken just before the list was made) and one taken after the list are kept.
     */
    @Test
    void endsTheConnectionsOfALiveNodeMissingFromTwoOfItsListsInARow() {
        String node = "gwlost" + run;
        UserRef ivy = user("ivy");
        UserRef jack = user("jack");
        UserRef kim = user("kim");
        alive(node, "b5");
        connect(node, node + ".b5.1", ivy); // closed, its DISCONNECT lost
        connect(node, node + ".b5.2", jack); // open
        connect(node, node + ".b5.4", kim); // taken after the first list
        sweeper.sweep(Flux.just(node)).block(WAIT); // the boot is noted

        openConnections(node, "b5", 1, 3, 2L);
        sweeper.sweep(Flux.just(node)).block(WAIT);
        sweeper.sweep(Flux.just(node)).block(WAIT); // the same list again: nothing new
        assertThat(online(ivy)).as("missing from one list only").isTrue();

        openConnections(node, "b5", 2, 5, 2L);
        sweeper.sweep(Flux.just(node)).block(WAIT);
        assertThat(online(ivy)).isFalse();
        assertThat(redis.opsForValue().get(RedisNames.lastSeen(ivy.id())).block(WAIT)).isNotNull();
        assertThat(online(jack)).isTrue();
        assertThat(online(kim)).as("missing from one list only").isTrue();
        assertThat(redis.opsForHash().keys(RedisNames.nodeConnections(node)).collectList().block(WAIT))
                .containsExactlyInAnyOrder(node + ".b5.2", node + ".b5.4");
    }

    @Test
    void comparesNoListOfAnotherBoot() {
        String node = "gwlistboot" + run;
        UserRef lee = user("lee");
        alive(node, "b6");
        connect(node, node + ".b6.1", lee);
        sweeper.sweep(Flux.just(node)).block(WAIT);
        openConnections(node, "b5", 1, 9); // left by the process before: lists none of b6's connections
        sweeper.sweep(Flux.just(node)).block(WAIT);
        openConnections(node, "b5", 2, 9);
        sweeper.sweep(Flux.just(node)).block(WAIT);
        assertThat(online(lee)).isTrue();
    }

    private void openConnections(String node, String boot, long seq, long upTo, Long... open) {
        redis.opsForValue().set(RedisNames.openConnections(node),
                new OpenConnections(boot, seq, upTo, Set.of(open)).encode(), Duration.ofMinutes(1)).block(WAIT);
    }

    /** The node comes back (a new boot) while its connections are being ended: the new boot's are kept. */
    @Test
    void keepsTheConnectionsOfANewBoot_whenTheNodeComesBackDuringTheSweep() {
        String node = "gwback" + run;
        UserRef ivan = user("ivan");
        UserRef judy = user("judy");
        connect(node, node + ".b1.1", ivan); // the dead process's
        connect(node, node + ".b2.1", judy); // registered by the new process as the sweep starts
        int[] reads = {0};
        GatewayNodes returning = new GatewayNodes(redis, props) {
            @Override
            public Mono<java.util.Optional<String>> alive(String n) {
                // gone at both passes' checks; back with boot b2 when the sweep reads it again before ending
                return Mono.just(++reads[0] <= 2 ? java.util.Optional.empty() : java.util.Optional.of("b2"));
            }
        };
        DeadNodeSweeper racing = new DeadNodeSweeper(returning, presence, sessions, props);

        racing.sweep(Flux.just(node)).block(WAIT);
        racing.sweep(Flux.just(node)).block(WAIT);

        assertThat(reads[0]).as("read again before ending").isEqualTo(3);
        assertThat(online(ivan)).isFalse();
        assertThat(online(judy)).isTrue();
        assertThat(redis.opsForSet().isMember(RedisNames.NODES, node).block(WAIT)).as("not forgotten").isTrue();
    }

    private UserRef user(String name) {
        return new UserRef(name + run, name, null);
    }

    private void connect(String node, String conn, UserRef user) {
        sessions.connect(new Command(Command.Event.CONNECT, node, conn, 1, user, null)).block(WAIT);
    }

    private void alive(String node, String boot) {
        redis.opsForValue().set(RedisNames.nodeAliveKey(node), boot, Duration.ofMinutes(1)).block(WAIT);
    }

    private boolean online(UserRef user) {
        return presence.status(user.id()).block(WAIT).online();
    }

    private boolean inLobby(UserRef user) {
        return redis.opsForSet().isMember(RedisNames.online(Conversations.LOBBY), user.id()).block(WAIT);
    }

    private SessionService sessions() {
        RoomRepository rooms = new RoomRepository(MONGO.template(), props);
        ProfileService profiles = new ProfileService(MONGO.template(), redis, props, Clock.systemUTC());
        DirectService directs = new DirectService(new PeersRepository(MONGO.template(), props), rooms, profiles,
                Clock.systemUTC());
        return TestSessions.create(redis, props, presence, profiles, new Deliveries(redis, new FrameCodec(), props),
                rooms, directs);
    }
}
