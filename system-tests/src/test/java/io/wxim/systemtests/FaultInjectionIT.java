package io.wxim.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Fault injection against the system as separate processes ({@link SystemUnderTest}): kill -9 of a gateway, of
 * MongoDB, of Redis and of chat-service while clients send, and the same message sent through both gateways and after
 * a reconnect.
 * Each scenario uses fresh users and conversations and ends with {@link Checker}. {@code -Dsystem.long=true} runs
 * more clients and messages. Results and limits: docs/reliability.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class FaultInjectionIT {
    private static final boolean LONG = Boolean.getBoolean("system.long");
    private static SystemUnderTest system;
    private Scenario scenario;
    private HttpClient http;
    private List<ChatClient> clients;

    @BeforeAll
    static void startSystem() {
        long t = System.nanoTime();
        system = SystemUnderTest.start();
        report("system up in " + (System.nanoTime() - t) / 1_000_000 + " ms (long=" + LONG + ")");
    }

    @AfterAll
    static void stopSystem() {
        if (system != null) {
            system.close();
        }
    }

    @BeforeEach
    void newScenario() {
        scenario = new Scenario(system);
        http = scenario.http;
        clients = scenario.clients;
    }

    @AfterEach
    void closeClients() {
        scenario.close();
    }

    static void report(String line) {
        Scenario.report(line);
    }

    @Test
    @Order(1)
    void gatewayKilled_clientsReconnectToTheOther_nothingLostOrDuplicated() throws Exception {
        int users = LONG ? 10 : 6;
        int perSender = LONG ? 500 : 75; // long: 7 senders x 500 = 3,500 messages
        for (int i = 0; i < users; i++) {
            scenario.newClient("k" + i, i % 2);
        }
        String room = clients.get(0).command("create", "\"name\":\"kill room\"").conv();
        for (ChatClient c : clients.subList(1, users)) {
            c.command("join", "\"conv\":\"" + room + "\"");
        }
        // group senders on both gateways, and direct pairs across them
        List<ChatClient> groupSenders = new ArrayList<>();
        Map<ChatClient, String> targets = new LinkedHashMap<>();
        for (int i = 0; i < users; i++) {
            if (i % 3 == 0) {
                targets.put(clients.get(i), room);
                groupSenders.add(clients.get(i));
            } else if (i % 3 == 1 && i + 1 < users) {
                targets.put(clients.get(i), "u:" + clients.get(i + 1).login.userId());
            }
        }
        Checker.Ledger ledger = new Checker.Ledger();
        int total = targets.size() * perSender;
        AtomicInteger acked = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> drivers = scenario.drive(targets, perSender, ledger, acked, done);
        Scenario.awaitCount(acked, total * 2 / 5, Duration.ofSeconds(60));
        long killedAt = System.nanoTime();
        system.killGateway(1);
        report("scenario 1: killed gw2 (port " + system.gatewayPorts.get(1) + ") after " + acked.get() + " of " + total + " acks");
        Scenario.finish(drivers, done, Duration.ofSeconds(150));

        Map<String, List<ChatClient>> members = new LinkedHashMap<>();
        members.put(room, List.copyOf(clients));
        for (var e : targets.entrySet()) {
            if (e.getValue().startsWith("u:")) {
                ChatClient peer = clients.get(clients.indexOf(e.getKey()) + 1);
                String conv = ledger.acks.stream().filter(a -> a.user().equals(e.getKey().login.userId()))
                        .findFirst().orElseThrow().conv();
                members.put(conv, List.of(e.getKey(), peer));
            }
        }
        scenario.catchUpAll();
        Checker.Result result = Checker.check(http, system.gatewayPorts.get(0), members, ledger);
        long maxCatchUp = clients.stream().flatMap(c -> c.reconnects.stream()).mapToLong(ChatClient.Reconnect::caughtUpMillis).max().orElse(-1);
        long reconnected = clients.stream().filter(c -> !c.reconnects.isEmpty()).count();
        long maxReconnectDelay = clients.stream().flatMap(c -> c.reconnects.stream())
                .mapToLong(r -> (r.welcomeNanos() - killedAt) / 1_000_000).max().orElse(-1);
        report("scenario 1: " + result + "; clients reconnected=" + reconnected + " max ms kill->welcome=" + maxReconnectDelay
                + " max catch-up ms=" + maxCatchUp + " hangs=" + scenario.hangs());
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.acks()).isEqualTo(total);
        assertThat(reconnected).as("clients of the killed gateway reconnected").isGreaterThanOrEqualTo(users / 2);
        assertThat(clients.stream().flatMap(c -> c.reconnects.stream()).allMatch(r -> r.gatewayPort() == system.gatewayPorts.get(0))).isTrue();
        assertThat(maxCatchUp).as("catch-up after reconnecting").isLessThan(10_000);
        system.restartGateway(1);
        // The killed process sent no DISCONNECTs: its connections stayed registered (the users looked online through
        // them for good). Once gw2 runs again with a new boot id, chat-service ends the old boot's connections.
        List<String> movedUsers = clients.stream().filter(c -> !c.reconnects.isEmpty()).map(c -> c.login.userId()).toList();
        long restartedAt = System.nanoTime();
        try (RedisCli cli = new RedisCli(system.redisPort)) {
            while (movedUsers.stream().anyMatch(user -> String.valueOf(cli.call("HKEYS", RedisNames.connections(user)))
                    .contains("gw2."))) {
                assertThat(System.nanoTime() - restartedAt).as("the killed gateway's connections still registered")
                        .isLessThan(Duration.ofSeconds(30).toNanos());
                ChatClient.sleep(200);
            }
            assertThat(cli.call("HLEN", RedisNames.nodeConnections("gw2"))).isEqualTo(0L);
        }
        report("scenario 1: the killed gateway's connections ended "
                + (System.nanoTime() - restartedAt) / 1_000_000 + " ms after it ran again");
    }

    @Test
    @Order(2)
    void sameMessageThroughBothGatewaysAndAfterReconnect_storedOnce() {
        ChatClient a1 = scenario.newClient("dup-a", 0);
        ChatClient a2 = scenario.newClient(a1.login, "dup-a'", 1);
        ChatClient b = scenario.newClient("dup-b", 1);
        String room = a1.command("create", "\"name\":\"dup room\"").conv();
        b.command("join", "\"conv\":\"" + room + "\"");
        a2.ensureConnected(Duration.ofSeconds(30)); // learns the room
        Checker.Ledger ledger = new Checker.Ledger();
        for (int i = 0; i < 3; i++) {
            scenario.sendTracked(b, room, "pre-" + i, ledger);
        }
        String cmid = "same-" + UUID.randomUUID();
        ServerFrame.Ack first = scenario.sendTracked(a1, room, cmid, ledger);
        ServerFrame.Ack second = scenario.sendTracked(a2, room, cmid, ledger);
        a1.abort();
        a1.ensureConnected(Duration.ofSeconds(30));
        ServerFrame.Ack third = scenario.sendTracked(a1, room, cmid, ledger);
        scenario.sendTracked(b, room, "post", ledger);
        scenario.catchUpAll();
        Checker.Result result = Checker.check(http, system.gatewayPorts.get(1), Map.of(room, List.of(a1, a2, b)), ledger);
        report("scenario 2: acks seq " + first.seq() + "/" + second.seq() + "/" + third.seq() + " (gw1, gw2, after reconnect); " + result);
        assertThat(List.of(second, third)).allSatisfy(ack -> {
            assertThat(ack.seq()).isEqualTo(first.seq());
            assertThat(ack.id()).isEqualTo(first.id());
            assertThat(ack.ts()).isEqualTo(first.ts());
        });
        assertThat(Checker.history(http, system.gatewayPorts.get(0), room, b.login.token()).values().stream()
                .filter(m -> m.get("cmid").asString().equals(cmid)).count()).isEqualTo(1);
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.messages()).isEqualTo(5);
    }

    @Test
    @Order(3)
    void mongoDown_sendsFailFastWithUnavailable_thenRetriesSucceedAfterRestart() throws Exception {
        List<ChatClient> group = List.of(scenario.newClient("m0", 0), scenario.newClient("m1", 1), scenario.newClient("m2", 0));
        String room = group.get(0).command("create", "\"name\":\"mongo room\"").conv();
        group.get(1).command("join", "\"conv\":\"" + room + "\"");
        group.get(2).command("join", "\"conv\":\"" + room + "\"");
        Checker.Ledger ledger = new Checker.Ledger();
        int before = LONG ? 50 : 15;
        for (int i = 0; i < before; i++) {
            scenario.sendTracked(group.get(i % 3), room, "before-" + i, ledger);
        }
        Thread.sleep(1500); // let the H2 store commit: a real MongoDB acknowledges only journalled writes
        system.mongo.kill9();
        report("scenario 3: killed mongo (pid gone) after " + ledger.acks.size() + " acks");
        List<String> failedCmids = new ArrayList<>();
        long worst = 0;
        for (int i = 0; i < 3; i++) {
            ChatClient c = group.get(i);
            String cmid = "during-" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            ledger.sent(cmid);
            long t = System.nanoTime();
            ServerFrame answer = c.send(room, cmid, "while mongo is down");
            long ms = (System.nanoTime() - t) / 1_000_000;
            worst = Math.max(worst, ms);
            report("scenario 3: send during outage answered in " + ms + " ms: " + answer);
            assertThat(answer).isInstanceOf(ServerFrame.Error.class);
            assertThat(((ServerFrame.Error) answer).code()).isEqualTo("unavailable");
            assertThat(((ServerFrame.Error) answer).retry()).isTrue();
            assertThat(ms).as("answered within the 10 s command bound").isLessThanOrEqualTo(11_000);
            failedCmids.add(cmid);
        }
        system.restartMongo();
        long t = System.nanoTime();
        for (int i = 0; i < failedCmids.size(); i++) {
            ChatClient c = group.get(i);
            ledger.acked(c, c.sendReliably(room, failedCmids.get(i), "while mongo is down", Duration.ofSeconds(90)));
        }
        long recoveredMs = (System.nanoTime() - t) / 1_000_000;
        for (int i = 0; i < before; i++) {
            scenario.sendTracked(group.get(i % 3), room, "after-" + i, ledger);
        }
        scenario.catchUpAll();
        Checker.Result result = Checker.check(http, system.gatewayPorts.get(0), Map.of(room, group), ledger);
        report("scenario 3: worst unavailable answer " + worst + " ms; retries acknowledged " + recoveredMs
                + " ms after the restart began; " + result + " hangs=" + scenario.hangs());
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.messages()).isEqualTo(2 * before + failedCmids.size());
    }

    @Test
    @Order(4)
    void redisKilledAndRestarted_clientsConverge_noAckedMessageLost_seqNeverReused() throws Exception {
        int users = LONG ? 8 : 4;
        int perSender = LONG ? 150 : 40;
        String room = scenario.roomWithMembers("r", users, "redis room");
        Map<ChatClient, String> targets = scenario.roomAndDirectSenders(room);
        Checker.Ledger ledger = new Checker.Ledger();
        AtomicInteger acked = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> drivers = scenario.drive(targets, perSender, ledger, acked, done);
        Scenario.awaitCount(acked, targets.size() * perSender / 3, Duration.ofSeconds(60));
        system.redis.kill9();
        report("scenario 4: killed redis after " + acked.get() + " acks");
        Thread.sleep(2000);
        system.restartRedis();
        long restartedAt = System.nanoTime();
        int acksBeforeRestart = ledger.acks.size();
        Scenario.finish(drivers, done, Duration.ofSeconds(150));
        long lastAckMs = (System.nanoTime() - restartedAt) / 1_000_000;
        String direct = scenario.directConversation(ledger);
        scenario.catchUpAll();
        Checker.Result result = Checker.check(http, system.gatewayPorts.get(0),
                Map.of(room, List.copyOf(clients), direct, List.of(clients.get(2), clients.get(3))), ledger);
        long reconnects = clients.stream().mapToLong(c -> c.reconnects.size()).sum();
        // Live pushes are at-most-once by design; how many of the messages acked after the restart still came live
        // shows whether the gateways' Redis subscriptions came back (the final sync repairs the rest either way).
        Map<String, List<ChatClient>> members = Map.of(room, List.copyOf(clients), direct, List.of(clients.get(2), clients.get(3)));
        long expectedPushes = 0;
        long livePushes = 0;
        for (Checker.SentAck ack : ledger.acks.subList(acksBeforeRestart, ledger.acks.size())) {
            for (ChatClient member : members.get(ack.conv())) {
                expectedPushes++;
                livePushes += member.pushed.contains(ack.conv() + "#" + ack.seq()) ? 1 : 0;
            }
        }
        report("scenario 4: " + result + "; reconnects=" + reconnects + " all acked " + lastAckMs
                + " ms after the restart; live pushes of messages acked after the restart " + livePushes + "/"
                + expectedPushes + "; hangs=" + scenario.hangs());
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.acks()).isEqualTo(targets.size() * perSender);
    }

    @Test
    @Order(5)
    void chatServiceKilledAndRestarted_nothingLostOrDuplicated() throws Exception {
        int perSender = LONG ? 150 : 30;
        String room = scenario.roomWithMembers("c", 4, "chat kill room");
        Map<ChatClient, String> targets = scenario.roomAndDirectSenders(room);
        Checker.Ledger ledger = new Checker.Ledger();
        AtomicInteger acked = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> drivers = scenario.drive(targets, perSender, ledger, acked, done);
        Scenario.awaitCount(acked, targets.size() * perSender / 3, Duration.ofSeconds(60));
        system.chatService.kill9();
        long killedAt = System.nanoTime();
        report("scenario 5: killed chat-service after " + acked.get() + " acks");
        system.restartChat();
        long upMs = (System.nanoTime() - killedAt) / 1_000_000;
        Scenario.finish(drivers, done, Duration.ofSeconds(180));
        long allMs = (System.nanoTime() - killedAt) / 1_000_000;
        String direct = scenario.directConversation(ledger);
        scenario.catchUpAll();
        Checker.Result result = Checker.check(http, system.gatewayPorts.get(1),
                Map.of(room, List.copyOf(clients), direct, List.of(clients.get(2), clients.get(3))), ledger);
        report("scenario 5: " + result + "; chat healthy again " + upMs + " ms after the kill, all acked " + allMs
                + " ms after it; hangs=" + scenario.hangs());
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.acks()).isEqualTo(targets.size() * perSender);
    }
}
