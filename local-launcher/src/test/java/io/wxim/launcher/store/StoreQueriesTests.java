package io.wxim.launcher.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoDatabase;
import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The embedded store answers the system's queries exactly as a store without index ranges does (mongo-java-server's
 * memory backend, which reads every document), through inserts, updates, removes and a reopen of the file; and the
 * queries the services make on hot paths are served by the index meant for them, not by reading the collection.
 */
@Timeout(120)
class StoreQueriesTests {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int USERS = 40;
    private static final int CONVS = 12;

    @TempDir
    Path dir;

    @Test
    void queriesAnswerAsWithoutIndexes_throughWritesAndAReopen() {
        String file = dir.resolve("mongo.mv").toString();
        MongoServer reference = new MongoServer(new MemoryBackend());
        InetSocketAddress referenceAddress = reference.bind();
        try (MongoClient ref = MongoClients.create("mongodb://127.0.0.1:" + referenceAddress.getPort())) {
            MongoDatabase expected = ref.getDatabase("db");
            createIndexes(expected);
            with(StoreBackend.open(file, 50), db -> {
                createIndexes(db);
                Random random = new Random(7);
                for (int round = 0; round < 6; round++) {
                    List<Consumer<MongoDatabase>> writes = randomWrites(random, round);
                    writes.forEach(w -> w.accept(expected));
                    writes.forEach(w -> w.accept(db));
                    assertSameAnswers(expected, db);
                }
            });
            StoreBackend reopened = StoreBackend.open(file, 50);
            with(reopened, db -> {
                assertSameAnswers(expected, db);
                // every index holds exactly one entry per document: removes and updates left nothing behind
                long memberships = Mono.from(db.getCollection("memberships").countDocuments()).block(WAIT);
                long messages = Mono.from(db.getCollection("messages").countDocuments()).block(WAIT);
                StoreDatabase store = (StoreDatabase) reopened.resolveDatabase("db");
                assertThat(countOf(store.siblings("db.memberships").best(query("userId", "u1")))).isEqualTo(memberships);
                assertThat(countOf(store.siblings("db.messages").best(query("conv", "c1")))).isEqualTo(messages);
            });
        } finally {
            reference.shutdown();
        }
    }

    @Test
    void hotQueriesAreServedByTheirIndexes() {
        StoreBackend backend = StoreBackend.open(dir.resolve("mongo.mv").toString(), 50);
        with(backend, db -> {
            createIndexes(db);
            Mono.from(db.getCollection("memberships").insertOne(membership("c1", "u1", 1))).block(WAIT);
            Mono.from(db.getCollection("messages").insertOne(message("c1", 1, "u1", "m1"))).block(WAIT);
            StoreDatabase store = (StoreDatabase) backend.resolveDatabase("db");
            CollectionIndexes memberships = store.siblings("db.memberships");
            CollectionIndexes messages = store.siblings("db.messages");
            assertThat(nameOf(memberships.best(query("userId", "u1")))).isEqualTo("userId_1");
            assertThat(nameOf(memberships.best(query("userId", "u1").append("conv",
                    new de.bwaldvogel.mongo.bson.Document("$in", List.of("c1", "c2")))))).isEqualTo("userId_1");
            assertThat(nameOf(memberships.best(query("_id", "c1|u1")))).isEqualTo("_id_");
            assertThat(nameOf(messages.best(query("conv", "c1").append("seq",
                    new de.bwaldvogel.mongo.bson.Document("$gt", 5L))))).isEqualTo("conv_seq");
            assertThat(nameOf(messages.best(query("conv", "c1")))).isEqualTo("conv_seq");
            assertThat(nameOf(messages.best(query("conv", "c1").append("from.id", "u1").append("cmid", "m1"))))
                    .isEqualTo("conv_from_cmid");
            assertThat(nameOf(messages.best(query("conv", "c1").append("seq", 1L).append("from.id", "u1")
                    .append("ts", new de.bwaldvogel.mongo.bson.Document("$gte", 0L))
                    .append("kind", new de.bwaldvogel.mongo.bson.Document("$ne", "recall"))))).as("a recall")
                    .isEqualTo("conv_seq");
            assertThat(memberships.best(query("joinedAt", 5L))).as("no index on joinedAt").isNull();
            Mono.from(db.getCollection("media").insertOne(new Document("_id", "f1").append("used", false)
                    .append("createdAt", new java.util.Date(5)))).block(WAIT);
            assertThat(nameOf(store.siblings("db.media").best(query("used", false).append("createdAt",
                    new de.bwaldvogel.mongo.bson.Document("$lt", new java.util.Date(10)))))).as("the orphan sweep's")
                    .isEqualTo("used_createdAt");
            // a service restart creates its indexes again (mongo-java-server builds and discards a second object);
            // once the index is dropped, no leftover of it may still be chosen
            createIndexes(db);
            Mono.from(db.getCollection("memberships").dropIndex("userId_1")).block(WAIT);
            assertThat(memberships.best(query("userId", "u1"))).isNull();
            assertThat(Flux.from(db.getCollection("memberships").find(new Document("userId", "u1"))).count().block(WAIT))
                    .isEqualTo(1);
        });
    }

