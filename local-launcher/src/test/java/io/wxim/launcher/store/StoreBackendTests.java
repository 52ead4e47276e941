package io.wxim.launcher.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The local run's embedded store: MongoDB's unique-index semantics with the faster key order, on old and new files. */
@Timeout(120)
class StoreBackendTests {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int KEYS = 3000;

    @TempDir
    Path dir;

    @Test
    void keyOrderIsTotalAndConsistentWithEquals() {
        List<KeyValue> keys = List.of(new KeyValue("a", 1), new KeyValue("a", 1L), new KeyValue("a", 2),
                new KeyValue("b", 0), new KeyValue("a"), new KeyValue(1.5, "x"), new KeyValue("a", 1));
        for (KeyValue x : keys) {
            for (KeyValue y : keys) {
                int xy = Integer.signum(IndexKeyOrder.INSTANCE.compare(x, y));
                assertThat(xy).isEqualTo(-Integer.signum(IndexKeyOrder.INSTANCE.compare(y, x)));
                assertThat(xy == 0).isEqualTo(x.equals(y));
                for (KeyValue z : keys) {
                    if (xy < 0 && IndexKeyOrder.INSTANCE.compare(y, z) < 0) {
                        assertThat(IndexKeyOrder.INSTANCE.compare(x, z)).isNegative();
                    }
                }
            }
        }
        assertThat(IndexKeyOrder.INSTANCE.compare(new KeyValue("a", 1), new KeyValue("a", 2))).isNegative();
        assertThat(IndexKeyOrder.INSTANCE.compare(new KeyValue("a", 10), new KeyValue("a", 9))).isPositive();
    }

    @Test
    void aFileWrittenByThePlainH2BackendKeepsItsUniqueIndexes_afterTheOneTimeResort() {
        String file = dir.resolve("mongo.mv").toString();
        List<String> names = randomNames(KEYS);
        // written with the plain backend: index maps ordered by serialized bytes
        with(new H2Backend(file), c -> {
            Mono.from(c.createIndex(Indexes.ascending("conv", "seq"), new IndexOptions().unique(true))).block(WAIT);
            Mono.from(c.createIndex(Indexes.ascending("seq"))).block(WAIT); // non-unique: ignored by the plain backend
            List<Document> docs = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                docs.add(new Document("_id", names.get(i)).append("conv", "c" + (i % 7)).append("seq", (long) i));
            }
            Mono.from(c.insertMany(docs)).block(WAIT);
        });
        // reopened twice with the faster order (the second open finds the marker and does not re-sort)
        for (int round = 0; round < 2; round++) {
            int r = round;
            StoreBackend backend = StoreBackend.open(file, 50);
            with(backend, c -> {
                for (int i = 0; i < KEYS; i++) {
                    String id = names.get(i);
                    assertThat(Mono.from(c.find(Filters.eq("_id", id)).first()).block(WAIT)).as(id).isNotNull();
                    Document sameId = new Document("_id", id).append("conv", "other").append("seq", -1L - i);
                    assertThatThrownBy(() -> Mono.from(c.insertOne(sameId)).block(WAIT))
                            .as("duplicate _id %s", id).isInstanceOf(MongoWriteException.class);
                    Document sameSeq = new Document("_id", "n" + r + "-" + i).append("conv", "c" + (i % 7))
                            .append("seq", (long) i);
                    assertThatThrownBy(() -> Mono.from(c.insertOne(sameSeq)).block(WAIT))
                            .as("duplicate (conv, seq) of %s", id).isInstanceOf(MongoWriteException.class);
                }
                Mono.from(c.insertOne(new Document("_id", "new" + r).append("conv", "c0").append("seq", 1_000_000L + r)))
                        .block(WAIT);
                assertThat(Mono.from(c.countDocuments()).block(WAIT)).isEqualTo(KEYS + r + 1L);
                long expected = java.util.stream.IntStream.range(2001, KEYS).filter(i -> i % 7 == 3).count();
                assertThat(Flux.from(c.find(Filters.and(Filters.eq("conv", "c3"), Filters.gt("seq", 2000L)))).count()
                        .block(WAIT)).isEqualTo(expected);
                // the non-unique index the plain backend ignored is built from the documents on the first open
                assertThat(Flux.from(c.find(new Document("seq", new Document("$gte", 10L).append("$lt", 20L)))).count()
                        .block(WAIT)).isEqualTo(10);
                var seqIndex = (de.bwaldvogel.mongo.backend.Index<?>) ((StoreDatabase) backend.resolveDatabase("db"))
                        .siblings("db.messages").best(new de.bwaldvogel.mongo.bson.Document("seq", 10L));
                assertThat(seqIndex.getName()).isEqualTo("seq_1");
                assertThat(seqIndex.getCount()).isEqualTo(KEYS + r + 1L);
            });
        }
    }

    private static List<String> randomNames(int n) {
        Random random = new Random(42);
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(Long.toString(random.nextLong() & Long.MAX_VALUE, 36) + "-" + i);
        }
        return names;
    }

    private static void with(MongoBackend backend, Consumer<MongoCollection<Document>> body) {
        MongoServer server = new MongoServer(backend);
        InetSocketAddress address = server.bind();
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + address.getPort())) {
            body.accept(client.getDatabase("db").getCollection("messages"));
        } finally {
            server.shutdown();
        }
    }
}
