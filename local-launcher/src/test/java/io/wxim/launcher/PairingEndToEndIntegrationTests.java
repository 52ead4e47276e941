package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.protocol.RedisNames;
import io.wxim.protocol.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The originals' 1v1 flow across two gateways: request -> wait -> accept -> chat -> leave, decline, cancel, expiry,
 * a peer lost after the grace period, errors for every bad transition, and a storm of concurrent requests and
 * accepts that must never pair anyone twice or leave a waiting entry behind.
 */
class PairingEndToEndIntegrationTests extends EndToEndTestBase {

    static String frame(String type, String rid, String field, String value) {
        return "{\"type\":\"" + type + "\",\"rid\":\"" + rid + "\",\"" + field + "\":\"" + value + "\"}";
    }

    private static String errorCode(WsClient c, String rid) {
        return c.await(ServerFrame.Error.class, f -> rid.equals(f.rid())).code();
    }

    @Test
    void requestAcceptChatLeave_acrossGateways() throws Exception {
        Login alice = login("alice");
        Login bob = login("bob");
        Login carol = login("carol");
        try (WsClient a = WsClient.connect(http, gw1, alice.token());
             WsClient b = WsClient.connect(http, gw2, bob.token());
             WsClient c = WsClient.connect(http, gw1, carol.token())) {
            a.await(ServerFrame.Welcome.class);
            b.await(ServerFrame.Welcome.class);
            c.await(ServerFrame.Welcome.class);

            a.send(frame("pairRequest", "p1", "to", bob.userId()));
            ServerFrame.PairRequestSent sent = a.await(ServerFrame.PairRequestSent.class, f -> "p1".equals(f.rid()));
            assertThat(sent.to().id()).isEqualTo(bob.userId());
            assertThat(sent.expiresAt()).isGreaterThan(System.currentTimeMillis());
            ServerFrame.PairRequested requested = b.await(ServerFrame.PairRequested.class);
            assertThat(requested.from().id()).isEqualTo(alice.userId());
            assertThat(requested.from().nickname()).isEqualTo(alice.nickname());

            b.send("{\"type\":\"pairPending\",\"rid\":\"l1\"}");
            ServerFrame.PairRequests pending = b.await(ServerFrame.PairRequests.class, f -> "l1".equals(f.rid()));
            assertThat(pending.requests()).singleElement()
                    .satisfies(r -> assertThat(r.from().nickname()).isEqualTo(alice.nickname()));

            // bad transitions: each a documented error
            a.send(frame("pairRequest", "e1", "to", alice.userId()));
            assertThat(errorCode(a, "e1")).isEqualTo("bad_request");
            b.send(frame("pairAccept", "e2", "from", carol.userId()));
            assertThat(errorCode(b, "e2")).isEqualTo("not_found");
            a.send(frame("pairRequest", "e3", "to", "unobody0000"));
            assertThat(errorCode(a, "e3")).isEqualTo("not_found");

            b.send(frame("pairAccept", "ac", "from", alice.userId()));
            ServerFrame.PairStarted atBob = b.await(ServerFrame.PairStarted.class, f -> "ac".equals(f.rid()));
            ServerFrame.PairStarted atAlice = a.await(ServerFrame.PairStarted.class);
            String conv = atBob.conv();
            assertThat(conv).startsWith("p:");
            assertThat(atAlice.conv()).isEqualTo(conv);
            assertThat(atBob.peer().id()).isEqualTo(alice.userId());
            assertThat(atAlice.peer().id()).isEqualTo(bob.userId());
            // an accept retried after it succeeded answers the same session
            b.send(frame("pairAccept", "ac2", "from", alice.userId()));
            assertThat(b.await(ServerFrame.PairStarted.class, f -> "ac2".equals(f.rid())).conv()).isEqualTo(conv);

            a.send(send("pm1", conv, "hi bob"));
            assertThat(a.await(ServerFrame.Ack.class, f -> "pm1".equals(f.cmid())).seq()).isEqualTo(1);
            assertThat(b.await(ServerFrame.Message.class, f -> f.conv().equals(conv)).body()).isEqualTo("hi bob");
            b.send("{\"type\":\"typing\",\"rid\":\"t1\",\"conv\":\"" + conv + "\"}");
            assertThat(a.await(ServerFrame.Typing.class, f -> f.conv().equals(conv)).user().id()).isEqualTo(bob.userId());

            // both are busy now: nobody can request either of them, and they cannot request others
            c.send(frame("pairRequest", "e4", "to", alice.userId()));
            assertThat(errorCode(c, "e4")).isEqualTo("conflict");
            b.send(frame("pairRequest", "e5", "to", carol.userId()));
            assertThat(errorCode(b, "e5")).isEqualTo("conflict");
            c.send("{\"type\":\"pairLeave\",\"rid\":\"e6\",\"conv\":\"" + conv + "\"}");
            assertThat(errorCode(c, "e6")).isEqualTo("not_found");
            c.send(send("e7", conv, "let me in"));
            assertThat(c.await(ServerFrame.Error.class, f -> "e7".equals(f.cmid())).code()).isEqualTo("not_found");

            a.send("{\"type\":\"pairLeave\",\"rid\":\"lv\",\"conv\":\"" + conv + "\"}");
            ServerFrame.PairEnded left = a.await(ServerFrame.PairEnded.class, f -> "lv".equals(f.rid()));
            assertThat(left.reason()).isEqualTo("left");
            ServerFrame.PairEnded ended = b.await(ServerFrame.PairEnded.class);
            assertThat(ended.reason()).isEqualTo("peer_left");
            assertThat(ended.peer()).isEqualTo(alice.userId());
            b.send(send("pm2", conv, "are you there?"));
            assertThat(b.await(ServerFrame.Error.class, f -> "pm2".equals(f.cmid())).code()).isEqualTo("conflict");
            a.send("{\"type\":\"pairLeave\",\"rid\":\"lv2\",\"conv\":\"" + conv + "\"}");
            assertThat(errorCode(a, "lv2")).isEqualTo("not_found");

            // the ended session stays readable and listed, inactive
            assertThat(getJson(gw2, "/api/history/" + conv, bob.token()).get("messages").size()).isEqualTo(1);
            JsonNode entry = conversationEntry(bob, conv);
            assertThat(entry.get("kind").asString()).isEqualTo("pair");
            assertThat(entry.get("active").asBoolean()).isFalse();
            assertThat(entry.get("unread").asLong()).isEqualTo(1);
            assertThat(get(gw1, "/api/history/" + conv, carol.token()).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void declineCancelAndExpiry_closeTheRequestForBothSides() {
        Login carol = login("carol");
        Login dave = login("dave");
        try (WsClient c = WsClient.connect(http, gw1, carol.token());
             WsClient d = WsClient.connect(http, gw2, dave.token())) {
            c.await(ServerFrame.Welcome.class);
            d.await(ServerFrame.Welcome.class);

            c.send(frame("pairRequest", "r1", "to", dave.userId()));
            c.await(ServerFrame.PairRequestSent.class, f -> "r1".equals(f.rid()));
            d.send(frame("pairDecline", "d1", "from", carol.userId()));
            assertThat(d.await(ServerFrame.PairRequestClosed.class, f -> "d1".equals(f.rid())).reason()).isEqualTo("declined");
            assertThat(c.await(ServerFrame.PairRequestClosed.class, f -> f.rid() == null).reason()).isEqualTo("declined");
            d.send(frame("pairDecline", "d2", "from", carol.userId()));
            assertThat(errorCode(d, "d2")).isEqualTo("not_found");

            c.send(frame("pairRequest", "r2", "to", dave.userId()));
            c.await(ServerFrame.PairRequestSent.class, f -> "r2".equals(f.rid()));
            c.send(frame("pairCancel", "x1", "to", dave.userId()));
            assertThat(c.await(ServerFrame.PairRequestClosed.class, f -> "x1".equals(f.rid())).reason()).isEqualTo("cancelled");
            assertThat(d.await(ServerFrame.PairRequestClosed.class, f -> "cancelled".equals(f.reason())).from())
                    .isEqualTo(carol.userId());
            d.send("{\"type\":\"pairPending\",\"rid\":\"l1\"}");
            assertThat(d.await(ServerFrame.PairRequests.class, f -> "l1".equals(f.rid())).requests()).isEmpty();
            c.send(frame("pairCancel", "x2", "to", dave.userId()));
            assertThat(errorCode(c, "x2")).isEqualTo("not_found");

            c.send(frame("pairRequest", "r3", "to", dave.userId()));
            c.await(ServerFrame.PairRequestSent.class, f -> "r3".equals(f.rid()));
            Duration patience = REQUEST_TTL.plus(WsClient.WAIT);
            assertThat(c.await(ServerFrame.PairRequestClosed.class, f -> "expired".equals(f.reason()), patience).to())
                    .isEqualTo(dave.userId());
            assertThat(d.await(ServerFrame.PairRequestClosed.class, f -> "expired".equals(f.reason()), patience).from())
                    .isEqualTo(carol.userId());
            d.send(frame("pairAccept", "a1", "from", carol.userId()));
            assertThat(errorCode(d, "a1")).isEqualTo("not_found");
        }
        assertNoPairingState(Set.of(carol.userId(), dave.userId()));
    }

    @Test
    void aPeerOfflineLongerThanTheGracePeriod_endsTheSession() {
        Login alice = login("alice");
        Login bob = login("bob");
        try (WsClient a = WsClient.connect(http, gw1, alice.token())) {
            a.await(ServerFrame.Welcome.class);
            WsClient b = WsClient.connect(http, gw2, bob.token());
            b.await(ServerFrame.Welcome.class);
            a.send(frame("pairRequest", "r1", "to", bob.userId()));
            b.await(ServerFrame.PairRequested.class);
            b.send(frame("pairAccept", "a1", "from", alice.userId()));
            String conv = b.await(ServerFrame.PairStarted.class, f -> "a1".equals(f.rid())).conv();
            a.await(ServerFrame.PairStarted.class);

            // a short drop (a reconnect within the grace period) keeps the session
            b.close();
            sleepQuietly(PAIR_GRACE.toMillis() / 4);
            b = WsClient.connect(http, gw1, bob.token());
            assertThat(b.await(ServerFrame.Welcome.class).conversations()).filteredOn(i -> i.conv().equals(conv))
                    .singleElement().satisfies(i -> assertThat(i.active()).isTrue());
            sleepQuietly(PAIR_GRACE.toMillis() + 1000);
            assertThat(a.received()).noneMatch(f -> f instanceof ServerFrame.PairEnded);
            b.send(send("still", conv, "still here"));
            assertThat(b.await(ServerFrame.Ack.class, f -> "still".equals(f.cmid())).conv()).isEqualTo(conv);

            // gone for good: the peer hears about it after the grace period
            b.close();
            long gone = System.nanoTime();
            ServerFrame.PairEnded ended = a.await(ServerFrame.PairEnded.class, f -> f.conv().equals(conv),
                    PAIR_GRACE.plus(WsClient.WAIT));
            assertThat(ended.reason()).isEqualTo("peer_offline");
            assertThat(ended.peer()).isEqualTo(bob.userId());
            assertThat(Duration.ofNanos(System.nanoTime() - gone)).isGreaterThanOrEqualTo(PAIR_GRACE.minusMillis(300));

            // bob, back later, learns from his welcome that the session is over (he was away when it ended)
            try (WsClient back = WsClient.connect(http, gw2, bob.token())) {
                ServerFrame.ConversationInfo info = back.await(ServerFrame.Welcome.class).conversations().stream()
                        .filter(i -> i.conv().equals(conv)).findFirst().orElseThrow();
                assertThat(info.active()).isFalse();
                assertThat(info.peer().id()).isEqualTo(alice.userId());
                assertThat(info.lastSeq()).isEqualTo(1);
            }
        }
        assertNoPairingState(Set.of(alice.userId(), bob.userId()));
    }

    /**
     * 100 requesters send 2 requests each to 20 targets (200 requests), then every target accepts every request it
     * got, from two connections on different gateways at once (200 concurrent accepts). Nobody is paired twice,
     * both sides of every pair agree, and no waiting entry is left.
     */
    @Test
    void concurrentRequestsAndAccepts_neverPairTwice_andLeaveNoWaitingEntry() {
        int targetsCount = 20;
        int requestersCount = 100;
        List<Login> targets = new ArrayList<>();
        List<Login> requesters = new ArrayList<>();
        for (int i = 0; i < targetsCount; i++) {
            targets.add(login("t" + i));
        }
        for (int i = 0; i < requestersCount; i++) {
            requesters.add(login("q" + i));
        }
        List<WsClient> clients = new ArrayList<>();
        try {
            Map<String, WsClient[]> targetConns = new HashMap<>();
            for (int i = 0; i < targetsCount; i++) {
                WsClient one = WsClient.connect(http, gw1, targets.get(i).token());
                WsClient two = WsClient.connect(http, gw2, targets.get(i).token());
                clients.add(one);
                clients.add(two);
                targetConns.put(targets.get(i).userId(), new WsClient[] {one, two});
            }
            Map<String, WsClient> requesterConns = new HashMap<>();
            for (int i = 0; i < requestersCount; i++) {
                WsClient c = WsClient.connect(http, i % 2 == 0 ? gw1 : gw2, requesters.get(i).token());
                clients.add(c);
                requesterConns.put(requesters.get(i).userId(), c);
            }
            clients.forEach(c -> c.await(ServerFrame.Welcome.class, f -> true, Duration.ofSeconds(30)));

            Random random = new Random(42);
            Map<String, List<String>> requestsTo = new HashMap<>();
            for (Login q : requesters) {
                int first = random.nextInt(targetsCount);
                int second = (first + 1 + random.nextInt(targetsCount - 1)) % targetsCount;
                for (int t : new int[] {first, second}) {
                    String target = targets.get(t).userId();
                    requesterConns.get(q.userId()).send(frame("pairRequest", "rq-" + target, "to", target));
                    requestsTo.computeIfAbsent(target, k -> new ArrayList<>()).add(q.userId());
                }
            }
            for (Login q : requesters) {
                for (String target : List.copyOf(requestsTo.keySet())) {
                    if (requestsTo.get(target).contains(q.userId())) {
                        requesterConns.get(q.userId()).await(ServerFrame.PairRequestSent.class,
                                f -> ("rq-" + target).equals(f.rid()), Duration.ofSeconds(30));
                    }
                }
            }

            // every target accepts every request, alternating between its two connections (two gateways)
            int accepts = 0;
            for (Map.Entry<String, List<String>> e : requestsTo.entrySet()) {
                WsClient[] conns = targetConns.get(e.getKey());
                for (int i = 0; i < e.getValue().size(); i++) {
                    conns[i % 2].send(frame("pairAccept", "ac-" + e.getValue().get(i), "from", e.getValue().get(i)));
                    accepts++;
                }
            }
            assertThat(accepts).isEqualTo(2 * requestersCount);

            Map<String, String> startedConvByTarget = new HashMap<>();
            for (Map.Entry<String, List<String>> e : requestsTo.entrySet()) {
                WsClient[] conns = targetConns.get(e.getKey());
                for (int i = 0; i < e.getValue().size(); i++) {
                    String rid = "ac-" + e.getValue().get(i);
                    ServerFrame answer = conns[i % 2].await(ServerFrame.class, f -> f instanceof ServerFrame.PairStarted s
                            ? rid.equals(s.rid()) : f instanceof ServerFrame.Error err && rid.equals(err.rid()), Duration.ofSeconds(30));
                    if (answer instanceof ServerFrame.PairStarted s) {
                        assertThat(startedConvByTarget.put(e.getKey(), s.conv())).as("target paired twice").isNull();
                        assertThat(s.peer().id()).isEqualTo(e.getValue().get(i));
                    } else {
                        assertThat(((ServerFrame.Error) answer).code()).isIn("conflict", "not_found");
                    }
                }
            }
            assertThat(startedConvByTarget).isNotEmpty();

            // each requester was started at most once, and exactly in the session its target reports
            sleepQuietly(500);
            Map<String, String> convOfRequester = new HashMap<>();
            for (Map.Entry<String, WsClient> e : requesterConns.entrySet()) {
                List<ServerFrame.PairStarted> started = e.getValue().received().stream()
                        .filter(f -> f instanceof ServerFrame.PairStarted).map(f -> (ServerFrame.PairStarted) f).toList();
                assertThat(started).as("requester paired twice").hasSizeLessThanOrEqualTo(1);
                started.forEach(s -> convOfRequester.put(e.getKey(), s.conv()));
            }
            assertThat(Set.copyOf(convOfRequester.values())).isEqualTo(Set.copyOf(startedConvByTarget.values()));
            assertThat(convOfRequester).hasSameSizeAs(startedConvByTarget);

            Set<String> everyone = new java.util.HashSet<>(requesterConns.keySet());
            everyone.addAll(targetConns.keySet());
            var redis = new org.springframework.data.redis.core.StringRedisTemplate(redisFactory());
            for (String user : everyone) {
                assertThat(redis.opsForHash().size(RedisNames.pairIncoming(user))).as("waiting for " + user).isZero();
                assertThat(redis.opsForHash().size(RedisNames.pairOutgoing(user))).as("sent by " + user).isZero();
                String conv = redis.opsForValue().get(RedisNames.pairOf(user));
                if (conv != null) {
                    Map<Object, Object> session = redis.opsForHash().entries(RedisNames.pairSession(conv));
                    assertThat(session.values()).contains(user);
                    String peer = user.equals(session.get("a")) ? (String) session.get("b") : (String) session.get("a");
                    assertThat(redis.opsForValue().get(RedisNames.pairOf(peer))).isEqualTo(conv);
                }
            }
            assertThat(redis.opsForZSet().range(RedisNames.PAIR_EXPIRIES, 0, -1))
                    .noneMatch(entry -> everyone.stream().anyMatch(entry::contains));
        } finally {
            clients.forEach(WsClient::close);
        }
    }


    private static org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory factory;

    private static synchronized org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory redisFactory() {
        if (factory == null) {
            factory = io.wxim.testinfra.TestInfra.redisConnectionFactory();
        }
        return factory;
    }

    /** No request, session or timer of these users is left in Redis. */
    private static void assertNoPairingState(Set<String> users) {
        var redis = new org.springframework.data.redis.core.StringRedisTemplate(redisFactory());
        for (String user : users) {
            assertThat(redis.hasKey(RedisNames.pairIncoming(user))).isFalse();
            assertThat(redis.hasKey(RedisNames.pairOutgoing(user))).isFalse();
            assertThat(redis.hasKey(RedisNames.pairOf(user))).isFalse();
            assertThat(redis.opsForZSet().score(RedisNames.PAIR_LOST, user)).isNull();
        }
        assertThat(redis.opsForZSet().range(RedisNames.PAIR_EXPIRIES, 0, -1))
                .noneMatch(entry -> users.stream().anyMatch(entry::contains));
    }
}