    private static void createIndexes(MongoDatabase db) {
        Mono.from(db.getCollection("memberships").createIndex(Indexes.ascending("userId"))).block(WAIT);
        Mono.from(db.getCollection("messages").createIndex(Indexes.ascending("conv", "seq"),
                new IndexOptions().unique(true).name("conv_seq"))).block(WAIT);
        Mono.from(db.getCollection("messages").createIndex(Indexes.ascending("conv", "from.id", "cmid"),
                new IndexOptions().unique(true).name("conv_from_cmid"))).block(WAIT);
        Mono.from(db.getCollection("media").createIndex(Indexes.ascending("used", "createdAt"),
                new IndexOptions().name("used_createdAt"))).block(WAIT);
        Mono.from(db.getCollection("media").createIndex(Indexes.ascending("released"),
                new IndexOptions().sparse(true).name("released"))).block(WAIT);
        Mono.from(db.getCollection("media").createIndex(Indexes.ascending("releaseHolds"),
                new IndexOptions().sparse(true).name("releaseHolds"))).block(WAIT);
        Mono.from(db.getCollection("media").createIndex(Indexes.ascending("releasePending"),
                new IndexOptions().sparse(true).name("releasePending"))).block(WAIT);
    }

    /** Joins, leaves, messages, recalls and a moved membership, the same on both stores. */
    private static List<Consumer<MongoDatabase>> randomWrites(Random random, int round) {
        List<Consumer<MongoDatabase>> writes = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String conv = conv(random.nextInt(CONVS));
            String user = "u" + random.nextInt(USERS);
            long joinedAt = round * 1000L + i;
            writes.add(db -> ignoreDuplicate(db.getCollection("memberships").insertOne(membership(conv, user, joinedAt))));
        }
        for (int i = 0; i < 15; i++) {
            String id = conv(random.nextInt(CONVS)) + "|u" + random.nextInt(USERS);
            writes.add(db -> Mono.from(db.getCollection("memberships").deleteOne(Filters.eq("_id", id))).block(WAIT));
        }
        String moved = conv(random.nextInt(CONVS)) + "|u" + random.nextInt(USERS);
        String to = "u" + random.nextInt(USERS);
        writes.add(db -> Mono.from(db.getCollection("memberships").updateOne(Filters.eq("_id", moved),
                Updates.set("userId", to))).block(WAIT));
        for (int i = 0; i < 80; i++) {
            String conv = conv(random.nextInt(CONVS));
            long seq = round * 100L + i;
            String from = "u" + random.nextInt(USERS);
            writes.add(db -> ignoreDuplicate(db.getCollection("messages").insertOne(message(conv, seq, from, "m" + seq))));
        }
        for (int i = 0; i < 10; i++) {
            String conv = conv(random.nextInt(CONVS));
            long seq = round * 100L + random.nextInt(80);
            writes.add(db -> Mono.from(db.getCollection("messages").updateOne(
                    Filters.and(Filters.eq("conv", conv), Filters.eq("seq", seq)),
                    Updates.combine(Updates.set("recalled", true), Updates.unset("body")))).block(WAIT));
        }
        for (int i = 0; i < 20; i++) { // uploads, some sent, some held for a release or released
            String id = "f" + round + "_" + i;
            java.util.Date createdAt = new java.util.Date(1_700_000_000_000L + random.nextInt(1000) * 1000L);
            boolean used = random.nextBoolean();
            writes.add(db -> Mono.from(db.getCollection("media").insertOne(new Document("_id", id).append("used", used)
                    .append("createdAt", createdAt))).block(WAIT));
        }
        for (int i = 0; i < 8; i++) {
            String id = "f" + random.nextInt(round + 1) + "_" + random.nextInt(20);
            org.bson.types.ObjectId mark = new org.bson.types.ObjectId(new java.util.Date(1_700_000_000_000L
                    + random.nextInt(1000) * 1000L), random.nextInt(1 << 23));
            int what = random.nextInt(5);
            writes.add(db -> Mono.from(db.getCollection("media").updateOne(Filters.eq("_id", id), switch (what) {
                case 0 -> Updates.set("used", true);
                case 1 -> Updates.set("released", true);
                case 2 -> Updates.pullAll("releaseHolds", List.of(mark));
                case 3 -> Updates.set("releasePending", mark.toHexString()); // an older build's hold
                default -> Updates.addToSet("releaseHolds", mark);
            })).block(WAIT));
        }
        return writes;
    }

    /** The shapes of the services' queries, written flat as Spring Data sends them (not as {@code $and}). */
    private static void assertSameAnswers(MongoDatabase expected, MongoDatabase actual) {
        Bson byJoin = Sorts.ascending("joinedAt", "_id");
        for (int u = 0; u < USERS; u++) {
            Document byUser = new Document("userId", "u" + u);
            assertSame(expected, actual, "memberships", byUser, byJoin, 0);
            assertSame(expected, actual, "memberships", new Document(byUser).append("conv",
                    new Document("$regex", "^r:")), byJoin, 0);
            assertSame(expected, actual, "memberships", new Document(byUser).append("conv",
                    new Document("$in", List.of(conv(1), conv(2), conv(5)))), byJoin, 0);
        }
        Bson ascending = Sorts.ascending("seq");
        for (int c = 0; c < CONVS; c++) {
            Document byConv = new Document("conv", conv(c));
            assertSame(expected, actual, "messages", byConv, Sorts.descending("seq"), 1);
            assertSame(expected, actual, "messages", seq(byConv, "$gt", 150L), ascending, 21);
            // an int bound against the stored (normalized) longs; the lower bound itself is a stored seq
            assertSame(expected, actual, "messages", new Document(byConv).append("seq", new Document("$gte", 105)),
                    ascending, 0);
            assertSame(expected, actual, "messages", new Document(byConv).append("seq", new Document("$gte", 105L)
                    .append("$lte", 170)), ascending, 0);
            assertSame(expected, actual, "messages", seq(byConv, "$lt", 300L), Sorts.descending("seq"), 21);
            assertSame(expected, actual, "messages", new Document(byConv).append("seq",
                    new Document("$gte", 90L).append("$lte", 220L)), ascending, 0);
            // a recall's update: of a text message (104), of a picture (102), of a recall notice (105), by its sender
            for (long seq : new long[] {104L, 102L, 105L}) {
                List<Document> target = find(expected, "messages", new Document(byConv).append("seq", seq), ascending, 0);
                String sender = target.isEmpty() ? "u3" : target.get(0).get("from", Document.class).getString("id");
                for (long fromNow : new long[] {-1_000L, 60_000L}) { // the store's clock past its deadline, before it
                    Document recall = new Document(byConv).append("seq", seq).append("from.id", sender)
                            .append("ts", new Document("$gte", 0L)).append("kind", new Document("$ne", "recall"))
                            .append("$expr", new Document("$lt", List.of("$$NOW",
                                    new java.util.Date(System.currentTimeMillis() + fromNow))));
                    assertSame(expected, actual, "messages", recall, ascending, 0);
                    // the first update of a recall that holds no file recalls only a message without one
                    assertSame(expected, actual, "messages", new Document(recall).append("media",
                            new Document("$exists", false)), ascending, 0);
                }
            }
            Document beforeDeadline = new Document(byConv).append("$expr", new Document("$lt", List.of("$$NOW",
                    new java.util.Date(System.currentTimeMillis() + 60_000L))));
            Document pastDeadline = new Document(byConv).append("$expr", new Document("$lt", List.of("$$NOW",
                    new java.util.Date(System.currentTimeMillis() - 1_000L))));
            assertThat(find(actual, "messages", beforeDeadline, ascending, 0))
                    .isEqualTo(find(actual, "messages", byConv, ascending, 0));
            assertThat(find(actual, "messages", pastDeadline, ascending, 0)).isEmpty();
            Document withoutFile = new Document(byConv).append("media", new Document("$exists", false));
            Document withFile = new Document(byConv).append("media", new Document("$exists", true));
            assertSame(expected, actual, "messages", withoutFile, ascending, 0);
            assertSame(expected, actual, "messages", withFile, ascending, 0);
            assertThat(find(actual, "messages", withoutFile, ascending, 0).size()
                    + find(actual, "messages", withFile, ascending, 0).size())
                    .isEqualTo(find(actual, "messages", byConv, ascending, 0).size());
            assertSame(expected, actual, "messages", new Document(byConv).append("from.id", "u3").append("cmid", "m105"),
                    ascending, 0);
        }
        assertSame(expected, actual, "memberships", Filters.empty(), Sorts.ascending("_id"), 0);
        for (long at = 1_700_000_000_000L; at <= 1_700_001_000_000L; at += 250_000L) { // the orphan sweep's queries
            java.util.Date cutoff = new java.util.Date(at);
            assertSame(expected, actual, "media", new Document("used", false).append("createdAt", new Document("$lt", cutoff)),
                    Sorts.ascending("_id"), 0);
            assertSame(expected, actual, "media", new Document("$or", List.of(new Document("releaseHolds",
                    new Document("$lt", org.bson.types.ObjectId.getSmallestWithDate(cutoff))),
                    new Document("releasePending", new Document("$exists", true))))
                    .append("released", new Document("$ne", true)), Sorts.ascending("_id"), 0);
        }
        assertSame(expected, actual, "media", new Document("released", true), Sorts.ascending("_id"), 0);
        assertSame(expected, actual, "media", new Document("releaseHolds", new Document("$size", 0)),
                Sorts.ascending("_id"), 0);
    }

    private static Document seq(Document byConv, String operator, long bound) {
        return new Document(byConv).append("seq", new Document(operator, bound));
    }

    private static void assertSame(MongoDatabase expected, MongoDatabase actual, String collection, Bson filter,
                                   Bson sort, int limit) {
        assertThat(find(actual, collection, filter, sort, limit)).as("%s %s", collection, filter)
                .isEqualTo(find(expected, collection, filter, sort, limit));
    }

    private static List<Document> find(MongoDatabase db, String collection, Bson filter, Bson sort, int limit) {
        return Flux.from(db.getCollection(collection).find(filter).sort(sort).limit(limit)).collectList().block(WAIT);
    }

    private static void ignoreDuplicate(org.reactivestreams.Publisher<?> insert) {
        Mono.from(insert).onErrorResume(com.mongodb.MongoWriteException.class, e -> Mono.empty()).block(WAIT);
    }

    private static Document membership(String conv, String user, long joinedAt) {
        return new Document("_id", conv + "|" + user).append("conv", conv).append("userId", user)
                .append("joinedAt", joinedAt);
    }

    private static Document message(String conv, long seq, String from, String cmid) {
        Document message = new Document("_id", conv + ":" + seq).append("conv", conv).append("seq", seq)
                .append("from", new Document("id", from)).append("cmid", cmid).append("body", "b" + seq)
                .append("ts", seq * 10).append("kind", seq % 7 == 0 ? "recall" : seq % 3 == 0 ? "image" : "text");
        return seq % 3 == 0 && seq % 7 != 0 ? message.append("media", new Document("id", "f" + seq)) : message;
    }

    private static String conv(int i) {
        return (i % 3 == 0 ? "d:" : "r:") + "c" + i;
    }

    private static de.bwaldvogel.mongo.bson.Document query(String key, Object value) {
        return new de.bwaldvogel.mongo.bson.Document(key, value);
    }

    private static String nameOf(CollectionIndexes.Scored index) {
        return index == null ? null : ((de.bwaldvogel.mongo.backend.Index<?>) index).getName();
    }

    private static long countOf(CollectionIndexes.Scored index) {
        return ((de.bwaldvogel.mongo.backend.Index<?>) index).getCount();
    }

    private static void with(MongoBackend backend, Consumer<MongoDatabase> body) {
        MongoServer server = new MongoServer(backend);
        InetSocketAddress address = server.bind();
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + address.getPort())) {
            body.accept(client.getDatabase("db"));
        } finally {
            server.shutdown();
        }
    }
}
