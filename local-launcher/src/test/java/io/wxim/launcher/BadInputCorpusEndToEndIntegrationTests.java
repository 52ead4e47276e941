package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.TestInfra;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 9, bad-input corpus: thousands of generated bad frames ({@link BadInputCorpus}, seeded) over eight connections
 * on both gateways, each answered with its documented error (or close code, on a connection of its own), while the
 * connections stay usable (interleaved pings and sends are answered) and two other users chat undisturbed. Afterwards:
 * history holds exactly the valid messages, no MongoDB database or collection appeared, nothing in the logs looks like
 * a stack trace, and the heap is about where it was.
 */
class BadInputCorpusEndToEndIntegrationTests extends EndToEndTestBase {
    private static final long SEED = 20261203L;
    /** Below the per-connection frame rate (20/s): every frame gets its documented answer, never rate_limited. */
    private static final long FRAME_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(55);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private record Worker(int index, WsClient client, Login user, String room, List<BadInputCorpus.Case> cases) {
    }

    /** Log lines that look like a stack trace or an exception, from any service of the system. */
    private static final class ExceptionLines extends AppenderBase<ILoggingEvent> {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());

        @Override
        protected void append(ILoggingEvent event) {
            String message = event.getFormattedMessage();
            if (event.getThrowableProxy() != null || message.contains("Exception") || message.contains("\tat ")) {
                lines.add(event.getLevel() + " " + event.getLoggerName() + ": " + message
                        + (event.getThrowableProxy() == null ? "" : " / " + event.getThrowableProxy().getClassName()));
            }
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void answersEveryBadFrameAsDocumented_keepsConnectionsUsable_andStoresNothingButValidMessages() throws Exception {
        Login carol = login("carol");
        Login dave = login("dave");
        List<Login> users = List.of(login("eve"), login("fay"), login("gus"), login("hal"));
        List<WsClient> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        ExceptionLines logLines = new ExceptionLines();
        Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        try (MongoClient mongo = MongoClients.create(TestInfra.mongoUri())) {
            // two users chatting across gateways while the corpus runs
            WsClient c = WsClient.connect(http, gw1, carol.token());
            WsClient d = WsClient.connect(http, gw2, dave.token());
            clients.add(c);
            clients.add(d);
            c.await(ServerFrame.Welcome.class);
            d.await(ServerFrame.Welcome.class);
            c.send("{\"type\":\"create\",\"rid\":\"chat\",\"name\":\"chat\"}");
            String chatRoom = c.await(ServerFrame.Joined.class, f -> "chat".equals(f.rid())).conv();
            d.send("{\"type\":\"join\",\"rid\":\"j\",\"conv\":\"" + chatRoom + "\"}");
            d.await(ServerFrame.Joined.class, f -> "j".equals(f.rid()));

            // the attackers: 4 users x (one connection on each gateway), each user in a room of their own
            BadInputCorpus corpus = new BadInputCorpus(SEED);
            List<Worker> workers = new ArrayList<>();
            for (int u = 0; u < users.size(); u++) {
                Login user = users.get(u);
                WsClient a = WsClient.connect(http, gw1, user.token());
                WsClient b = WsClient.connect(http, gw2, user.token());
                clients.add(a);
                clients.add(b);
                a.await(ServerFrame.Welcome.class);
                b.await(ServerFrame.Welcome.class);
                a.send("{\"type\":\"create\",\"rid\":\"own\",\"name\":\"own\"}");
                String room = a.await(ServerFrame.Joined.class, f -> "own".equals(f.rid())).conv();
                b.send("{\"type\":\"rooms\",\"rid\":\"r\"}"); // b's gateway subscribed it too (joined covers every connection)
                b.await(ServerFrame.Rooms.class, f -> "r".equals(f.rid()));
                workers.add(new Worker(2 * u, a, user, room, corpus.openConnectionCases(room, user.userId(), carol.userId())));
                workers.add(new Worker(2 * u + 1, b, user, room, corpus.openConnectionCases(room, user.userId(), carol.userId())));
            }
            // distinct cmids per worker: the second connection of a user reuses the case list, so prefix them
            List<Worker> distinct = new ArrayList<>();
            for (Worker w : workers) {
                List<BadInputCorpus.Case> own = new ArrayList<>();
                List<BadInputCorpus.Case> all = w.cases();
                for (int i = w.index() / 2; i < all.size(); i += users.size()) { // each user a quarter of a full corpus
                    BadInputCorpus.Case k = all.get(i);
                    own.add(k.answer() == BadInputCorpus.Answer.ACK
                            ? new BadInputCorpus.Case(k.label(), k.text().replace("\"cmid\":\"" + k.cmid() + "\"", "\"cmid\":\"w" + w.index() + k.cmid() + "\""),
                                    false, k.answer(), null, null, "w" + w.index() + k.cmid())
                            : k);
                }
                // the two connections of a user split the user's quarter
                int half = own.size() / 2;
                distinct.add(new Worker(w.index(), w.client(), w.user(), w.room(),
                        w.index() % 2 == 0 ? own.subList(0, half) : own.subList(half, own.size())));
            }
            Set<String> rooms = new java.util.HashSet<>();
            workers.forEach(w -> rooms.add(w.room()));
            Map<String, List<String>> validByRoom = new ConcurrentHashMap<>();
            // one valid message per worker first: whatever valid traffic creates lazily (a first read cursor, ...)
            // exists before the snapshot
            for (Worker w : distinct) {
                String cmid = "first" + w.index();
                w.client().send(send(cmid, w.room(), "first"));
                w.client().await(ServerFrame.Ack.class, a -> cmid.equals(a.cmid()));
                validByRoom.computeIfAbsent(w.room(), r -> Collections.synchronizedList(new ArrayList<>())).add(cmid);
            }
            Set<String> collectionsBefore = collections(mongo);
            long roomsBefore = count(mongo, dbPrefix() + "chat", "rooms");
            long heapBefore = usedHeapAfterGc();

            root.addAppender(logLines);
            logLines.start();
            long start = System.nanoTime();
            List<String> mismatches = Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<Integer>> runs = new ArrayList<>();
            for (Worker w : distinct) {
                runs.add(CompletableFuture.supplyAsync(() -> run(w, validByRoom, mismatches), pool));
            }
            // meanwhile carol talks to dave
            int chatMessages = 60;
            List<Long> chatSeqs = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Void> chat = CompletableFuture.runAsync(() -> {
                long next = System.nanoTime();
                for (int i = 0; i < chatMessages; i++) {
                    next = pace(next, TimeUnit.MILLISECONDS.toNanos(150));
                    String cmid = "talk" + i;
                    c.send(send(cmid, chatRoom, "hello " + i));
                    chatSeqs.add(c.await(ServerFrame.Ack.class, a -> cmid.equals(a.cmid())).seq());
                }
            }, pool);
            int frames = 0;
            for (CompletableFuture<Integer> run : runs) {
                frames += run.get(120, TimeUnit.SECONDS);
            }
            chat.get(60, TimeUnit.SECONDS);
            double corpusSeconds = (System.nanoTime() - start) / 1e9;

            // frames that close their connection, each on a connection of its own
            List<BadInputCorpus.Closing> closing = corpus.closingCases();
            for (BadInputCorpus.Closing k : closing) {
                try (RawWsClient raw = new RawWsClient(k.label().contains("UTF") ? gw2 : gw1, users.get(0).token())) {
                    raw.awaitWelcome();
                    try {
                        raw.send(k.payload(), k.text());
                    } catch (java.io.IOException e) {
                        // the server may close while a large frame is still being written; its close frame was sent first
                    }
                    int code = raw.awaitClose();
                    System.out.println("[e2e] closing case " + k.label() + ": " + code);
                    if (code != k.closeCode()) {
                        mismatches.add("closing " + k.label() + ": close " + code + ", expected " + k.closeCode());
                    }
                }
            }
            logLines.stop();
            root.detachAppender(logLines);

            System.out.printf("[e2e] bad-input corpus: %d frames on %d connections in %.1f s (+%d closing cases); %d mismatches%n",
                    frames, distinct.size(), corpusSeconds, closing.size(), mismatches.size());
            mismatches.stream().limit(60).forEach(m -> System.out.println("[e2e] mismatch: " + m));
            System.out.println("[e2e] mismatch kinds: " + mismatches.stream().collect(java.util.stream.Collectors.groupingBy(
                    m -> m.replaceAll("^(\\S+ \\S+).*", "$1"), TreeMap::new, java.util.stream.Collectors.counting())));
            logLines.lines.stream().limit(30).forEach(l -> System.out.println("[e2e] log: " + l));
            assertThat(mismatches).as("answers that differ from docs/protocol.md").isEmpty();
            assertThat(frames).isGreaterThan(1500);

            // the chat next door: every message acked, delivered to dave in order, nothing else in the room
            assertThat(chatSeqs).hasSize(chatMessages).isSorted().doesNotHaveDuplicates();
            d.await(ServerFrame.Message.class, m -> ("talk" + (chatMessages - 1)).equals(m.cmid()));
            List<String> delivered = d.received().stream().filter(ServerFrame.Message.class::isInstance)
                    .map(ServerFrame.Message.class::cast).filter(m -> m.conv().equals(chatRoom)).map(ServerFrame.Message::cmid).toList();
            assertThat(delivered).containsExactlyElementsOf(java.util.stream.IntStream.range(0, chatMessages).mapToObj(i -> "talk" + i).toList());

            // every attacker connection is still open and answers
            for (Worker w : distinct) {
                assertThat(w.client().isClosed()).as("worker %s closed", w.index()).isFalse();
            }

            // history holds exactly the valid messages, each from its real sender
            for (Worker w : workers.stream().filter(w -> w.index() % 2 == 0).toList()) {
                JsonNode page = getJson(gw1, "/api/history/" + w.room() + "?after=0&limit=200", w.user().token());
                List<String> stored = new ArrayList<>();
                for (JsonNode m : page.get("messages")) {
                    stored.add(m.get("cmid").asString());
                    assertThat(m.get("from").get("id").asString()).isEqualTo(w.user().userId());
                }
                assertThat(page.get("more").asBoolean()).isFalse();
                assertThat(stored).containsExactlyInAnyOrderElementsOf(validByRoom.getOrDefault(w.room(), List.of()));
                assertRestRefusesOperators(w);
            }
            // nothing created from a bad id: the same databases and collections, and only the rooms the test made
            assertThat(collections(mongo)).isEqualTo(collectionsBefore);
            assertThat(count(mongo, dbPrefix() + "chat", "rooms")).isEqualTo(roomsBefore);

            long heapAfter = usedHeapAfterGc();
            System.out.printf("[e2e] bad-input corpus: used heap after GC %d MB before, %d MB after%n", heapBefore >> 20, heapAfter >> 20);
            assertThat(heapAfter - heapBefore).isLessThan(64L << 20);

            assertThat(logLines.lines).as("log lines with exceptions or stack traces").isEmpty();
            assertThat(rooms).hasSize(users.size());
        } finally {
            root.detachAppender(logLines);
            pool.shutdownNow();
            clients.forEach(WsClient::close);
        }
    }

    /** Runs one worker's share in lockstep (send, await its one answer), paced below the frame rate; returns frames sent. */
    private static int run(Worker w, Map<String, List<String>> validByRoom, List<String> mismatches) {
        WsClient client = w.client();
        long next = System.nanoTime();
        int sent = 0;
        int valid = 0;
        for (BadInputCorpus.Case k : w.cases()) {
            next = pace(next, FRAME_INTERVAL_NANOS);
            if (k.binary()) {
                client.sendBinary(k.text().getBytes(StandardCharsets.ISO_8859_1));
            } else {
                client.send(k.text());
            }
            sent++;
            ServerFrame answer;
            try {
                answer = client.await(ServerFrame.class, BadInputCorpusEndToEndIntegrationTests::isAnswer);
            } catch (AssertionError e) {
                mismatches.add("worker " + w.index() + ": no answer to " + k.label());
                return sent;
            }
            check(k, answer, w, validByRoom, mismatches);
            if (sent % 10 == 0) { // still usable: a ping is answered
                next = pace(next, FRAME_INTERVAL_NANOS);
                String rid = "ok" + w.index() + "-" + sent;
                client.send("{\"type\":\"ping\",\"rid\":\"" + rid + "\"}");
                sent++;
                ServerFrame pong = client.await(ServerFrame.class, BadInputCorpusEndToEndIntegrationTests::isAnswer);
                if (!(pong instanceof ServerFrame.Pong p && rid.equals(p.rid()))) {
                    mismatches.add("worker " + w.index() + ": ping after " + k.label() + " answered " + pong);
                }
            }
            if (sent % 40 == 0) { // and a valid message is stored
                next = pace(next, FRAME_INTERVAL_NANOS);
                String cmid = "v" + w.index() + "-" + (valid++);
                client.send(send(cmid, w.room(), "valid"));
                sent++;
                ServerFrame ack = client.await(ServerFrame.class, BadInputCorpusEndToEndIntegrationTests::isAnswer);
                if (ack instanceof ServerFrame.Ack a && cmid.equals(a.cmid())) {
                    validByRoom.computeIfAbsent(w.room(), r -> Collections.synchronizedList(new ArrayList<>())).add(cmid);
                } else {
                    mismatches.add("worker " + w.index() + ": valid send after " + k.label() + " answered " + ack);
                }
            }
        }
        return sent;
    }

    private static void check(BadInputCorpus.Case k, ServerFrame answer, Worker w, Map<String, List<String>> validByRoom,
                              List<String> mismatches) {
        if (k.answer() == BadInputCorpus.Answer.ACK) {
            if (answer instanceof ServerFrame.Ack a && k.cmid().equals(a.cmid()) && a.conv().equals(w.room())) {
                validByRoom.computeIfAbsent(w.room(), r -> Collections.synchronizedList(new ArrayList<>())).add(k.cmid());
            } else {
                mismatches.add(k.label() + ": expected ack, got " + answer);
            }
            return;
        }
        if (!(answer instanceof ServerFrame.Error e)) {
            mismatches.add(k.label() + ": expected error " + k.code() + ", got " + answer);
            return;
        }
        if (!k.code().equals(e.code()) || !java.util.Objects.equals(k.rid(), e.rid()) || !java.util.Objects.equals(k.cmid(), e.cmid())) {
            mismatches.add(k.label() + ": expected " + k.code() + " rid=" + k.rid() + " cmid=" + k.cmid() + ", got " + e);
        }
        if (e.message() == null || e.message().contains("io.wxim") || e.message().contains("jackson") || e.message().contains("Exception")) {
            mismatches.add(k.label() + ": error message shows internals: " + e.message());
        }
    }

    /**
     * Anything that answers a command; pushes (messages and presence of the room, and the rooms the user's other
     * connections, the other workers, join or leave: {@code joined} / {@code left} without rid) are not.
     */
    private static boolean isAnswer(ServerFrame f) {
        return !(f instanceof ServerFrame.Message || f instanceof ServerFrame.MemberJoined || f instanceof ServerFrame.MemberLeft
                || f instanceof ServerFrame.Presence || f instanceof ServerFrame.Joined j && j.rid() == null
                || f instanceof ServerFrame.Left l && l.rid() == null);
    }

    private static long pace(long next, long interval) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
            sleepQuietly(TimeUnit.NANOSECONDS.toMillis(wait) + 1);
        }
        return Math.max(next, System.nanoTime() - interval) + interval;
    }

    /** REST: operators in the path and in query parameters are ids that do not exist or values that do not parse. */
    private void assertRestRefusesOperators(Worker w) throws Exception {
        String token = w.user().token();
        String base = "/api/history/" + w.room();
        HttpResponse<String> plain = get(gw2, base + "?after=0", token);
        assertThat(plain.statusCode()).isEqualTo(200);
        // an unknown parameter named like an operator is ignored: the same page
        HttpResponse<String> bracket = get(gw2, base + "?after%5B%24gt%5D=&after=0", token);
        assertThat(bracket.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(bracket.body()).get("messages")).isEqualTo(JSON.readTree(plain.body()).get("messages"));
        for (String query : new String[] {"?after=%7B%22%24gt%22%3A%22%22%7D", "?limit=%7B%22%24ne%22%3Anull%7D", "?before=%24where",
            "?after=1e3", "?after=1.5", "?limit=true"}) {
            HttpResponse<String> response = get(gw2, base + query, token);
            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertThat(response.body()).as(query).doesNotContain("Exception").doesNotContain("\tat ");
        }
        for (String conv : new String[] {"%24where", "r:%24where", "%7B%22%24ne%22%3Anull%7D", "r:" + "a".repeat(65), "r:lobby%27%20%7C%7C%201",
            "d:%24gt", "x:lobby"}) {
            HttpResponse<String> response = get(gw2, "/api/history/" + conv + "?after=0", token);
            assertThat(response.statusCode()).as(conv).isEqualTo(404);
            assertThat(response.body()).as(conv).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    /** database.collection of every database of this system. */
    private static Set<String> collections(MongoClient mongo) {
        List<String> databases = Flux.from(mongo.listDatabaseNames()).filter(n -> n.startsWith(dbPrefix())).collectList()
                .block(Duration.ofSeconds(10));
        Set<String> all = new java.util.TreeSet<>();
        for (String db : databases) {
            Flux.from(mongo.getDatabase(db).listCollectionNames()).map(c -> db + "." + c).collectList()
                    .block(Duration.ofSeconds(10)).forEach(all::add);
        }
        return all;
    }

    private static long count(MongoClient mongo, String db, String collection) {
        return Mono.from(mongo.getDatabase(db).getCollection(collection).countDocuments()).block(Duration.ofSeconds(10));
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            sleepQuietly(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
