package io.wxim.chat.pair;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.TestInfra;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Flux;

/** The pairing scripts against a real Redis: every transition atomic, concurrent accepts never pair twice. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PairRepositoryIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long NOW = 1_000_000;
    private static final long LATER = NOW + 60_000;

    private LettuceConnectionFactory factory;
    private ReactiveStringRedisTemplate redis;
    private PairRepository pairs;
    private Deliveries deliveries;
    private final String s = UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void setUp() {
        factory = TestInfra.redisConnectionFactory();
        redis = new ReactiveStringRedisTemplate(factory);
        pairs = new PairRepository(redis, ChatProperties.defaults());
        deliveries = new Deliveries(redis, new FrameCodec(), ChatProperties.defaults());
    }

    @AfterEach
    void tearDown() {
        factory.destroy();
    }

    private String user(String name) {
        return name + s;
    }

    /** The sweeper's claim, telling both users (nobody is connected here). */
    private Boolean expire(String from, String to, long now) {
        ServerFrame event = new ServerFrame.PairRequestClosed(null, from, to, "expired");
        return pairs.expire(from, to, now, deliveries.inScript(List.of(new Deliveries.UserFrames(from, event),
                new Deliveries.UserFrames(to, event)))).block(WAIT);
    }

    private PairRepository.RequestResult request(String from, String to, String conv) {
        return pairs.request(from, to, LATER, conv, 10, 50, NOW).block(WAIT);
    }

    @Test
    void requestIsIdempotent_andRefusedWhileEitherSideIsPaired() {
        String a = user("a");
        String b = user("b");
        String c = user("c");
        assertThat(request(a, b, "p:1" + s).status()).isEqualTo("created");
        PairRepository.RequestResult again = request(a, b, "p:other" + s);
        assertThat(again.status()).isEqualTo("pending");
        assertThat(again.conv()).isEqualTo("p:1" + s); // the first request's session id is kept

        assertThat(pairs.accept(b, a, NOW, NOW).block(WAIT).status()).isEqualTo("started");
        assertThat(request(c, a, "p:2" + s).status()).isEqualTo("busy_peer");
        assertThat(request(a, c, "p:3" + s).status()).isEqualTo("busy_self");
        // a retried accept answers the same session; a stranger's accept finds nothing
        PairRepository.AcceptResult retry = pairs.accept(b, a, NOW, NOW).block(WAIT);
        assertThat(retry.status()).isEqualTo("already");
        assertThat(retry.conv()).isEqualTo("p:1" + s);
        assertThat(pairs.accept(c, a, NOW, NOW).block(WAIT).status()).isEqualTo("none");
    }

    @Test
    void accept_closesEveryOtherWaitingRequestOfBothUsers_inTheSameStep() {
        String a = user("a");
        String b = user("b");
        String x = user("x");
        String y = user("y");
        String z = user("z");
        request(a, b, "p:ab" + s);
        request(x, b, "p:xb" + s); // another request waiting for b
        request(a, y, "p:ay" + s); // a's other outgoing request
        request(z, a, "p:za" + s); // someone waiting for a
        request(b, x, "p:bx" + s); // b's own outgoing request

        PairRepository.AcceptResult result = pairs.accept(b, a, NOW, NOW).block(WAIT);
        assertThat(result.status()).isEqualTo("started");
        assertThat(result.closed()).extracting(c -> c[0] + ">" + c[1])
                .containsExactlyInAnyOrder(x + ">" + b, a + ">" + y, z + ">" + a, b + ">" + x);
        for (String u : List.of(a, b, x, y, z)) {
            assertThat(redis.hasKey(RedisNames.pairIncoming(u)).block(WAIT)).as("in " + u).isFalse();
            assertThat(redis.hasKey(RedisNames.pairOutgoing(u)).block(WAIT)).as("out " + u).isFalse();
        }
        assertThat(redis.opsForZSet().range(RedisNames.PAIR_EXPIRIES, org.springframework.data.domain.Range.unbounded())
                .filter(e -> e.contains(s)).collectList().block(WAIT)).isEmpty();
        assertThat(pairs.sessionOf(a).block(WAIT)).isEqualTo("p:ab" + s);
        assertThat(pairs.sessionOf(b).block(WAIT)).isEqualTo("p:ab" + s);
    }

    @Test
    void concurrentAccepts_pairEachUserAtMostOnce() {
        // 10 targets, each with 10 requesters; requesters overlap across targets (each asks 2 targets)
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            targets.add(user("t" + i + "-"));
        }
        List<String[]> requests = new ArrayList<>();
        for (int q = 0; q < 50; q++) {
            String requester = user("q" + q + "-");
            for (String target : List.of(targets.get(q % 10), targets.get((q + 3) % 10))) {
                request(requester, target, "p:" + q + "x" + target);
                requests.add(new String[] {requester, target});
            }
        }
        // every accept at once, twice over (as two devices would)
        List<PairRepository.AcceptResult> results = Flux.fromIterable(requests).concatWith(Flux.fromIterable(requests))
                .flatMap(r -> pairs.accept(r[1], r[0], NOW, NOW), 64)
                .collectList().block(Duration.ofSeconds(30));
        assertThat(results).hasSize(200);
        List<String> started = results.stream().filter(r -> r.status().equals("started")).map(PairRepository.AcceptResult::conv).toList();
        assertThat(started).doesNotHaveDuplicates().isNotEmpty().hasSizeLessThanOrEqualTo(targets.size());
        // every user is in at most one session, and both sides of a session agree
        for (String[] r : requests) {
            for (String u : r) {
                String conv = pairs.sessionOf(u).block(WAIT);
                if (conv != null) {
                    assertThat(started).contains(conv);
                    var session = pairs.session(conv).block(WAIT);
                    String peer = u.equals(session.get("a")) ? session.get("b") : session.get("a");
                    assertThat(pairs.sessionOf(peer).block(WAIT)).isEqualTo(conv);
                }
                assertThat(redis.opsForHash().size(RedisNames.pairIncoming(u)).block(WAIT)).isZero();
                assertThat(redis.opsForHash().size(RedisNames.pairOutgoing(u)).block(WAIT)).isZero();
            }
        }
    }

    @Test
    void expiry_isClaimedOnce_andAnExpiredRequestCannotBeAccepted_butIsLeftForTheSweeper() {
        String a = user("a");
        String b = user("b");
        request(a, b, "p:e" + s);
        assertThat(expire(a, b, NOW)).isFalse(); // not due yet
        // due: refused, and left for the sweeper, whose claim tells both users `expired` (removed here, the requester
        // was never told)
        assertThat(pairs.accept(b, a, LATER, LATER).block(WAIT).status()).isEqualTo("none");
        assertThat(pairs.dueRequests(LATER, 10_000).collectList().block(WAIT)).contains(a + "|" + b);
        assertThat(expire(a, b, LATER)).isTrue();
        assertThat(redis.hasKey(RedisNames.pairIncoming(b)).block(WAIT)).isFalse();

        request(a, b, "p:f" + s);
        assertThat(pairs.dueRequests(LATER, 100).collectList().block(WAIT)).contains(a + "|" + b);
        assertThat(expire(a, b, LATER)).isTrue();
        assertThat(expire(a, b, LATER)).isFalse(); // another instance loses the claim
        assertThat(pairs.incoming(b, NOW).collectList().block(WAIT)).isEmpty();
    }

    @Test
    void aLostPeer_endsTheSessionOnlyAfterTheGracePeriod_andOnlyIfStillOffline() {
        String a = user("a");
        String b = user("b");
        request(a, b, "p:g" + s);
        // neither has a connection as the session starts: both get the grace period at once
        pairs.accept(b, a, NOW, NOW + 2_000).block(WAIT);
        assertThat(redis.opsForZSet().score(RedisNames.PAIR_LOST, a).block(WAIT)).isEqualTo(NOW + 2_000.0);
        assertThat(redis.opsForZSet().score(RedisNames.PAIR_LOST, b).block(WAIT)).isEqualTo(NOW + 2_000.0);
        assertThat(pairs.endIfLost(a, "p:g" + s, NOW + 1_000).blockOptional(WAIT)).isEmpty(); // still in grace

        // a is connected again (a connection registered): the timer is dropped, the session kept
        redis.opsForHash().put(RedisNames.connections(a), "c1", "gw1").block(WAIT);
        assertThat(pairs.endIfLost(a, "p:g" + s, NOW + 3_000).blockOptional(WAIT)).isEmpty();
        assertThat(pairs.sessionOf(b).block(WAIT)).isEqualTo("p:g" + s);
        assertThat(redis.opsForZSet().score(RedisNames.PAIR_LOST, a).blockOptional(WAIT)).isEmpty();
        redis.delete(RedisNames.connections(a)).block(WAIT);

        // a goes offline again: its disconnect starts the grace period (disconnect.lua, PresenceRepositoryIntegrationTests)
        redis.opsForZSet().add(RedisNames.PAIR_LOST, a, NOW + 4_000).block(WAIT);
        assertThat(pairs.endIfLost(a, "p:g" + s, NOW + 5_000).block(WAIT)).isEqualTo(b);
        assertThat(pairs.sessionOf(a).blockOptional(WAIT)).isEmpty();
        assertThat(pairs.sessionOf(b).blockOptional(WAIT)).isEmpty();
        assertThat(pairs.session("p:g" + s).blockOptional(WAIT)).isEmpty();
        assertThat(pairs.leave(b, "p:g" + s, NOW).blockOptional(WAIT)).isEmpty();
    }
}
