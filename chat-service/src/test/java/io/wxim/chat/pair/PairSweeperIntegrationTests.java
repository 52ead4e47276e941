package io.wxim.chat.pair;

import static io.wxim.chat.pair.TestPairs.userFrame;
import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.chat.TestRedis;
import io.wxim.chat.config.ChatProperties;
import io.wxim.chat.routing.Deliveries;
import io.wxim.protocol.FrameCodec;
import io.wxim.protocol.ServerFrame;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import reactor.core.publisher.Mono;

/**
 * The sweeper against a real Redis: a claim (an expired request, a session whose peer stayed offline) tells the users
 * in its own step. It used to claim, then deliver in a second call: when that call failed, the next sweep no longer
 * saw the entry, and the news was lost for good.
 */
@Timeout(60)
class PairSweeperIntegrationTests {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** Far below the times other tests use, so no other test's entry is due at the sweeps here. */
    private static final long CREATED = 200_000;
    private static final long DUE = 300_000;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    @RegisterExtension
    final TestRedis testRedis = new TestRedis();
    private final ReactiveStringRedisTemplate redis = testRedis.template();
    private final ChatProperties props = ChatProperties.defaults();
    private final FrameCodec codec = new FrameCodec();
    private final PairRepository pairs = new PairRepository(redis, props);
    private final Clock afterDue = Clock.fixed(Instant.ofEpochMilli(DUE + 1), ZoneOffset.UTC);

    @Test
    void bothUsersAreToldOfAnExpiry_evenWhenDeliveringAfterTheClaimFails() throws Exception {
        String a = "ua" + run;
        String b = "ub" + run;
        LinkedBlockingQueue<String> atA = connect(a, "gw-a" + run);
        LinkedBlockingQueue<String> atB = connect(b, "gw-b" + run);
        pairs.request(a, b, DUE, "p:x" + run, 10, 50, CREATED).block(WAIT);

        sweepWithFailingDeliveries();
        new PairSweeper(pairs, new Deliveries(redis, codec, props), props, afterDue).sweepOnce().block(WAIT); // the next pass

        ServerFrame expired = new ServerFrame.PairRequestClosed(null, a, b, "expired");
        assertThat(userFrame(codec, atA, a)).isEqualTo(expired);
        assertThat(userFrame(codec, atB, b)).isEqualTo(expired);
        assertThat(atA.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
        assertThat(pairs.incoming(b, CREATED).collectList().block(WAIT)).isEmpty();
    }

    @Test
    void thePeerIsToldOfASessionEndedByTheGracePeriod_evenWhenDeliveringAfterTheEndFails() throws Exception {
        String a = "uc" + run;
        String b = "ud" + run;
        String conv = "p:y" + run;
        pairs.request(a, b, DUE + 100_000, conv, 10, 50, CREATED).block(WAIT);
        // both offline as the session starts: both get the grace period; then b connects, a stays away
        assertThat(pairs.accept(b, a, CREATED, DUE).block(WAIT).status()).isEqualTo("started");
        LinkedBlockingQueue<String> atB = connect(b, "gw-d" + run);

        sweepWithFailingDeliveries();
        new PairSweeper(pairs, new Deliveries(redis, codec, props), props, afterDue).sweepOnce().block(WAIT);

        assertThat(userFrame(codec, atB, b)).isEqualTo(new ServerFrame.PairEnded(null, conv, a, "peer_offline"));
        assertThat(atB.poll(300, TimeUnit.MILLISECONDS)).as("once").isNull();
        assertThat(pairs.sessionOf(b).blockOptional(WAIT)).isEmpty();
    }

    /** A pass whose deliveries outside a script fail (Redis answering no more, say): whatever it claims stays told. */
    private void sweepWithFailingDeliveries() {
        Deliveries failing = new Deliveries(redis, codec, props) {
            @Override
            public Mono<Void> toUsers(List<String> userIds, String exceptConn, List<? extends ServerFrame> frames) {
                return Mono.error(new IllegalStateException("publish failed"));
            }

            @Override
            public Mono<Void> toEach(List<UserFrames> entries) {
                return Mono.error(new IllegalStateException("publish failed"));
            }
        };
        try {
            new PairSweeper(pairs, failing, props, afterDue).sweepOnce().block(WAIT);
        } catch (IllegalStateException e) {
            // the pass failed (as before the change); the next one comes anyway (PeriodicTask)
        }
    }

    /** A connection of {@code user} on {@code node}, and what reaches the node. */
    private LinkedBlockingQueue<String> connect(String user, String node) {
        return TestPairs.connect(testRedis, user, "c-" + user, node);
    }
}
