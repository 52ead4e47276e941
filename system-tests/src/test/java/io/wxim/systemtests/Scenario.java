package io.wxim.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The clients of one scenario and what the fault-injection tests do with them: log users in, spread them over the
 * gateways, drive senders (paced, reconnecting) on their own threads, wait for counts, catch up and converge.
 * Shared by the IT classes; one per test method, closed after it.
 */
final class Scenario implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    final SystemUnderTest system;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final List<ChatClient> clients = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    Scenario(SystemUnderTest system) {
        this.system = system;
    }

    static void report(String line) {
        System.out.println("[system-tests] " + line);
    }

    /** {@code users} clients alternating over the two gateways, all in one new room; returns the room. */
    String roomWithMembers(String prefix, int users, String roomName) {
        for (int i = 0; i < users; i++) {
            newClient(prefix + i, i % 2);
        }
        String room = clients.get(0).command("create", "\"name\":\"" + roomName + "\"").conv();
        for (ChatClient c : clients.subList(1, users)) {
            c.command("join", "\"conv\":\"" + room + "\"");
        }
        return room;
    }

    /** Senders: clients 0 and 1 in the room, client 2 directly to client 3. */
    Map<ChatClient, String> roomAndDirectSenders(String room) {
        Map<ChatClient, String> targets = new LinkedHashMap<>();
        targets.put(clients.get(0), room);
        targets.put(clients.get(1), room);
        targets.put(clients.get(2), "u:" + clients.get(3).login.userId());
        return targets;
    }

    /** The direct conversation of client 2 with client 3, as its acks name it. */
    String directConversation(Checker.Ledger ledger) {
        String sender = clients.get(2).login.userId();
        return ledger.acks.stream().filter(a -> a.user().equals(sender)).findFirst().orElseThrow().conv();
    }

    /** Members of the room (everyone) and of the direct conversation of clients 2 and 3. */
    Map<String, List<ChatClient>> roomAndDirectMembers(String room, Checker.Ledger ledger) {
        return Map.of(room, List.copyOf(clients), directConversation(ledger), List.of(clients.get(2), clients.get(3)));
    }

    ChatClient newClient(String name, int gateway) {
        return newClient(login(name), name, gateway);
    }

    ChatClient newClient(ChatClient.Login login, String name, int gateway) {
        ChatClient c = new ChatClient(http, name, login, system.gatewayPorts, gateway);
        c.ensureConnected(Duration.ofSeconds(30));
        clients.add(c);
        return c;
    }

    ServerFrame.Ack sendTracked(ChatClient c, String conv, String cmid, Checker.Ledger ledger) {
        ledger.sent(cmid);
        ServerFrame.Ack ack = c.sendReliably(conv, cmid, "body of " + cmid, Duration.ofSeconds(60));
        ledger.acked(c, ack);
        return ack;
    }

    /**
     * Every client runs on its own thread: senders send their messages (paced), everyone reconnects when cut off and
     * runs the syncs a gap or a {@code resync} asked for, until {@code done}.
     */
    List<Future<?>> drive(Map<ChatClient, String> targets, int perSender, Checker.Ledger ledger,
                          AtomicInteger acked, AtomicBoolean done) {
        List<Future<?>> futures = new ArrayList<>();
        AtomicInteger senders = new AtomicInteger(targets.size());
        for (ChatClient c : clients) {
            String target = targets.get(c);
            futures.add(pool.submit(() -> {
                if (target != null) {
                    try {
                        for (int i = 0; i < perSender; i++) {
                            String cmid = c.name + "-" + i;
                            ledger.sent(cmid);
                            ServerFrame.Ack ack = c.sendReliably(target, cmid, "message " + i + " from " + c.name, Duration.ofSeconds(90));
                            ledger.acked(c, ack);
                            acked.incrementAndGet();
                            ChatClient.sleep(60); // stays under the 20 frames/s per-connection limit
                        }
                    } finally {
                        if (senders.decrementAndGet() == 0) {
                            done.set(true);
                        }
                    }
                }
                while (!done.get()) {
                    c.ensureConnected(Duration.ofSeconds(60));
                    syncPendingQuietly(c);
                    ChatClient.sleep(100);
                }
                return null;
            }));
        }
        return futures;
    }

    private static void syncPendingQuietly(ChatClient c) {
        try {
            c.syncPending();
        } catch (ChatClient.Closed e) {
            // reconnects on the next round
        }
    }

    static void finish(List<Future<?>> drivers, AtomicBoolean done, Duration wait) throws Exception {
        long until = System.nanoTime() + wait.toNanos();
        try {
            for (Future<?> f : drivers) {
                f.get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } finally {
            done.set(true);
        }
    }

    static void awaitCount(AtomicInteger count, int target, Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        while (count.get() < target) {
            assertThat(System.nanoTime()).as("reached " + count.get() + " of " + target).isLessThan(until);
            ChatClient.sleep(20);
        }
    }

    /** Final sync of every client (reconnecting if needed), as a client does when it comes back to the foreground. */
    void catchUpAll() {
        for (ChatClient c : clients) {
            c.ensureConnected(Duration.ofSeconds(60));
            for (String conv : c.conversations) {
                c.syncAll(conv);
            }
        }
    }

    /**
     * Without a full sync: lets every client run only what the protocol asks for (reconnect + sync, sync on a gap or
     * on {@code resync}) until every member's view equals history, or {@code wait} passes. Returns the milliseconds
     * it took, or -1 if the views did not converge in time.
     */
    long converge(Map<String, List<ChatClient>> members, Duration wait) {
        long start = System.nanoTime();
        long until = start + wait.toNanos();
        while (System.nanoTime() < until) {
            for (ChatClient c : clients) {
                if (!c.connected()) {
                    c.ensureConnected(Duration.ofSeconds(30));
                }
                syncPendingQuietly(c);
            }
            if (viewsEqualHistory(members)) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            ChatClient.sleep(100);
        }
        return -1;
    }

    private boolean viewsEqualHistory(Map<String, List<ChatClient>> members) {
        for (var e : members.entrySet()) {
            Map<Long, JsonNode> history = Checker.history(http, system.gatewayPorts.get(0), e.getKey(), e.getValue().get(0).login.token());
            for (ChatClient c : e.getValue()) {
                var view = c.view.get(e.getKey());
                if (view == null || !view.keySet().equals(history.keySet())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Messages of {@code members}' conversations in history that {@code client} did not get as a live push. */
    long missedLive(ChatClient client, Map<String, List<ChatClient>> members) {
        long missed = 0;
        for (var e : members.entrySet()) {
            if (e.getValue().contains(client)) {
                for (Long seq : Checker.history(http, system.gatewayPorts.get(0), e.getKey(), client.login.token()).keySet()) {
                    missed += client.pushed.contains(e.getKey() + "#" + seq) ? 0 : 1;
                }
            }
        }
        return missed;
    }

    void awaitHealthy(int gateway, Duration wait) {
        system.awaitGatewayHealthy(gateway, wait);
    }

    long hangs() {
        return clients.stream().flatMap(c -> c.anomalies.stream()).filter(a -> a.startsWith("no answer")).count();
    }

    ChatClient.Login login(String name) {
        String nickname = name + "-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + system.gatewayPorts.get(0) + "/api/auth/dev-login"))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"nickname\":\"" + nickname + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            return new ChatClient.Login(body.get("accessToken").asString(), body.get("user").get("id").asString(), nickname);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        clients.forEach(ChatClient::close);
        pool.shutdownNow();
    }
}
