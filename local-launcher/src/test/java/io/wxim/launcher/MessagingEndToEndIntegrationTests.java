package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.Conversations;
import io.wxim.protocol.ServerFrame;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Messages across two gateways: seq, presence, history, sync after reconnect, idempotent retries, no loss while syncing. */
class MessagingEndToEndIntegrationTests extends EndToEndTestBase {

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

    /**
     * Devices of one user on different gateways and on the same one: joining on one subscribes the others too (told
     * by a {@code joined} without rid, ahead of the room's messages), and all get every message of the room,
     * including those the user sends from another device. Leaving on one stops all (the others told by a {@code left}
     * without rid).
     */
    @Test
    void aRoomJoinedOnOneDevice_reachesEveryDeviceOfTheUser() {
        Login alice = login("alice");
        Login bob = login("bob");
        try (WsClient a1 = WsClient.connect(http, gw1, alice.token());
             WsClient a2 = WsClient.connect(http, gw2, alice.token());
             WsClient a3 = WsClient.connect(http, gw1, alice.token());
             WsClient b = WsClient.connect(http, gw1, bob.token())) {
            a1.await(ServerFrame.Welcome.class);
            a2.await(ServerFrame.Welcome.class);
            a3.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            b.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"Two devices\"}");
            String room = b.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid())).conv();
            a1.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            b.send(send("m1", room, "to every device")); // may overtake the join's answer: then no device of alice gets it
            a1.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid()));
            for (WsClient other : List.of(a2, a3)) {
                ServerFrame.Joined told = other.await(ServerFrame.Joined.class, f -> f.rid() == null && f.conv().equals(room));
                assertThat(told.name()).isEqualTo("Two devices");
            }
            long m1 = b.await(ServerFrame.Ack.class, f -> "m1".equals(f.cmid())).seq();
            b.send(send("m1b", room, "to every device"));
            b.await(ServerFrame.Ack.class, f -> "m1b".equals(f.cmid()));
            for (WsClient device : List.of(a1, a2, a3)) {
                assertThat(device.await(ServerFrame.Message.class, f -> f.conv().equals(room) && "m1b".equals(f.cmid())).body())
                        .isEqualTo("to every device");
                // told of the room before any of its messages; m1 either reached it live or its joined states it
                List<ServerFrame> got = device.received();
                int told = indexOf(got, f -> f instanceof ServerFrame.Joined j && j.conv().equals(room));
                int first = indexOf(got, f -> f instanceof ServerFrame.Message m && m.conv().equals(room));
                assertThat(told).isNotNegative().isLessThan(first);
                boolean live = got.stream().anyMatch(f -> f instanceof ServerFrame.Message m && m.conv().equals(room) && m.seq() == m1);
                assertThat(live || ((ServerFrame.Joined) got.get(told)).lastSeq() >= m1).as("m1 live or stated").isTrue();
            }
            a1.send(send("m2", room, "from device one"));
            a1.await(ServerFrame.Ack.class, f -> "m2".equals(f.cmid()));
            for (WsClient other : List.of(a2, a3)) {
                assertThat(other.await(ServerFrame.Message.class, f -> f.conv().equals(room) && f.seq() == 3).from().id())
                        .isEqualTo(alice.userId());
            }
            assertThat(b.await(ServerFrame.Message.class, f -> f.conv().equals(room) && f.seq() == 3).body())
                    .isEqualTo("from device one");

            a1.send("{\"type\":\"leave\",\"rid\":\"lv\",\"conv\":\"" + room + "\"}");
            a1.await(ServerFrame.Left.class, f -> "lv".equals(f.rid()));
            a2.await(ServerFrame.Left.class, f -> f.rid() == null && f.conv().equals(room));
            a3.await(ServerFrame.Left.class, f -> f.rid() == null && f.conv().equals(room));
            b.send(send("m3", room, "alice is gone"));
            b.await(ServerFrame.Ack.class, f -> "m3".equals(f.cmid()));
            a2.send(send("m4", room, "still here?"));
            assertThat(a2.await(ServerFrame.Error.class, f -> "m4".equals(f.cmid())).code()).isEqualTo("not_found");
            for (WsClient device : List.of(a1, a2, a3)) {
                assertThat(device.received()).noneMatch(f -> f instanceof ServerFrame.Message m && m.conv().equals(room) && m.seq() == 4);
            }
        }
    }

    private static int indexOf(List<ServerFrame> frames, java.util.function.Predicate<ServerFrame> match) {
        for (int i = 0; i < frames.size(); i++) {
            if (match.test(frames.get(i))) {
                return i;
            }
        }
        return -1;
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
    void answersFramesSentBeforeTheWelcome_afterIt() {
        try (WsClient r = WsClient.connect(http, gw1, login("rita").token())) {
            r.send("{\"type\":\"ping\",\"rid\":\"early\"}");
            r.await(ServerFrame.Pong.class, f -> "early".equals(f.rid()));
            List<ServerFrame> frames = r.received();
            assertThat(frames.get(0)).isInstanceOf(ServerFrame.Welcome.class);
        }
    }

    /** Runs last: it stops gateway 2. */
}
