package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Per-user limits that hold across connections and gateways (kept in Redis): the shared send rate and the
 * cluster-wide connection cap.
 */
class UserLimitsEndToEndIntegrationTests extends EndToEndTestBase {

    @Test
    void answersRateLimited_toSendsOverTheUsersSharedRate_fromConnectionsOnBothGateways() {
        Login olga = login("olga");
        int perGateway = 4;
        int sendsPerConnection = 30; // under the per-connection burst (40): only the shared per-user bucket can refuse
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 2 * perGateway; i++) {
                WsClient c = WsClient.connect(http, i % 2 == 0 ? gw1 : gw2, olga.token());
                c.await(ServerFrame.Welcome.class);
                clients.add(c);
            }
            clients.get(0).send("{\"type\":\"create\",\"rid\":\"room\",\"name\":\"flood\"}");
            String room = clients.get(0).await(ServerFrame.Joined.class, f -> "room".equals(f.rid())).conv();
            // warm the send path up (a cold JVM stores so slowly that the refill keeps up with any flood), then let
            // the user's bucket and the first connection's frame bucket refill (both hold 40 and refill at 20/s)
            for (int n = 0; n < 15; n++) {
                String cmid = "warm" + n;
                clients.get(0).send(send(cmid, room, "warm-up"));
                clients.get(0).await(ServerFrame.Ack.class, a -> cmid.equals(a.cmid()));
            }
            sleepQuietly(2_100);

            long start = System.nanoTime();
            for (int n = 0; n < sendsPerConnection; n++) {
                for (int i = 0; i < clients.size(); i++) {
                    clients.get(i).send(send("c" + i + "-" + n, room, "m" + n));
                }
            }
            Set<String> acked = new HashSet<>();
            int limited = 0;
            for (int i = 0; i < clients.size(); i++) {
                WsClient c = clients.get(i);
                for (int n = 0; n < sendsPerConnection; n++) {
                    String cmid = "c" + i + "-" + n;
                    ServerFrame answer = c.await(ServerFrame.class, f -> f instanceof ServerFrame.Ack a && cmid.equals(a.cmid())
                            || f instanceof ServerFrame.Error e && cmid.equals(e.cmid()));
                    if (answer instanceof ServerFrame.Ack) {
                        acked.add(cmid);
                    } else {
                        ServerFrame.Error error = (ServerFrame.Error) answer;
                        assertThat(error.code()).as(cmid).isEqualTo("rate_limited");
                        assertThat(error.retry()).isTrue();
                        // one token comes every 1000/rate ms: the wait is never longer than that
                        assertThat(error.retryAfter()).isBetween(1L, 1000L / USER_SENDS_PER_SECOND);
                        limited++;
                    }
                }
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            int total = clients.size() * sendsPerConnection;
            System.out.printf("[e2e] user rate: %d sends on %d connections in %.2f s: %d acked, %d rate_limited%n",
                    total, clients.size(), elapsed, acked.size(), limited);
            assertThat(acked.size() + limited).isEqualTo(total); // every send answered: none silently dropped
            assertThat(limited).isPositive();
            assertThat(acked.size()).isLessThanOrEqualTo((int) Math.floor(USER_SEND_BURST + USER_SENDS_PER_SECOND * elapsed) + 1);
            // exactly the acknowledged sends are stored; refused ones left no trace
            List<ServerFrame.Message> stored = syncAll(clients.get(1), room, 0, 100);
            assertThat(stored).extracting(ServerFrame.Message::cmid).filteredOn(cmid -> !cmid.startsWith("warm"))
                    .containsExactlyInAnyOrderElementsOf(acked);
            // the per-connection limit did not take part: only sends were refused, a ping still answers at once
            clients.get(3).send("{\"type\":\"ping\",\"rid\":\"still\"}");
            clients.get(3).await(ServerFrame.Pong.class, p -> "still".equals(p.rid()));
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void closesTheConnectionBeyondTheClusterWideCap_with4503_andAClosedOneMakesRoom() {
        Login pete = login("pete");
        List<WsClient> open = new ArrayList<>();
        try {
            // 7 + 5: each gateway is under its own cap (10), together they hold the cluster-wide cap (12)
            for (int i = 0; i < USER_CONNECTIONS_MAX; i++) {
                WsClient c = WsClient.connect(http, i < 7 ? gw1 : gw2, pete.token());
                c.await(ServerFrame.Welcome.class);
                open.add(c);
            }
            WsClient oneTooMany = WsClient.connect(http, gw2, pete.token());
            open.add(oneTooMany);
            assertThat(oneTooMany.closeCode(Duration.ofSeconds(10))).isEqualTo(4503);
            assertThat(oneTooMany.received()).noneMatch(ServerFrame.Welcome.class::isInstance);
            assertThat(open.get(0).isClosed()).isFalse();
            // another user is not affected
            try (WsClient other = WsClient.connect(http, gw2, login("quinn").token())) {
                other.await(ServerFrame.Welcome.class);
            }
            // closing one on gw1 frees a place on gw2 (once gw1 has uncounted it: wait with a deadline)
            open.get(0).close();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            WsClient admitted = null;
            while (admitted == null) {
                assertThat(System.nanoTime()).as("a place freed within 10 s").isLessThan(deadline);
                WsClient attempt = WsClient.connect(http, gw2, pete.token());
                open.add(attempt);
                try {
                    attempt.await(ServerFrame.Welcome.class, f -> true, Duration.ofSeconds(3));
                    admitted = attempt;
                } catch (AssertionError refused) {
                    assertThat(attempt.closeCode(Duration.ofSeconds(5))).isEqualTo(4503);
                    sleepQuietly(100);
                }
            }
            assertThat(admitted.isClosed()).isFalse();
        } finally {
            open.forEach(WsClient::close);
        }
    }
}
