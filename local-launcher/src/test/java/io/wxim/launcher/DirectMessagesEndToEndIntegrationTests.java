package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.ServerFrame;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Direct messages across two gateways: server-derived conversation ids, offline delivery by sync, every device of both
 * users, unread counts and shared read cursors, typing, online status, recall, and the errors for bad input.
 */
class DirectMessagesEndToEndIntegrationTests extends EndToEndTestBase {

    static String sendTo(String cmid, String to, String body) {
        return "{\"type\":\"send\",\"cmid\":\"" + cmid + "\",\"to\":\"" + to + "\",\"body\":\"" + body + "\"}";
    }

    /** Connects once and leaves, so chat-service knows the user (a user is known once they have connected). */
    private void connectOnce(Login user) {
        try (WsClient c = WsClient.connect(http, gw2, user.token())) {
            c.await(ServerFrame.Welcome.class);
        }
    }

    @Test
    void directMessages_reachAnOfflineUserBySync_andEveryDeviceOfBoth() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        connectOnce(bob);
        String conv;
        try (WsClient a1 = WsClient.connect(http, gw1, alice.token());
             WsClient a2 = WsClient.connect(http, gw2, alice.token())) {
            a1.await(ServerFrame.Welcome.class);
            a2.await(ServerFrame.Welcome.class);
            for (int i = 1; i <= 3; i++) {
                String cmid = "d" + i;
                a1.send(sendTo(cmid, bob.userId(), "hi bob " + i));
                ServerFrame.Ack ack = a1.await(ServerFrame.Ack.class, f -> cmid.equals(f.cmid()));
                assertThat(ack.seq()).isEqualTo(i);
                assertThat(ack.conv()).startsWith("d:");
            }
            conv = a1.await(ServerFrame.Message.class, f -> f.conv().startsWith("d:") && f.seq() == 1).conv();
            // alice's other device (other gateway) gets the messages she sent from the first one
            for (int i = 1; i <= 3; i++) {
                long seq = i;
                ServerFrame.Message m = a2.await(ServerFrame.Message.class, f -> f.conv().equals(conv) && f.seq() == seq);
                assertThat(m.conv()).isEqualTo(conv);
                assertThat(m.from().id()).isEqualTo(alice.userId());
            }

            // bob was offline: he finds the conversation in welcome and gets the messages by sync
            try (WsClient b1 = WsClient.connect(http, gw2, bob.token());
                 WsClient b2 = WsClient.connect(http, gw1, bob.token())) {
                ServerFrame.Welcome welcome = b1.await(ServerFrame.Welcome.class);
                b2.await(ServerFrame.Welcome.class);
                ServerFrame.ConversationInfo info = welcome.conversations().stream()
                        .filter(c -> c.conv().equals(conv)).findFirst().orElseThrow();
                assertThat(info.lastSeq()).isEqualTo(3);
                assertThat(info.peer().id()).isEqualTo(alice.userId());
                assertThat(info.name()).isEqualTo(alice.nickname());
                assertThat(syncAll(b1, conv, 0, 100)).extracting(ServerFrame.Message::body)
                        .containsExactly("hi bob 1", "hi bob 2", "hi bob 3");

                // unread: 3 for bob, 0 for alice (own messages count as read)
                assertThat(conversationEntry(bob, conv).get("unread").asLong()).isEqualTo(3);
                assertThat(conversationEntry(bob, conv).get("kind").asString()).isEqualTo("direct");
                assertThat(conversationEntry(bob, conv).get("lastMessage").get("seq").asLong()).isEqualTo(3);
                assertThat(conversationEntry(alice, conv).get("unread").asLong()).isEqualTo(0);

                // a read mark on one device moves the shared cursor and reaches the other device
                b1.send("{\"type\":\"read\",\"rid\":\"r1\",\"conv\":\"" + conv + "\",\"seq\":2}");
                ServerFrame.ReadMark mark = b1.await(ServerFrame.ReadMark.class, f -> "r1".equals(f.rid()));
                assertThat(mark.seq()).isEqualTo(2);
                assertThat(mark.unread()).isEqualTo(1);
                ServerFrame.ReadMark pushed = b2.await(ServerFrame.ReadMark.class, f -> f.conv().equals(conv));
                assertThat(pushed.seq()).isEqualTo(2);
                assertThat(pushed.rid()).isNull();
                assertThat(conversationEntry(bob, conv).get("unread").asLong()).isEqualTo(1);
                // a cursor never moves back, and cannot pass the newest message
                b2.send("{\"type\":\"read\",\"rid\":\"r2\",\"conv\":\"" + conv + "\",\"seq\":1}");
                assertThat(b2.await(ServerFrame.ReadMark.class, f -> "r2".equals(f.rid())).seq()).isEqualTo(2);
                b2.send("{\"type\":\"read\",\"rid\":\"r3\",\"conv\":\"" + conv + "\",\"seq\":99}");
                assertThat(b2.await(ServerFrame.Error.class, f -> "r3".equals(f.rid())).code()).isEqualTo("bad_request");

                // bob answers in the conversation: both of alice's devices and bob's other device get it
                b1.send(send("b1", conv, "hello alice"));
                assertThat(b1.await(ServerFrame.Ack.class, f -> "b1".equals(f.cmid())).seq()).isEqualTo(4);
                assertThat(a1.await(ServerFrame.Message.class, f -> f.conv().equals(conv) && f.seq() == 4).body()).isEqualTo("hello alice");
                assertThat(a2.await(ServerFrame.Message.class, f -> f.conv().equals(conv) && f.seq() == 4).body()).isEqualTo("hello alice");
                assertThat(b2.await(ServerFrame.Message.class, f -> f.conv().equals(conv) && f.seq() == 4).from().id()).isEqualTo(bob.userId());
                assertThat(conversationEntry(bob, conv).get("unread").asLong()).isEqualTo(0);
                assertThat(conversationEntry(alice, conv).get("unread").asLong()).isEqualTo(1);

                // typing reaches the peer; a second one at once is rate limited; rooms have none
                a1.send("{\"type\":\"typing\",\"rid\":\"t1\",\"conv\":\"" + conv + "\"}");
                ServerFrame.Typing typing = b1.await(ServerFrame.Typing.class, f -> f.conv().equals(conv));
                assertThat(typing.user().id()).isEqualTo(alice.userId());
                b2.await(ServerFrame.Typing.class, f -> f.conv().equals(conv));
                a1.send("{\"type\":\"typing\",\"rid\":\"t2\",\"conv\":\"" + conv + "\"}");
                assertThat(a1.await(ServerFrame.Error.class, f -> "t2".equals(f.rid())).code()).isEqualTo("rate_limited");
                a1.send("{\"type\":\"typing\",\"rid\":\"t3\",\"conv\":\"r:lobby\"}");
                assertThat(a1.await(ServerFrame.Error.class, f -> "t3".equals(f.rid())).code()).isEqualTo("bad_request");

                a1.send("{\"type\":\"status\",\"rid\":\"s1\",\"user\":\"" + bob.userId() + "\"}");
                ServerFrame.Status online = a1.await(ServerFrame.Status.class, f -> "s1".equals(f.rid()));
                assertThat(online.status()).isEqualTo("online");
                assertThat(online.user().nickname()).isEqualTo(bob.nickname());
            }
            // both of bob's connections are closed: offline, with the time he was last seen
            long closedAt = System.currentTimeMillis();
            ServerFrame.Status offline = awaitStatus(a1, bob.userId(), "offline");
            assertThat(offline.lastSeen()).isNotNull().isBetween(closedAt - 10_000, closedAt + 10_000);
        }
    }

    @Test
    void badInput_isRefusedWithDocumentedErrors_andChangesNothing() throws Exception {
        Login alice = login("alice");
        Login stranger = login("stranger");
        connectOnce(stranger);
        try (WsClient a = WsClient.connect(http, gw1, alice.token())) {
            a.await(ServerFrame.Welcome.class);
            a.send("{\"type\":\"send\",\"rid\":\"e1\",\"cmid\":\"x1\",\"to\":\"" + alice.userId() + "\",\"body\":\"me\"}");
            assertThat(a.await(ServerFrame.Error.class, f -> "e1".equals(f.rid())).code()).isEqualTo("bad_request");
            a.send("{\"type\":\"send\",\"rid\":\"e2\",\"cmid\":\"x2\",\"to\":\"unobody0000\",\"body\":\"hi\"}");
            assertThat(a.await(ServerFrame.Error.class, f -> "e2".equals(f.rid())).code()).isEqualTo("not_found");
            // a direct conversation id made up by a client is just a conversation one is not in
            a.send("{\"type\":\"send\",\"rid\":\"e3\",\"cmid\":\"x3\",\"conv\":\"d:0123456789abcdef\",\"body\":\"hi\"}");
            assertThat(a.await(ServerFrame.Error.class, f -> "e3".equals(f.rid())).code()).isEqualTo("not_found");
            a.send("{\"type\":\"send\",\"rid\":\"e4\",\"cmid\":\"x4\",\"conv\":\"r:lobby\",\"to\":\"" + stranger.userId() + "\",\"body\":\"hi\"}");
            assertThat(a.await(ServerFrame.Error.class, f -> "e4".equals(f.rid())).code()).isEqualTo("bad_request");
            // the status of someone who shares no conversation is not disclosed
            a.send("{\"type\":\"status\",\"rid\":\"e5\",\"user\":\"" + stranger.userId() + "\"}");
            assertThat(a.await(ServerFrame.Error.class, f -> "e5".equals(f.rid())).code()).isEqualTo("not_found");
            a.send("{\"type\":\"read\",\"rid\":\"e6\",\"conv\":\"d:0123456789abcdef\",\"seq\":1}");
            assertThat(a.await(ServerFrame.Error.class, f -> "e6".equals(f.rid())).code()).isEqualTo("not_found");
        }
        // nothing was created: alice has no direct conversation
        JsonNode list = getJson(gw1, "/api/chat/conversations", alice.token());
        for (JsonNode c : list.get("conversations")) {
            assertThat(c.get("kind").asString()).isEqualTo("room");
        }
        assertThat(get(gw1, "/api/chat/conversations", null).statusCode()).isEqualTo(401);
    }

    @Test
    void recall_bySenderWithinTheWindow_only() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        connectOnce(bob);
        try (WsClient a = WsClient.connect(http, gw1, alice.token());
             WsClient b = WsClient.connect(http, gw2, bob.token())) {
            a.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            a.send(sendTo("k1", bob.userId(), "oops"));
            ServerFrame.Ack first = a.await(ServerFrame.Ack.class, f -> "k1".equals(f.cmid()));
            String conv = first.conv();
            b.await(ServerFrame.Message.class, f -> f.conv().equals(conv) && f.seq() == 1);
            a.send(send("k2", conv, "keep me"));
            a.await(ServerFrame.Ack.class, f -> "k2".equals(f.cmid()));

            b.send(recall("q1", conv, 1));
            assertThat(b.await(ServerFrame.Error.class, f -> "q1".equals(f.rid())).code()).isEqualTo("forbidden");
            a.send(recall("q2", conv, 9));
            assertThat(a.await(ServerFrame.Error.class, f -> "q2".equals(f.rid())).code()).isEqualTo("not_found");

            a.send(recall("q3", conv, 1));
            ServerFrame.Recalled reply = a.await(ServerFrame.Recalled.class, f -> "q3".equals(f.rid()));
            assertThat(reply.id()).isEqualTo(first.id());
            ServerFrame.Recalled event = b.await(ServerFrame.Recalled.class, f -> f.conv().equals(conv));
            assertThat(event.seq()).isEqualTo(1);
            assertThat(event.by()).isEqualTo(alice.userId());
            // the recall notice: the next seq, live to every connection of both users
            for (WsClient each : List.of(a, b)) {
                ServerFrame.Message notice = each.await(ServerFrame.Message.class, f -> f.conv().equals(conv) && f.seq() == 3);
                assertThat(notice.kind()).isEqualTo("recall");
                assertThat(notice.body()).isEqualTo("1");
                assertThat(notice.from().id()).isEqualTo(alice.userId());
            }

            List<ServerFrame.Message> synced = syncAll(b, conv, 0, 100);
            assertThat(synced).hasSize(3);
            assertThat(synced.get(0).recalled()).isTrue();
            assertThat(synced.get(0).body()).isNull();
            assertThat(synced.get(1).recalled()).isNull();
            assertThat(synced.get(1).body()).isEqualTo("keep me");
            assertThat(synced.get(2).kind()).isEqualTo("recall");
            assertThat(synced.get(2).body()).isEqualTo("1");
            a.send(recall("q5", conv, 3));
            assertThat(a.await(ServerFrame.Error.class, f -> "q5".equals(f.rid())).code()).isEqualTo("bad_request");
            assertThat(unread(alice, conv)).as("the recaller's own notice is read").isZero();
            assertThat(unread(bob, conv)).isEqualTo(3);
            JsonNode history = getJson(gw2, "/api/history/" + conv, bob.token());
            assertThat(history.get("messages").get(0).get("recalled").asBoolean()).isTrue();
            assertThat(history.get("messages").get(0).has("body")).isFalse();

            sleepQuietly(RECALL_WINDOW.toMillis() + 500);
            a.send(recall("q4", conv, 2));
            assertThat(a.await(ServerFrame.Error.class, f -> "q4".equals(f.rid())).code()).isEqualTo("expired");
            assertThat(syncAll(b, conv, 1, 100).get(0).body()).isEqualTo("keep me");
        }
    }

    /** The device that kept a message and was offline when it was recalled learns of it on reconnect, by sync. */
    @Test
    void recall_reachesADeviceThatWasOfflineWhenItHappened() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        connectOnce(bob);
        String conv;
        try (WsClient a = WsClient.connect(http, gw1, alice.token())) {
            a.await(ServerFrame.Welcome.class);
            try (WsClient phone = WsClient.connect(http, gw2, bob.token())) {
                phone.await(ServerFrame.Welcome.class);
                a.send(sendTo("k1", bob.userId(), "meant for someone else"));
                conv = a.await(ServerFrame.Ack.class, f -> "k1".equals(f.cmid())).conv();
                String c = conv;
                assertThat(phone.await(ServerFrame.Message.class, f -> f.conv().equals(c)).body())
                        .isEqualTo("meant for someone else");
            } // the phone goes offline holding seq 1
            a.send(recall("q1", conv, 1));
            a.await(ServerFrame.Recalled.class, f -> "q1".equals(f.rid()));
        }
        try (WsClient phone = WsClient.connect(http, gw1, bob.token())) {
            String c = conv;
            ServerFrame.ConversationInfo info = phone.await(ServerFrame.Welcome.class).conversations().stream()
                    .filter(i -> i.conv().equals(c)).findFirst().orElseThrow();
            assertThat(info.lastSeq()).as("the welcome states something new after seq 1").isEqualTo(2);
            List<ServerFrame.Message> synced = syncAll(phone, conv, 1, 100);
            assertThat(synced).hasSize(1);
            assertThat(synced.get(0).kind()).isEqualTo("recall");
            assertThat(synced.get(0).body()).isEqualTo("1");
            assertThat(synced.get(0).from().id()).isEqualTo(alice.userId());
        }
    }

    private long unread(Login user, String conv) throws Exception {
        for (JsonNode c : getJson(gw1, "/api/chat/conversations", user.token()).get("conversations")) {
            if (c.get("conv").asString().equals(conv)) {
                return c.get("unread").asLong();
            }
        }
        throw new AssertionError("conversation not listed: " + conv);
    }

    @Test
    void recall_inARoom_reachesItsMembers() {
        Login alice = login("alice");
        Login bob = login("bob");
        try (WsClient a = WsClient.connect(http, gw1, alice.token());
             WsClient b = WsClient.connect(http, gw2, bob.token())) {
            a.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            a.send("{\"type\":\"create\",\"rid\":\"c1\",\"name\":\"Recall room\"}");
            String room = a.await(ServerFrame.Joined.class, f -> "c1".equals(f.rid())).conv();
            b.send("{\"type\":\"join\",\"rid\":\"j1\",\"conv\":\"" + room + "\"}");
            b.await(ServerFrame.Joined.class, f -> "j1".equals(f.rid()));
            a.send(send("r1", room, "typo"));
            a.await(ServerFrame.Ack.class, f -> "r1".equals(f.cmid()));
            a.send(recall("q1", room, 1));
            a.await(ServerFrame.Recalled.class, f -> "q1".equals(f.rid()));
            assertThat(b.await(ServerFrame.Recalled.class, f -> f.conv().equals(room)).seq()).isEqualTo(1);
            assertThat(b.await(ServerFrame.Message.class, f -> f.conv().equals(room) && f.seq() == 2).kind())
                    .isEqualTo("recall");
        }
    }

    static String recall(String rid, String conv, long seq) {
        return "{\"type\":\"recall\",\"rid\":\"" + rid + "\",\"conv\":\"" + conv + "\",\"seq\":" + seq + "}";
    }

    /** Asks for a user's status until it is {@code expected} (a disconnect is processed asynchronously). */
    private static ServerFrame.Status awaitStatus(WsClient client, String user, String expected) {
        long deadline = System.nanoTime() + WsClient.WAIT.toNanos();
        for (int i = 0; ; i++) {
            String rid = "st" + i;
            client.send("{\"type\":\"status\",\"rid\":\"" + rid + "\",\"user\":\"" + user + "\"}");
            ServerFrame.Status status = client.await(ServerFrame.Status.class, f -> rid.equals(f.rid()));
            if (status.status().equals(expected) || System.nanoTime() > deadline) {
                assertThat(status.status()).isEqualTo(expected);
                return status;
            }
            sleepQuietly(100);
        }
    }


}
