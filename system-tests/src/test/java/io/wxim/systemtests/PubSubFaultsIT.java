package io.wxim.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.RedisNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Faults that cut the live path without killing a service ({@link SystemUnderTest}, separate processes): a gateway's
 * Redis pub/sub connection killed again and again (CLIENT KILL), a gateway frozen with SIGSTOP, and Redis restarted
 * with its data gone. Each ends with the views converging (only the syncs the protocol asks for) and {@link Checker}.
 * Results and limits: docs/reliability.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PubSubFaultsIT {
    private static final boolean LONG = Boolean.getBoolean("system.long");
    /** Pause between two rounds of CLIENT KILL: Lettuce reconnects within ~100 ms, so gw2 is cut most of the time. */
    private static final long KILL_EVERY_MS = 20;
    private SystemUnderTest system;
    private Scenario s;

    @BeforeAll
    void startSystem() {
        long t = System.nanoTime();
        system = SystemUnderTest.start();
        Scenario.report("pubsub: system up in " + (System.nanoTime() - t) / 1_000_000 + " ms (long=" + LONG + ")");
    }

    @AfterAll
    void stopSystem() {
        if (system != null) {
            system.close();
        }
    }

    @BeforeEach
    void newScenario() {
        s = new Scenario(system);
    }

    @AfterEach
    void closeClients() {
        s.close();
    }

    /**
     * gw2's pub/sub connection is killed over and over while only gw1's clients send (a room and a direct
     * conversation, then one last message to each of several quiet rooms), and the stream ends inside that storm: gw2's
     * clients miss messages live, and in a quiet room no later message reveals the gap. The gateway must tell them
     * to resync once its subscription is back.
     */
    @Test
    @Order(1)
    void pubSubConnectionKilled_clientsOfThatGatewayResyncAndConverge_withoutALaterMessage() throws Exception {
        int perSender = LONG ? 150 : 40;
        int quietRooms = 6;
        String room = s.roomWithMembers("ps", 4, "pubsub room"); // 0, 2 on gw1; 1, 3 on gw2
        List<ChatClient> onGw2 = List.of(s.clients.get(1), s.clients.get(3));
        Checker.Ledger ledger = new Checker.Ledger();
        // the quiet rooms' sender is driven by this thread only (not by Scenario.drive)
        ChatClient quiet = s.newClient("psq", 0);
        s.clients.remove(quiet);
        try {
            List<String> quiets = new ArrayList<>();
            for (int i = 0; i < quietRooms; i++) {
                String q = quiet.command("create", "\"name\":\"quiet " + i + "\"").conv();
                for (ChatClient c : onGw2) {
                    c.command("join", "\"conv\":\"" + q + "\"");
                }
                s.sendTracked(quiet, q, "quiet-before-" + i, ledger);
                quiets.add(q);
            }
            Map<ChatClient, String> targets = new LinkedHashMap<>();
            targets.put(s.clients.get(0), room);
            targets.put(s.clients.get(2), "u:" + s.clients.get(3).login.userId());
            pubSubStorm(room, quiet, quiets, onGw2, targets, perSender, ledger);
        } finally {
            quiet.close();
        }
    }

    private void pubSubStorm(String room, ChatClient quiet, List<String> quiets, List<ChatClient> onGw2,
                             Map<ChatClient, String> targets, int perSender, Checker.Ledger ledger) throws Exception {
        AtomicInteger acked = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> drivers = s.drive(targets, perSender, ledger, acked, done);
        Scenario.awaitCount(acked, targets.size() * perSender / 3, Duration.ofSeconds(60));

        AtomicBoolean stopKilling = new AtomicBoolean();
        AtomicLong kills = new AtomicLong();
        Thread killer = new Thread(() -> {
            try (RedisCli cli = new RedisCli(system.redisPort)) {
                while (!stopKilling.get()) {
                    for (String id : cli.pubSubClientIds("gw2")) {
                        if (Long.valueOf(1).equals(cli.call("CLIENT", "KILL", "ID", id))) {
                            kills.incrementAndGet();
                        }
                    }
                    ChatClient.sleep(KILL_EVERY_MS);
                }
            }
        }, "pubsub-killer");
        killer.setDaemon(true);
        long stormStart = System.nanoTime();
        killer.start();
        try {
            // The senders are on gw1, untouched: the stream ends inside the storm, with one message per quiet room.
            Scenario.awaitCount(acked, targets.size() * perSender, Duration.ofSeconds(120));
            for (int i = 0; i < quiets.size(); i++) {
                s.sendTracked(quiet, quiets.get(i), "quiet-last-" + i, ledger);
            }
        } finally {
            stopKilling.set(true);
            killer.join(10_000);
        }
        long stormMs = (System.nanoTime() - stormStart) / 1_000_000;
        long stormEnd = System.nanoTime();
        Scenario.finish(drivers, done, Duration.ofSeconds(60));

        Map<String, List<ChatClient>> members = new LinkedHashMap<>(s.roomAndDirectMembers(room, ledger));
        quiets.forEach(q -> members.put(q, List.of(quiet, onGw2.get(0), onGw2.get(1))));
        long quietMissed = quiets.stream().filter(q -> onGw2.stream().anyMatch(c -> !c.pushed.contains(q + "#2"))).count();
        long convergeMs = s.converge(members, Duration.ofSeconds(20));
        long missed = onGw2.stream().mapToLong(c -> s.missedLive(c, members)).sum();
        long resyncs = onGw2.stream().mapToLong(c -> c.resyncs.get()).sum();
        Checker.Result result = Checker.check(s.http, system.gatewayPorts.get(1), members, ledger);
        Scenario.report("pubsub 1: storm " + stormMs + " ms, " + kills.get() + " CLIENT KILLs of gw2's pub/sub connection; "
                + "messages gw2's clients missed live=" + missed + " (quiet rooms whose last message one missed: "
                + quietMissed + "/" + quiets.size() + "); resync frames they got=" + resyncs
                + "; views equal history " + convergeMs + " ms after the storm (-1 = not within 20 s); "
                + "gw2 reconnects=" + onGw2.stream().mapToLong(c -> c.reconnects.size()).sum() + "; " + result
                + "; hangs=" + s.hangs());
        assertThat(kills.get()).as("the storm killed gw2's pub/sub connection").isPositive();
        assertThat(quietMissed).as("a quiet room's last message was missed live on gw2 (else this test proves nothing)").isPositive();
        assertThat(convergeMs).as("views of every member equal history without a full sync").isNotNegative();
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.acks()).isEqualTo(targets.size() * perSender + 2 * quiets.size());
        assertThat(system.gateway(1).isAlive()).isTrue();
        long healthWait = System.nanoTime();
        s.awaitHealthy(1, Duration.ofSeconds(20)); // readiness UP (probes come back)
        Scenario.report("pubsub 1: gw2 healthy " + (System.nanoTime() - healthWait) / 1_000_000 + " ms after the check began, "
                + (System.nanoTime() - stormEnd) / 1_000_000 + " ms after the storm");
    }

    /**
     * gw2 frozen with SIGSTOP for several seconds while clients on both gateways send, then SIGCONT. Its clients may
     * wait it out or give up and reconnect to gw1; either way nothing is lost or duplicated and the views converge.
     */
    @Test
    @Order(2)
    void gatewayPausedWithSigstop_clientsWaitOrMove_nothingLostOrDuplicated() throws Exception {
        int perSender = LONG ? 150 : 30;
        long pauseMs = LONG ? 20_000 : 6_000; // the long version outlasts the clients' 15 s answer timeout
        String room = s.roomWithMembers("st", 4, "sigstop room");
        Map<ChatClient, String> targets = s.roomAndDirectSenders(room); // 0 (gw1), 1 (gw2) in the room; 2 (gw1) -> 3 (gw2)
        Checker.Ledger ledger = new Checker.Ledger();
        AtomicInteger acked = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> drivers = s.drive(targets, perSender, ledger, acked, done);
        Scenario.awaitCount(acked, targets.size() * perSender / 3, Duration.ofSeconds(60));
        ChatClient sender2 = s.clients.get(1);
        ManagedProcess gw2 = system.gateway(1);
        long ackedBeforeCont;
        gw2.signal("STOP");
        long stoppedAt = System.nanoTime();
        try {
            Thread.sleep(pauseMs); // the fault's duration, not a wait for a condition
            // counted at the end of the pause: an ack that arrived just before the STOP may be recorded during it
            ackedBeforeCont = senderAcks(ledger, sender2);
        } finally {
            gw2.signal("CONT");
        }
        long contAt = System.nanoTime();
        long resumedMs = awaitAcks(ledger, sender2, ackedBeforeCont + 1, Duration.ofSeconds(60), contAt);
        Scenario.finish(drivers, done, Duration.ofSeconds(150));
        Map<String, List<ChatClient>> members = s.roomAndDirectMembers(room, ledger);
        long convergeMs = s.converge(members, Duration.ofSeconds(30));
        s.catchUpAll();
        Checker.Result result = Checker.check(s.http, system.gatewayPorts.get(0), members, ledger);
        String moves = s.clients.stream().filter(c -> !c.reconnects.isEmpty())
                .map(c -> c.name + "->" + (c.reconnects.get(0).gatewayPort() == system.gatewayPorts.get(0) ? "gw1" : "gw2")
                        + " after " + (c.reconnects.get(0).welcomeNanos() - stoppedAt) / 1_000_000 + " ms")
                .toList().toString();
        Scenario.report("pubsub 2: gw2 stopped " + pauseMs + " ms; its sender acknowledged again " + resumedMs
                + " ms after SIGCONT; reconnects " + moves + "; views equal history " + convergeMs
                + " ms after the stream (-1 = not within 30 s); " + result + "; hangs=" + s.hangs());
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.acks()).isEqualTo(targets.size() * perSender);
        assertThat(convergeMs).as("views converge with the syncs the protocol asks for").isNotNegative();
        s.awaitHealthy(1, Duration.ofSeconds(30));
    }

    /**
     * Redis loses everything (kill -9, AOF directory deleted, same port) while clients send. seq lives in MongoDB, so
     * no acknowledged message may be lost and no seq reused or moved back; chat-service must recreate its consumer
     * group; the clients must converge again (live delivery depends on connection records that were in Redis).
     */
    @Test
    @Order(3)
    void redisRestartedWithoutData_noAckedMessageLost_seqNeverReused_clientsConverge() throws Exception {
        int perSender = LONG ? 150 : 30;
        String room = s.roomWithMembers("rd", 4, "redis data loss room");
        Map<ChatClient, String> targets = s.roomAndDirectSenders(room);
        Checker.Ledger ledger = new Checker.Ledger();
        AtomicInteger acked = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Future<?>> drivers = s.drive(targets, perSender, ledger, acked, done);
        Scenario.awaitCount(acked, targets.size() * perSender / 3, Duration.ofSeconds(60));
        system.restartRedisWithoutData();
        long restartedAt = System.nanoTime();
        int acksBefore = ledger.acks.size();
        Scenario.report("pubsub 3: Redis restarted without data after " + acksBefore + " acks");
        Scenario.finish(drivers, done, Duration.ofSeconds(150));
        long allAckedMs = (System.nanoTime() - restartedAt) / 1_000_000;
        Object groups;
        try (RedisCli cli = new RedisCli(system.redisPort)) {
            groups = cli.call("XINFO", "GROUPS", RedisNames.COMMAND_STREAM);
        }
        Map<String, List<ChatClient>> members = s.roomAndDirectMembers(room, ledger);
        long convergeMs = s.converge(members, Duration.ofSeconds(30));
        long expected = 0;
        long live = 0;
        for (Checker.SentAck ack : ledger.acks.subList(acksBefore, ledger.acks.size())) {
            for (ChatClient member : members.get(ack.conv())) {
                expected++;
                live += member.pushed.contains(ack.conv() + "#" + ack.seq()) ? 1 : 0;
            }
        }
        s.catchUpAll();
        Checker.Result result = Checker.check(s.http, system.gatewayPorts.get(0), members, ledger);
        long reconnects = s.clients.stream().mapToLong(c -> c.reconnects.size()).sum();
        Scenario.report("pubsub 3: all acked " + allAckedMs + " ms after the restart; consumer groups " + groups
                + "; live pushes of messages acked after the restart " + live + "/" + expected + "; reconnects="
                + reconnects + "; views equal history " + convergeMs + " ms after the stream (-1 = not within 30 s); "
                + result + "; hangs=" + s.hangs());
        assertThat(result.clean()).as(result.toString()).isTrue();
        assertThat(result.acks()).isEqualTo(targets.size() * perSender);
        assertThat(String.valueOf(groups)).as("chat-service recreated its consumer group").contains(RedisNames.COMMAND_GROUP);
        assertThat(convergeMs).as("views converge with the syncs the protocol asks for").isNotNegative();
    }

    private static long senderAcks(Checker.Ledger ledger, ChatClient sender) {
        return ledger.acks.stream().filter(a -> a.user().equals(sender.login.userId())).count();
    }

    /** Waits until {@code sender} has {@code target} acks; returns ms since {@code fromNanos}. */
    private static long awaitAcks(Checker.Ledger ledger, ChatClient sender, long target, Duration wait, long fromNanos) {
        long until = System.nanoTime() + wait.toNanos();
        while (senderAcks(ledger, sender) < target) {
            assertThat(System.nanoTime()).as(sender.name + " acknowledged again").isLessThan(until);
            ChatClient.sleep(20);
        }
        return (System.nanoTime() - fromNanos) / 1_000_000;
    }
}
