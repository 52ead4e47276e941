package io.wxim.history.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.history.config.HistoryProperties;
import io.wxim.testinfra.TestMongo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.data.domain.Sort;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Seq assignment against a real MongoDB-compatible server. Two {@link MessageService} instances, each with its own
 * repository, serializer and cache, share one database: they behave like two history-service replicas.
 */
class MessageServiceIntegrationTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_history_test_service_");

    private MessageService replicaA;
    private MessageService replicaB;

    @BeforeEach
    void startReplicas() {
        HistoryProperties props = HistoryProperties.defaults();
        replicaA = new MessageService(new MessageRepository(MONGO.template(), props.mongoTimeout()), props);
        replicaB = new MessageService(new MessageRepository(MONGO.template(), props.mongoTimeout()), props);
    }

    @Test
    void assignsGaplessSeqs_whenTwoReplicasRaceOnThreeConversations() {
        String run = unique();
        List<String> convs = List.of("r:race1" + run, "r:race2" + run, "r:race3" + run);
        int total = 300;

        Flux<StoredMessage> stores = Flux.range(0, total).flatMap(i -> {
            MessageService replica = i % 2 == 0 ? replicaA : replicaB;
            String conv = convs.get(i % 3);
            return replica.store(NewMessage.of(conv, "user" + (i % 7), null, null, "m" + i, "text", "hello " + i, 4000));
        }, total);

        StepVerifier.create(stores.collectList())
                .assertNext(answers -> {
                    assertThat(answers).hasSize(total).noneMatch(StoredMessage::duplicate);
                    Map<String, List<Long>> seqsByConv = answers.stream().collect(Collectors.groupingBy(
                            StoredMessage::conv, Collectors.mapping(StoredMessage::seq, Collectors.toList())));
                    convs.forEach(conv -> assertThat(seqsByConv.get(conv)).containsExactlyInAnyOrderElementsOf(oneTo(100)));
                })
                .expectComplete()
                .verify(TIMEOUT);

        System.out.printf("race: seq conflicts resolved replicaA=%d replicaB=%d%n",
                replicaA.seqConflicts(), replicaB.seqConflicts());
        for (String conv : convs) {
            StepVerifier.create(storedSeqs(conv))
                    .assertNext(seqs -> assertThat(seqs).containsExactlyElementsOf(oneTo(100)))
                    .expectComplete()
                    .verify(TIMEOUT);
        }
    }

    @Test
    void storesOnce_whenSameClientMessageIsSentFiveTimesConcurrently() {
        String conv = "r:dup" + unique();
        NewMessage message = NewMessage.of(conv, "alice", "Alice", "https://x/a.png", "cmid-1", "text", "once", 4000);

        Flux<StoredMessage> stores = Flux.range(0, 5)
                .flatMap(i -> (i % 2 == 0 ? replicaA : replicaB).store(message), 5);

        StepVerifier.create(stores.collectList())
                .assertNext(answers -> {
                    assertThat(answers).hasSize(5);
                    assertThat(answers).extracting(StoredMessage::seq).containsOnly(1L);
                    assertThat(answers).extracting(StoredMessage::id).containsOnly(answers.get(0).id());
                    assertThat(answers).extracting(StoredMessage::ts).containsOnly(answers.get(0).ts());
                    assertThat(answers).filteredOn(a -> !a.duplicate()).hasSize(1);
                })
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(MONGO.template().count(Query.query(Criteria.where("conv").is(conv)), MessageRepository.COLLECTION))
                .expectNext(1L)
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void continuesAfterStoredSeq_whenFreshReplicaStarts() {
        String conv = "d:restart" + unique();
        StepVerifier.create(Flux.range(1, 3).concatMap(i -> replicaA.store(text(conv, "a" + i))).last())
                .assertNext(last -> assertThat(last.seq()).isEqualTo(3))
                .expectComplete()
                .verify(TIMEOUT);

        HistoryProperties props = HistoryProperties.defaults();
        MessageService restarted = new MessageService(new MessageRepository(MONGO.template(), props.mongoTimeout()), props);
        // replicaA's cache says 3, restarted reads 3 from the database; both continue without a gap.
        StepVerifier.create(restarted.store(text(conv, "b1"))
                        .then(replicaA.store(text(conv, "a4")))
                        .then(storedSeqs(conv)))
                .assertNext(seqs -> assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L))
                .expectComplete()
                .verify(TIMEOUT);
        assertThat(replicaA.seqConflicts()).as("replicaA's stale cache hit the unique index").isEqualTo(1);
    }

    @Test
    void storesDocumentWithStringIdAndSenderProfile_whenInserted() {
        String conv = "p:shape" + unique();
        StepVerifier.create(replicaA.store(NewMessage.of(conv, "bob", "Bob", null, "c1", "text", "hey", 4000))
                        .flatMap(stored -> MONGO.template().findOne(Query.query(Criteria.where("conv").is(conv)), Document.class,
                                MessageRepository.COLLECTION).map(doc -> Map.entry(stored, doc))))
                .assertNext(pair -> {
                    Document doc = pair.getValue();
                    assertThat(doc.get("_id")).isInstanceOf(String.class).isEqualTo(pair.getKey().id());
                    assertThat(doc.get("seq")).isEqualTo(1L);
                    assertThat(doc.get("from", Document.class)).containsEntry("id", "bob").containsEntry("nickname", "Bob")
                            .doesNotContainKey("avatarUrl");
                    assertThat(doc).containsEntry("cmid", "c1").containsEntry("kind", "text").containsKey("ts");
                })
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void failsWithStoreUnavailableAndLeavesNoGap_whenMongoIsTooSlow() {
        String conv = "r:slow" + unique();
        HistoryProperties props = HistoryProperties.defaults();
        MessageService impatient = new MessageService(new MessageRepository(MONGO.template(), Duration.ofNanos(1)), props);

        StepVerifier.create(impatient.store(text(conv, "t1")))
                .expectError(StoreUnavailableException.class)
                .verify(TIMEOUT);
        StepVerifier.create(replicaA.store(text(conv, "t2")).then(replicaA.store(text(conv, "t3"))).then(storedSeqs(conv)))
                .assertNext(seqs -> assertThat(seqs).containsExactlyElementsOf(oneTo(seqs.size())).hasSizeGreaterThanOrEqualTo(2))
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void freesConversation_whenAStoreNeverHearsBack() {
        String conv = "r:lost" + unique();
        HistoryProperties d = HistoryProperties.defaults();
        HistoryProperties props = new HistoryProperties(d.chatBaseUrl(), d.chatTimeout(), d.mongoTimeout(),
                Duration.ofMillis(300), d.maxPageSize(), d.historyPageSize(), d.syncPageSize(), d.maxBodyLength(),
                d.maxLastSeqConversations(), d.maxInsertAttempts(), d.seqCacheSize(), d.maxPendingPerConversation(),
                d.storeBatchSize());
        AtomicInteger inserts = new AtomicInteger();
        // The first insert never signals (as if a callback were lost below us); later ones behave.
        MessageRepository flaky = new MessageRepository(MONGO.template(), props.mongoTimeout()) {
            @Override
            Mono<StoredMessage> insert(StoredMessage message) {
                return inserts.getAndIncrement() == 0 ? Mono.never() : super.insert(message);
            }
        };
        MessageService service = new MessageService(flaky, props);

        StepVerifier.create(service.store(text(conv, "x1")))
                .expectError(StoreUnavailableException.class)
                .verify(TIMEOUT);
        StepVerifier.create(service.store(text(conv, "x2")))
                .assertNext(stored -> assertThat(stored.seq()).isEqualTo(1))
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void storesWhatArrivesTogetherInBatches_withConsecutiveSeqsInArrivalOrder() {
        String conv = "r:batch" + unique();
        AtomicInteger batchInserts = new AtomicInteger();
        AtomicInteger singleInserts = new AtomicInteger();
        HistoryProperties props = HistoryProperties.defaults();
        MessageRepository counting = new MessageRepository(MONGO.template(), props.mongoTimeout()) {
            @Override
            Mono<List<StoredMessage>> insertAll(List<StoredMessage> messages) {
                batchInserts.incrementAndGet();
                return super.insertAll(messages);
            }

            @Override
            Mono<StoredMessage> insert(StoredMessage message) {
                singleInserts.incrementAndGet();
                return super.insert(message);
            }
        };
        MessageService service = new MessageService(counting, props);

        StepVerifier.create(Flux.range(0, 300).flatMapSequential(i -> service.store(text(conv, "c" + i)), 300)
                        .collectList())
                .assertNext(answers -> {
                    assertThat(answers).extracting(StoredMessage::seq).containsExactlyElementsOf(oneTo(300));
                    assertThat(answers).noneMatch(StoredMessage::duplicate);
                })
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(storedSeqs(conv)).expectNext(oneTo(300)).expectComplete().verify(TIMEOUT);
        assertThat(batchInserts.get() + singleInserts.get()).as("database rounds for 300 messages").isLessThan(60);
        System.out.printf("batches: %d batch inserts, %d single inserts for 300 messages%n", batchInserts.get(),
                singleInserts.get());
    }

    @Test
    void answersRetriesAsDuplicates_andStoresTheRestOfTheirBatchWithoutAGap() {
        String conv = "r:batchdup" + unique();
        StepVerifier.create(Flux.range(0, 5).concatMap(i -> replicaA.store(text(conv, "old" + i))).then())
                .expectComplete().verify(TIMEOUT);

        // Retries of stored messages, a message twice in one batch, and new ones, all arriving together.
        List<NewMessage> burst = List.of(text(conv, "new0"), text(conv, "old1"), text(conv, "new1"), text(conv, "new1"),
                text(conv, "old4"), text(conv, "new2"));
        StepVerifier.create(Flux.fromIterable(burst).flatMapSequential(replicaA::store, burst.size()).collectList())
                .assertNext(answers -> {
                    assertThat(answers.get(1).seq()).isEqualTo(2);
                    assertThat(answers.get(1).duplicate()).isTrue();
                    assertThat(answers.get(4).seq()).isEqualTo(5);
                    assertThat(answers.get(4).duplicate()).isTrue();
                    assertThat(answers.get(2).seq()).isEqualTo(answers.get(3).seq());
                    assertThat(List.of(answers.get(2).duplicate(), answers.get(3).duplicate())).containsOnlyOnce(true);
                    assertThat(List.of(answers.get(0).seq(), answers.get(2).seq(), answers.get(5).seq()))
                            .containsExactlyInAnyOrder(6L, 7L, 8L);
                })
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(storedSeqs(conv)).expectNext(oneTo(8)).expectComplete().verify(TIMEOUT);
    }

    private static NewMessage text(String conv, String cmid) {
        return NewMessage.of(conv, "u1", null, null, cmid, "text", "body " + cmid, 4000);
    }

    private static Mono<List<Long>> storedSeqs(String conv) {
        Query query = Query.query(Criteria.where("conv").is(conv)).with(Sort.by("seq"));
        return MONGO.template().find(query, Document.class, MessageRepository.COLLECTION)
                .map(d -> ((Number) d.get("seq")).longValue())
                .collectList();
    }

    private static List<Long> oneTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
