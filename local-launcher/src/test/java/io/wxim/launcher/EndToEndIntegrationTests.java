package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.TestInfra;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole system on the shared test infrastructure: auth, history, chat and TWO gateways in one JVM, driven by
 * real WebSocket clients over loopback. Every wait is bounded ({@link WsClient#WAIT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EndToEndIntegrationTests {
    private final JsonMapper json = JsonMapper.builder().build();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private LocalSystem system;
    private int gw1;
    private int gw2;

    record Login(String token, String userId, String nickname) {
    }

    @BeforeAll
    void startSystem() {
        gw1 = TestInfra.freePort();
        gw2 = TestInfra.freePort();
        system = LocalSystem.start(new LocalSystem.Options(TestInfra.redisHost(), TestInfra.redisPort(),
                TestInfra.mongoUri(), "e2e" + UUID.randomUUID().toString().substring(0, 6) + "_",
                new LocalSystem.Ports(TestInfra.freePort(), TestInfra.freePort(), TestInfra.freePort(), 0),
                List.of(gw1, gw2), true, Map.of()));
    }

    @AfterAll
    void stopSystem() {
        if (system != null) {
            system.close();
        }
    }

    @Test
    void refusesUpgrade_withoutOrWithInvalidToken() {
        for (String header : new String[] {null, "Bearer not-a-jwt", "Bearer " + login("mallory").token() + "x"}) {
            var builder = http.newWebSocketBuilder();
            if (header != null) {
                builder.header("Authorization", header);
            }
            Throwable failure = null;
            try {
                builder.buildAsync(URI.create("ws://127.0.0.1:" + gw1 + "/ws"), new java.net.http.WebSocket.Listener() {
                }).orTimeout(10, TimeUnit.SECONDS).join();
            } catch (CompletionException e) {
                failure = e.getCause();
            }
            assertThat(failure).as("handshake with %s", header).isInstanceOf(WebSocketHandshakeException.class);
            assertThat(((WebSocketHandshakeException) failure).getResponse().statusCode()).isEqualTo(401);
        }
    }

    @Test
    void chatsAcrossGateways_withSeqPresenceAndHistory() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        try (WsClient a = WsClient.connect(http, gw1, alice.token())) {
            ServerFrame.Welcome welcome = a.await(ServerFrame.Welcome.class);
            // alice's gateway is subscribed to the lobby once her welcome arrived; bob connects after that
            WsClient b = WsClient.connect(http, gw2, bob.token());
            assertThat(welcome.user().id()).isEqualTo(alice.userId());
            assertThat(welcome.conversations()).extracting(ServerFrame.ConversationInfo::conv).contains(Conversations.LOBBY);
            b.await(ServerFrame.Welcome.class);
            // bob came online in the lobby: alice (other gateway) hears it with the lobby's online count
            ServerFrame.MemberJoined lobbyJoin = a.await(ServerFrame.MemberJoined.class,
                    f -> f.conv().equals(Conversations.LOBBY) && f.user().id().equals(bob.userId()));
            assertThat(lobbyJoin.online()).isGreaterThanOrEqualTo(2);
            assertThat(lobbyJoin.user().nickname()).isEqualTo(bob.nickname());

            a.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"Tea room\"}");
            ServerFrame.Joined created = a.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid()));
            String room = created.conv();
            assertThat(created.online()).isEqualTo(1);

            b.send("{\"type\":\"rooms\",\"rid\":\"l1\"}");
            ServerFrame.Rooms rooms = b.await(ServerFrame.Rooms.class, f -> "l1".equals(f.rid()));
            assertThat(rooms.rooms()).anySatisfy(r -> {
                assertThat(r.conv()).isEqualTo(room);
                assertThat(r.name()).isEqualTo("Tea room");
                assertThat(r.member()).isFalse();
            });

            b.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            assertThat(b.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid())).online()).isEqualTo(2);
            ServerFrame.MemberJoined joined = a.await(ServerFrame.MemberJoined.class, f -> f.conv().equals(room));
            assertThat(joined.user().id()).isEqualTo(bob.userId());
            assertThat(joined.online()).isEqualTo(2);

            a.send(send("m1", room, "hello from gateway 1"));
            ServerFrame.Ack ack1 = a.await(ServerFrame.Ack.class, f -> "m1".equals(f.cmid()));
            assertThat(ack1.seq()).isEqualTo(1);
            ServerFrame.Message atBob = b.await(ServerFrame.Message.class, f -> f.conv().equals(room));
            assertThat(atBob.seq()).isEqualTo(1);
            assertThat(atBob.body()).isEqualTo("hello from gateway 1");
            assertThat(atBob.from().id()).isEqualTo(alice.userId());
            assertThat(atBob.id()).isEqualTo(ack1.id());

            b.send(send("m2", room, "hello from gateway 2"));
            ServerFrame.Ack ack2 = b.await(ServerFrame.Ack.class, f -> "m2".equals(f.cmid()));
            assertThat(ack2.seq()).isEqualTo(2);
            assertThat(a.await(ServerFrame.Message.class, f -> f.conv().equals(room) && f.seq() == 2).from().id())
                    .isEqualTo(bob.userId());

            b.send("{\"type\":\"members\",\"rid\":\"mb\",\"conv\":\"" + room + "\"}");
            assertThat(b.await(ServerFrame.Members.class, f -> "mb".equals(f.rid())).members())
                    .extracting(u -> u.id()).containsExactlyInAnyOrder(alice.userId(), bob.userId());

            JsonNode history = getJson(gw1, "/api/history/" + room, bob.token());
            assertThat(history.get("messages").size()).isEqualTo(2);
            assertThat(history.get("messages").get(0).get("seq").asLong()).isEqualTo(1);
            assertThat(history.get("messages").get(0).get("id").asString()).isEqualTo(ack1.id());
            assertThat(history.get("messages").get(1).get("body").asString()).isEqualTo("hello from gateway 2");

            b.send("{\"type\":\"leave\",\"rid\":\"lv\",\"conv\":\"" + room + "\"}");
            b.await(ServerFrame.Left.class, f -> "lv".equals(f.rid()));
            ServerFrame.MemberLeft left = a.await(ServerFrame.MemberLeft.class, f -> f.conv().equals(room));
            assertThat(left.user().id()).isEqualTo(bob.userId());
            assertThat(left.online()).isEqualTo(1);
            // after leaving, bob neither receives nor may send
            a.send(send("m3", room, "bob is gone"));
            a.await(ServerFrame.Ack.class, f -> "m3".equals(f.cmid()));
            b.send(send("m4", room, "let me in"));
            assertThat(b.await(ServerFrame.Error.class, f -> "m4".equals(f.cmid())).code()).isEqualTo("not_found");
            assertThat(b.received()).noneMatch(f -> f instanceof ServerFrame.Message m && m.conv().equals(room) && m.seq() == 3);
            b.close();
        }
    }

    @Test
    void syncsExactlyTheMissedMessages_afterReconnectingToTheOtherGateway() {
        Login carol = login("carol");
        Login dave = login("dave");
        String room;
        long daveLastSeq;
        try (WsClient c = WsClient.connect(http, gw1, carol.token())) {
            c.await(ServerFrame.Welcome.class);
            c.send("{\"type\":\"create\",\"rid\":\"c\",\"name\":\"sync\"}");
            room = c.await(ServerFrame.Joined.class, f -> "c".equals(f.rid())).conv();
            try (WsClient d = WsClient.connect(http, gw1, dave.token())) {
                d.await(ServerFrame.Welcome.class);
                d.send("{\"type\":\"join\",\"rid\":\"j\",\"conv\":\"" + room + "\"}");
                d.await(ServerFrame.Joined.class, f -> "j".equals(f.rid()));
                c.send(send("s1", room, "one"));
                c.await(ServerFrame.Ack.class, f -> "s1".equals(f.cmid()));
                daveLastSeq = d.await(ServerFrame.Message.class, f -> f.conv().equals(room)).seq();
            }
            for (int i = 2; i <= 4; i++) {
                c.send(send("s" + i, room, "missed " + i));
                c.await(ServerFrame.Ack.class);
            }
            try (WsClient d = WsClient.connect(http, gw2, dave.token())) {
                ServerFrame.Welcome welcome = d.await(ServerFrame.Welcome.class);
                assertThat(welcome.conversations()).anySatisfy(ci -> {
                    assertThat(ci.conv()).isEqualTo(room);
                    assertThat(ci.lastSeq()).isEqualTo(4);
                });
                d.send("{\"type\":\"sync\",\"rid\":\"sy\",\"convs\":{\"" + room + "\":" + daveLastSeq + "}}");
                ServerFrame.Synced synced = d.await(ServerFrame.Synced.class, f -> "sy".equals(f.rid()));
                assertThat(synced.messages()).extracting(ServerFrame.Message::seq).containsExactly(2L, 3L, 4L);
                assertThat(synced.messages()).extracting(ServerFrame.Message::body)
                        .containsExactly("missed 2", "missed 3", "missed 4");
                assertThat(synced.more()).isFalse();
                // live pushes continue after the sync
                c.send(send("s5", room, "live"));
                assertThat(d.await(ServerFrame.Message.class, f -> f.conv().equals(room)).seq()).isEqualTo(5);
            }
        }
    }

    @Test
    void storesARetriedSendOnce_andAcksWithTheOriginalSeq() throws Exception {
        Login erin = login("erin");
        try (WsClient e1 = WsClient.connect(http, gw1, erin.token())) {
            e1.await(ServerFrame.Welcome.class);
            e1.send("{\"type\":\"create\",\"rid\":\"c\",\"name\":\"dedupe\"}");
            String room = e1.await(ServerFrame.Joined.class, f -> "c".equals(f.rid())).conv();
            e1.send(send("same-id", room, "once"));
            ServerFrame.Ack first = e1.await(ServerFrame.Ack.class, f -> "same-id".equals(f.cmid()));
            e1.send(send("same-id", room, "once"));
            ServerFrame.Ack second = e1.await(ServerFrame.Ack.class, f -> "same-id".equals(f.cmid()));
            try (WsClient e2 = WsClient.connect(http, gw2, erin.token())) { // the same retry from another device/gateway
                e2.await(ServerFrame.Welcome.class);
                e2.send(send("same-id", room, "once"));
                ServerFrame.Ack third = e2.await(ServerFrame.Ack.class, f -> "same-id".equals(f.cmid()));
                assertThat(List.of(second, third)).allSatisfy(ack -> {
                    assertThat(ack.seq()).isEqualTo(first.seq());
                    assertThat(ack.id()).isEqualTo(first.id());
                });
            }
            JsonNode history = getJson(gw2, "/api/history/" + room, erin.token());
            assertThat(history.get("messages").size()).isEqualTo(1);
        }
    }

    @Test
    void answersBadInput_withDocumentedErrors_andKeepsTheConnection() {
        Login frank = login("frank");
        try (WsClient f = WsClient.connect(http, gw1, frank.token())) {
            f.await(ServerFrame.Welcome.class);
            f.send("this is not json");
            assertThat(f.await(ServerFrame.Error.class).code()).isEqualTo("bad_request");
            f.send("{\"type\":\"teleport\"}");
            assertThat(f.await(ServerFrame.Error.class).code()).isEqualTo("unknown_type");
            f.send("{\"type\":\"send\",\"conv\":\"r:lobby\",\"body\":\"no cmid\"}");
            assertThat(f.await(ServerFrame.Error.class).code()).isEqualTo("bad_request");
            f.send("{\"type\":\"send\",\"cmid\":\"x1\",\"conv\":\"r:doesnotexist\",\"body\":\"hi\"}");
            ServerFrame.Error notMember = f.await(ServerFrame.Error.class);
            assertThat(notMember.code()).isEqualTo("not_found");
            assertThat(notMember.cmid()).isEqualTo("x1");
            assertThat(notMember.retry()).isFalse();
            f.send("{\"type\":\"send\",\"rid\":\"r2\",\"cmid\":\"x2\",\"conv\":\"r:lobby\",\"body\":\"" + "y".repeat(4001) + "\"}");
            ServerFrame.Error tooLarge = f.await(ServerFrame.Error.class);
            assertThat(tooLarge.code()).isEqualTo("too_large");
            assertThat(tooLarge.cmid()).isEqualTo("x2"); // the client can tell which pending send failed
            assertThat(tooLarge.rid()).isEqualTo("r2");
            // still healthy: a ping gets its pong, and the server identity is not spoofable
            f.send("{\"type\":\"ping\",\"rid\":\"p\"}");
            assertThat(f.await(ServerFrame.Pong.class).rid()).isEqualTo("p");
            f.send("{\"type\":\"send\",\"cmid\":\"x3\",\"conv\":\"r:lobby\",\"body\":\"hi\",\"from\":{\"id\":\"someone\"},\"seq\":1}");
            f.await(ServerFrame.Ack.class, a -> "x3".equals(a.cmid()));
            ServerFrame.Message echoed = f.await(ServerFrame.Message.class, m -> "x3".equals(m.cmid()));
            assertThat(echoed.from().id()).isEqualTo(frank.userId());
        }
    }

    @Test
    void closesTheConnection_withCode1009_forAnOversizedFrame() {
        try (WsClient g = WsClient.connect(http, gw2, login("grace").token())) {
            g.await(ServerFrame.Welcome.class);
            g.send("{\"type\":\"ping\",\"pad\":\"" + "z".repeat(70 * 1024) + "\"}");
            assertThat(g.closeCode(Duration.ofSeconds(10))).isEqualTo(1009);
        }
    }

    @Test
    void historyIsNotFound_forNonMembers_andUnauthorizedWithoutToken() throws Exception {
        Login heidi = login("heidi");
        Login ivan = login("ivan");
        String room;
        try (WsClient h = WsClient.connect(http, gw1, heidi.token())) {
            h.await(ServerFrame.Welcome.class);
            h.send("{\"type\":\"create\",\"rid\":\"c\",\"name\":\"private\"}");
            room = h.await(ServerFrame.Joined.class, f -> "c".equals(f.rid())).conv();
            h.send(send("p1", room, "secret"));
            h.await(ServerFrame.Ack.class);
        }
        HttpResponse<String> asIvan = get(gw1, "/api/history/" + room, ivan.token());
        HttpResponse<String> unknown = get(gw1, "/api/history/r:nosuchroom", ivan.token());
        assertThat(asIvan.statusCode()).isEqualTo(404);
        assertThat(asIvan.body()).doesNotContain("secret");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(get(gw1, "/api/history/" + room, null).statusCode()).isEqualTo(401);
    }

    @Test
    void losesNothing_whenPushesArriveWhileTheClientSyncs() throws Exception {
        Login pam = login("pam");
        Login quinn = login("quinn");
        int total = 40;
        try (WsClient p = WsClient.connect(http, gw1, pam.token())) {
            p.await(ServerFrame.Welcome.class);
            p.send("{\"type\":\"create\",\"rid\":\"c\",\"name\":\"busy\"}");
            String room = p.await(ServerFrame.Joined.class, f -> "c".equals(f.rid())).conv();
            try (WsClient q = WsClient.connect(http, gw2, quinn.token())) {
                q.await(ServerFrame.Welcome.class);
                q.send("{\"type\":\"join\",\"rid\":\"j\",\"conv\":\"" + room + "\"}");
                q.await(ServerFrame.Joined.class, f -> "j".equals(f.rid()));
            }
            for (int i = 1; i <= 10; i++) { // quinn is offline for these
                p.send(send("early" + i, room, "early " + i));
                p.await(ServerFrame.Ack.class, a -> a.cmid().startsWith("early"));
            }
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 11; i <= total; i++) {
                    int n = i;
                    p.send(send("late" + n, room, "late " + n));
                    p.await(ServerFrame.Ack.class, a -> ("late" + n).equals(a.cmid()));
                }
            });
            Map<Long, String> idsBySeq = new HashMap<>();
            try (WsClient q = WsClient.connect(http, gw2, quinn.token())) {
                q.await(ServerFrame.Welcome.class);
                for (ServerFrame.Message m : syncAll(q, room, 0, 7)) { // pages of 7 while pam keeps sending
                    assertThat(idsBySeq.putIfAbsent(m.seq(), m.id())).isIn(null, m.id());
                }
                sender.get(60, TimeUnit.SECONDS);
                // pushes are a fast path (at-most-once): a final sync from the highest contiguous seq closes any gap
                long contiguous = 0;
                while (idsBySeq.containsKey(contiguous + 1)) {
                    contiguous++;
                }
                q.send("{\"type\":\"sync\",\"rid\":\"final\",\"convs\":{\"" + room + "\":" + contiguous + "}}");
                for (ServerFrame.Message m : q.await(ServerFrame.Synced.class, f -> "final".equals(f.rid())).messages()) {
                    assertThat(idsBySeq.putIfAbsent(m.seq(), m.id())).isIn(null, m.id());
                }
                // every push received carries the same id as the stored message with its seq: duplicates are harmless
                for (ServerFrame frame : q.received()) {
                    if (frame instanceof ServerFrame.Message m && m.conv().equals(room)) {
                        assertThat(idsBySeq).containsEntry(m.seq(), m.id());
                    }
                }
            }
            assertThat(idsBySeq.keySet()).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, total).boxed().toList());
        }
    }

    @Test
    void createIsIdempotentPerRid_andRoomsPerUserAreCapped() {
        Login tina = login("tina");
        try (WsClient t = WsClient.connect(http, gw1, tina.token())) {
            t.await(ServerFrame.Welcome.class);
            t.send("{\"type\":\"create\",\"rid\":\"room0\",\"name\":\"first\"}");
            String first = t.await(ServerFrame.Joined.class, f -> "room0".equals(f.rid())).conv();
            t.send("{\"type\":\"create\",\"rid\":\"room0\",\"name\":\"first\"}"); // a retry
            assertThat(t.await(ServerFrame.Joined.class, f -> "room0".equals(f.rid())).conv()).isEqualTo(first);
            for (int i = 1; i < 100; i++) {
                String rid = "room" + i;
                t.send("{\"type\":\"create\",\"rid\":\"" + rid + "\",\"name\":\"r" + i + "\"}");
                t.await(ServerFrame.Joined.class, f -> rid.equals(f.rid()));
                if (i % 30 == 0) {
                    sleepQuietly(1500); // stay under the per-connection frame rate
                }
            }
            t.send("{\"type\":\"create\",\"rid\":\"room100\",\"name\":\"one too many\"}");
            ServerFrame.Error limit = t.await(ServerFrame.Error.class, f -> "room100".equals(f.rid()));
            assertThat(limit.code()).isEqualTo("too_large");
        }
        try (WsClient again = WsClient.connect(http, gw2, tina.token())) { // still able to connect with 100 rooms
            assertThat(again.await(ServerFrame.Welcome.class).conversations()).hasSize(101);
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void disconnectsAStalledReaderAsSlowConsumer_whileOthersKeepChatting_andItCatchesUpBySync() throws Exception {
        Login umar = login("umar");
        Login vera = login("vera");
        int senders = 7;
        int perSender = 300; // an upper bound: senders stop once the stalled reader is closed
        String body = "x".repeat(4000);
        List<WsClient> clients = new java.util.ArrayList<>();
        int total;
        try {
            for (int i = 0; i < senders; i++) {
                WsClient c = WsClient.connect(http, gw1, umar.token());
                c.await(ServerFrame.Welcome.class);
                clients.add(c);
            }
            WsClient first = clients.get(0);
            first.send("{\"type\":\"create\",\"rid\":\"flood\",\"name\":\"flood\"}");
            String room = first.await(ServerFrame.Joined.class, f -> "flood".equals(f.rid())).conv();
            try (WsClient v = WsClient.connect(http, gw2, vera.token())) {
                v.await(ServerFrame.Welcome.class);
                v.send("{\"type\":\"join\",\"rid\":\"j\",\"conv\":\"" + room + "\"}");
                v.await(ServerFrame.Joined.class, f -> "j".equals(f.rid()));
            }
            WsClient observer = WsClient.connect(http, gw1, login("wendy").token()); // watches the lobby
            clients.add(observer);
            observer.await(ServerFrame.Welcome.class);
            try (StalledClient stalled = new StalledClient(gw2, vera.token())) {
                observer.await(ServerFrame.MemberJoined.class, f -> f.conv().equals(Conversations.LOBBY) && f.user().id().equals(vera.userId()));
                java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.atomic.AtomicInteger acked = new java.util.concurrent.atomic.AtomicInteger();
                List<CompletableFuture<Void>> floods = new java.util.ArrayList<>();
                for (int i = 0; i < senders; i++) {
                    WsClient c = clients.get(i);
                    int sender = i;
                    floods.add(CompletableFuture.runAsync(() -> {
                        for (int n = 0; n < perSender && !closed.get(); n++) {
                            String cmid = "f" + sender + "-" + n;
                            c.send(send(cmid, room, body));
                            ServerFrame.Ack ack = c.await(ServerFrame.Ack.class, a -> cmid.equals(a.cmid()));
                            assertThat(ack.seq()).isPositive();
                            acked.incrementAndGet();
                        }
                    }));
                }
                // the stalled reader's queue overflows (after the kernel and Netty buffers in front of it filled, a few
                // MB on loopback): its gateway closes it, so vera goes offline in the lobby
                ServerFrame.MemberLeft gone = observer.await(ServerFrame.MemberLeft.class,
                        f -> f.conv().equals(Conversations.LOBBY) && f.user().id().equals(vera.userId()), Duration.ofSeconds(60));
                closed.set(true);
                assertThat(gone.online()).isPositive(); // the others are still there
                CompletableFuture.allOf(floods.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                total = acked.get();
                assertThat(total).isLessThan(senders * perSender); // closed by overflow, not by the end of the flood
            }
            // back online (normal client): everything is there, in order, without gaps
            try (WsClient v = WsClient.connect(http, gw2, vera.token())) {
                v.await(ServerFrame.Welcome.class);
                List<ServerFrame.Message> all = syncAll(v, room, 0, 100);
                assertThat(all).extracting(ServerFrame.Message::seq) // every acknowledged message, 1..total, nothing lost
                        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, total).boxed().toList());
            }
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void answersFramesSentBeforeTheWelcome_afterIt() {
        try (WsClient r = WsClient.connect(http, gw1, login("rita").token())) {
            r.send("{\"type\":\"ping\",\"rid\":\"early\"}");
            r.await(ServerFrame.Pong.class, f -> "early".equals(f.rid()));
            List<ServerFrame> frames = r.received();
            assertThat(frames.get(0)).isInstanceOf(ServerFrame.Welcome.class);
        }
    }

    /** Runs last: it stops gateway 2. */
    @Test
    @Order(Integer.MAX_VALUE)
    void closesSocketsWithGoingAway_whenAGatewayShutsDown() {
        try (WsClient s = WsClient.connect(http, gw2, login("sam").token())) {
            s.await(ServerFrame.Welcome.class);
            system.stopGateway(1);
            assertThat(s.closeCode(Duration.ofSeconds(10))).isEqualTo(4001);
        }
    }

    /** Syncs one conversation from {@code after} page by page until {@code more} is false; all pages in order. */
    private static List<ServerFrame.Message> syncAll(WsClient client, String conv, long after, int limit) {
        List<ServerFrame.Message> all = new java.util.ArrayList<>();
        long last = after;
        boolean more = true;
        for (int page = 0; more; page++) {
            String rid = "page" + page + "-" + System.nanoTime();
            client.send("{\"type\":\"sync\",\"rid\":\"" + rid + "\",\"limit\":" + limit + ",\"convs\":{\"" + conv + "\":" + last + "}}");
            ServerFrame.Synced synced = client.await(ServerFrame.Synced.class, f -> rid.equals(f.rid()));
            all.addAll(synced.messages());
            if (!synced.messages().isEmpty()) {
                last = synced.messages().get(synced.messages().size() - 1).seq();
            }
            more = synced.more();
        }
        return all;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String send(String cmid, String conv, String body) {
        return "{\"type\":\"send\",\"cmid\":\"" + cmid + "\",\"conv\":\"" + conv + "\",\"body\":\"" + body + "\"}";
    }

    private Login login(String name) {
        String nickname = name + "-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw1 + "/api/auth/dev-login"))
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"nickname\":\"" + nickname + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = json.readTree(response.body());
            return new Login(body.get("accessToken").asString(), body.get("user").get("id").asString(), nickname);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private HttpResponse<String> get(int port, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode getJson(int port, String path, String token) throws Exception {
        HttpResponse<String> response = get(port, path, token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }
}
