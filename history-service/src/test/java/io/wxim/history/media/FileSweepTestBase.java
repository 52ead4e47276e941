package io.wxim.history.media;

import static org.springframework.data.mongodb.core.query.Criteria.where;
import static org.springframework.data.mongodb.core.query.Query.query;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import io.wxim.testinfra.TestInfra;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.data.mongodb.core.ReactiveMongoTemplate;
import org.springframework.data.mongodb.core.SimpleReactiveMongoDatabaseFactory;
import org.springframework.data.mongodb.gridfs.ReactiveGridFsTemplate;
import org.springframework.data.mongodb.gridfs.ReactiveGridFsUpload;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The file-driven GridFS sweep's tests against a real MongoDB-compatible server, each test on a database of its own.
 * GridFS files are written through the Spring GridFS API with chosen ids, so their age (the time in the id, as the
 * driver gives one when an upload starts) is set without waiting; the sweep's minimum age is the default hour.
 */
@Timeout(60)
abstract class FileSweepTestBase {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final Duration MIN_AGE = Duration.ofHours(1);
    static final Duration LEASE = Duration.ofMinutes(1);
    /** Small chunks, so each test file has several. */
    static final int CHUNK_SIZE = 4;
    static final byte[] CONTENT = "ten bytes!".getBytes(StandardCharsets.US_ASCII); // 3 chunks

    final Instant now = Instant.now();
    MongoClient client;
    ReactiveMongoTemplate mongo;
    ReactiveGridFsTemplate gridFs;

    @BeforeEach
    void openDatabase() {
        String database = "im_history_file_sweep_" + UUID.randomUUID().toString().substring(0, 8);
        client = MongoClients.create(TestInfra.mongoUri(database));
        mongo = new ReactiveMongoTemplate(client, database);
        gridFs = new ReactiveGridFsTemplate(new SimpleReactiveMongoDatabaseFactory(client, database), mongo.getConverter());
    }

    @AfterEach
    void dropDatabase() {
        try {
            mongo.getMongoDatabase().flatMap(db -> Mono.from(db.drop())).block(WAIT);
        } finally {
            client.close();
        }
    }

    OrphanFileSweeper sweeper(int batchSize, int maxPerRun) {
        return sweeper(batchSize, maxPerRun, Clock.systemUTC());
    }

    OrphanFileSweeper sweeper(int batchSize, int maxPerRun, Clock clock) {
        return sweeper(new OrphanFileRepository(mongo, Duration.ofSeconds(5)), batchSize, maxPerRun, clock);
    }

    /** A sweeper as a fresh instance makes it: nothing shared with another but the database. */
    OrphanFileSweeper sweeper(OrphanFileRepository files, int batchSize, int maxPerRun, Clock clock) {
        return new OrphanFileSweeper(files, new SweepRepository(mongo, Duration.ofSeconds(5)),
                new MediaProperties.FileSweep(MIN_AGE, Duration.ofHours(1), batchSize, maxPerRun, Duration.ofSeconds(30),
                        LEASE),
                clock);
    }

    ObjectId ago(Duration age) {
        return new ObjectId(Date.from(now.minus(age)));
    }

    ObjectId storeFile(ObjectId id, String mediaId) {
        gridFs.store(ReactiveGridFsUpload.fromPublisher(Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(CONTENT)))
                .id(id).filename(mediaId).chunkSize(CHUNK_SIZE).build()).block(WAIT);
        return id;
    }

    /** Chunks as an upload leaves them when it is cut off before the driver writes the file entry. */
    ObjectId insertChunks(ObjectId filesId, int count) {
        Flux.range(0, count)
                .concatMap(n -> mongo.insert(new Document("files_id", filesId).append("n", n)
                        .append("data", new Binary(CONTENT)), OrphanFileRepository.CHUNKS))
                .blockLast(WAIT);
        return filesId;
    }

    void record(String mediaId, ObjectId fileId) {
        new MediaRepository(mongo, Duration.ofSeconds(5)).insert(new MediaDocument(mediaId, "alice", "image", "image/png",
                CONTENT.length, 1, 1, fileId, null, false, List.of(), now)).block(WAIT);
    }

    long files(ObjectId id) {
        return mongo.count(query(where("_id").is(id)), OrphanFileRepository.FILES).block(WAIT);
    }

    long chunks(ObjectId filesId) {
        return mongo.count(query(where("files_id").is(filesId)), OrphanFileRepository.CHUNKS).block(WAIT);
    }

    /** The file sweep's shared document in {@code sweeps} (place and lease), or null before the first run. */
    Document sweepDocument() {
        return mongo.findById(OrphanFileSweeper.NAME, Document.class, SweepRepository.COLLECTION).block(WAIT);
    }
}
