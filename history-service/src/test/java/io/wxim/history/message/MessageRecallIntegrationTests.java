package io.wxim.history.message;

import static org.assertj.core.api.Assertions.assertThat;

import io.wxim.history.config.HistoryProperties;
import io.wxim.protocol.ServerFrame;
import io.wxim.testinfra.TestMongo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.springframework.data.mongodb.core.query.Criteria;
import org.springframework.data.mongodb.core.query.Query;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Recall and newest-message reads against a real MongoDB-compatible server; stores run with a fixed clock. */
@Timeout(60)
class MessageRecallIntegrationTests {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    @RegisterExtension
    static final TestMongo MONGO = new TestMongo("im_history_test_recall_");
    private static final long NOW = 1_700_000_000_000L;

    private MessageService service;
    private String conv;

    @BeforeEach
    void start() {
        HistoryProperties props = HistoryProperties.defaults();
        Clock clock = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
        service = new MessageService(new MessageRepository(MONGO.template(), props.mongoTimeout()), props, clock);
        conv = "r:recall" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void recallsAndDropsBody_whenSenderRecallsWithinWindow() {
        StoredMessage stored = block(service.store(text("alice", "c1", "secret")));

        StepVerifier.create(service.recall(conv, stored.seq(), user("alice"), NOW - 60_000).map(Recall::target))
                .assertNext(m -> {
                    assertThat(m.recalled()).isTrue();
                    assertThat(m.body()).isNull();
                    assertThat(m.duplicate()).isFalse();
                    assertThat(m.seq()).isEqualTo(stored.seq());
                    assertThat(m.id()).isEqualTo(stored.id());
                    assertThat(m.ts()).isEqualTo(NOW);
                })
                .expectComplete()
                .verify(TIMEOUT);

        Document doc = block(rawDocument(stored.seq()));
        assertThat(doc).containsEntry("recalled", true).doesNotContainKey("body").containsEntry("cmid", "c1");

        StepVerifier.create(service.page(conv, PageQuery.after(0L, null, 100, 200)))
                .assertNext(page -> {
                    assertThat(page.messages()).hasSize(2); // the message and the recall notice
                    ServerFrame.Message frame = page.messages().get(0);
                    assertThat(frame.recalled()).isTrue();
                    assertThat(frame.body()).isNull();
                    assertThat(frame.from().id()).isEqualTo("alice");
                })
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void answersRecalledAgain_whenRetriedAfterWindow() {
        StoredMessage stored = block(service.store(text("alice", "c1", "secret")));
        block(service.recall(conv, stored.seq(), user("alice"), NOW));

        StepVerifier.create(service.recall(conv, stored.seq(), user("alice"), NOW + 1).map(Recall::target))
                .assertNext(m -> {
                    assertThat(m.recalled()).isTrue();
                    assertThat(m.body()).isNull();
                    assertThat(m.id()).isEqualTo(stored.id());
                })
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void storesOneRecallNotice_afterTheRecalledMessage_howeverOftenRetried() {
        StoredMessage stored = block(service.store(text("alice", "c1", "secret")));
        block(service.store(text("bob", "c1", "reply")));

        Recall first = block(service.recall(conv, stored.seq(), new io.wxim.protocol.UserRef("alice", "Alice", null),
                NOW - 60_000));
        StoredMessage notice = first.notice();
        assertThat(notice.seq()).isEqualTo(3);
        assertThat(notice.kind()).isEqualTo(NewMessage.RECALL);
        assertThat(notice.body()).isEqualTo(Long.toString(stored.seq()));
        assertThat(notice.from().id()).isEqualTo("alice");
        assertThat(notice.from().nickname()).isEqualTo("Alice");
        assertThat(notice.cmid()).isEqualTo("~recall:1");
        assertThat(notice.duplicate()).isFalse();
        assertThat(notice.ts()).isEqualTo(NOW);

        Recall again = block(service.recall(conv, stored.seq(), user("alice"), NOW + 1));
        assertThat(again.notice().seq()).isEqualTo(3);
        assertThat(again.notice().id()).isEqualTo(notice.id());
        assertThat(again.notice().duplicate()).isTrue();
        assertThat(again.target().recalled()).isTrue();
        assertThat(block(MONGO.template().count(Query.query(Criteria.where("conv").is(conv)),
                MessageRepository.COLLECTION))).isEqualTo(3L);
    }

    @Test
    void storesTheMissingNotice_whenARecallIsRetriedAfterOnlyTheMessageWasRecalled() {
        StoredMessage stored = block(service.store(text("alice", "c1", "secret")));
        // a recall whose notice store failed (timeout, crash): the message is recalled, no notice exists
        block(new MessageRepository(MONGO.template(), HistoryProperties.defaults().mongoTimeout())
                .markRecalled(conv, stored.seq(), "alice", 0, Instant.now().plusSeconds(60), false));

        Recall retried = block(service.recall(conv, stored.seq(), user("alice"), NOW + 1));
        assertThat(retried.notice().seq()).isEqualTo(2);
        assertThat(retried.notice().kind()).isEqualTo(NewMessage.RECALL);
        assertThat(retried.notice().duplicate()).isFalse();
    }

    @Test
    void storesNoNotice_whenAMessageRecalledLongAgoIsRecalledAgain() {
        StoredMessage stored = block(service.store(text("alice", "c1", "secret")));
        // recalled before notices existed: no notice; a client asks again well after the window and its grace
        block(new MessageRepository(MONGO.template(), HistoryProperties.defaults().mongoTimeout())
                .markRecalled(conv, stored.seq(), "alice", 0, Instant.now().plusSeconds(60), false));
        long late = NOW + MessageService.NOTICE_RETRY_GRACE.toMillis() + 1;

        Recall again = block(service.recall(conv, stored.seq(), user("alice"), late));
        assertThat(again.target().recalled()).isTrue();
        assertThat(again.notice()).isNull();
        assertThat(block(MONGO.template().count(Query.query(Criteria.where("conv").is(conv)),
                MessageRepository.COLLECTION))).isEqualTo(1L);
        // inside the grace the missing notice is still stored
        assertThat(block(service.recall(conv, stored.seq(), user("alice"), late - 1)).notice().seq()).isEqualTo(2);
    }

    /**
     * A recall holds the file before it changes anything and lets go once the release is decided; a release that fails
     * leaves the hold for the orphan sweep; a refused recall lets go at once, and another user's message holds nothing.
     */
    @Test
    void deletesTheFileOfARecalledPicture_onceNoMessageThatIsNotRecalledShowsIt() {
        FakeFiles files = new FakeFiles();
        java.util.List<String> released = files.released;
        java.util.Map<String, java.util.List<ObjectId>> holds = files.holds;
        HistoryProperties props = HistoryProperties.defaults();
        MessageService withFiles = new MessageService(new MessageRepository(MONGO.template(), props.mongoTimeout()), props,
                Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC), files);
        StoredMessage first = block(withFiles.store(picture("p1", "pic1")));
        StoredMessage second = block(withFiles.store(picture("p2", "pic1"))); // the same upload sent again
        StoredMessage other = block(withFiles.store(picture("p3", "pic2")));

        block(withFiles.recall(conv, first.seq(), user("alice"), 0));
        assertThat(released).as("still shown by the second message").isEmpty();
        assertThat(holds.get("pic1")).as("decided: kept, so no longer held").isEmpty();
        files.failRelease = true;
        assertThat(block(withFiles.recall(conv, second.seq(), user("alice"), 0)).target().recalled())
                .as("a failed delete does not fail the recall").isTrue();
        assertThat(holds.get("pic1")).as("held for the orphan sweep").hasSize(1);
        files.failRelease = false;
        block(withFiles.recall(conv, second.seq(), user("alice"), 0)); // a retry deletes it too
        assertThat(released).containsExactly("pic1");
        assertThat(holds.get("pic1")).as("the retry lets go of its own hold only").hasSize(1);

        StepVerifier.create(withFiles.recall(conv, other.seq(), user("mallory"), 0))
                .expectError(NotYourMessageException.class).verify(TIMEOUT);
        assertThat(holds).as("another user's message holds nothing").doesNotContainKey("pic2");
        StepVerifier.create(withFiles.recall(conv, other.seq(), user("alice"), NOW + 1))
                .expectError(RecallWindowPassedException.class).verify(TIMEOUT);
        assertThat(holds.get("pic2")).as("a refused recall lets go at once").isEmpty();
        block(withFiles.recall(conv, other.seq(), user("alice"), 0));
        assertThat(released).containsExactly("pic1", "pic2");
        assertThat(holds.get("pic2")).isEmpty();
    }

    /**
     * A picture message stored after the recall's hold read (its store in flight), whether the first update could have
     * seen it or not: that update recalls only a message without a file, so the read that explains the miss holds the
     * file first, then recalls; the file is released like any other.
     */
    @Test
    void aPictureStoredAfterTheHoldsReadIsStillReleased() {
        for (boolean updateMissesIt : new boolean[] {false, true}) {
            FakeFiles files = new FakeFiles();
            HistoryProperties props = HistoryProperties.defaults();
            boolean[] holdReadDone = {false};
            boolean[] updateDone = {!updateMissesIt};
            MessageRepository late = new MessageRepository(MONGO.template(), props.mongoTimeout()) {
                @Override
                Mono<String> mediaIdOf(String conv, long seq, String by) {
                    if (!holdReadDone[0]) {
                        holdReadDone[0] = true; // the hold's read does not see it yet
                        return Mono.empty();
                    }
                    return super.mediaIdOf(conv, seq, by);
                }

                @Override
                Mono<StoredMessage> markRecalled(String conv, long seq, String by, long notBefore, Instant appliesBefore,
                                                 boolean withoutMedia) {
                    if (!updateDone[0]) {
                        updateDone[0] = true; // nor the update; the read after it does
                        return Mono.empty();
                    }
                    return super.markRecalled(conv, seq, by, notBefore, appliesBefore, withoutMedia);
                }
            };
            MessageService withFiles = new MessageService(late, props, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                    files);
            String mediaId = "pic-late-" + updateMissesIt;
            StoredMessage picture = block(withFiles.store(picture("s-" + updateMissesIt, mediaId)));

            assertThat(block(withFiles.recall(conv, picture.seq(), user("alice"), 0)).target().recalled()).isTrue();

            assertThat(files.released).as("update misses it: %s", updateMissesIt).containsExactly(mediaId);
            assertThat(files.holds.get(mediaId)).isEmpty();
        }

        // the hold fails: the recall answers the error and has changed nothing (a file message is never recalled
        // before its file is held); its retry holds the file and releases it
        FakeFiles files = new FakeFiles();
        HistoryProperties props = HistoryProperties.defaults();
        boolean[] holdReadDone = {false};
        MessageRepository late = new MessageRepository(MONGO.template(), props.mongoTimeout()) {
            @Override
            Mono<String> mediaIdOf(String conv, long seq, String by) {
                if (!holdReadDone[0]) {
                    holdReadDone[0] = true;
                    return Mono.empty();
                }
                return super.mediaIdOf(conv, seq, by);
            }
        };
        MessageService withFiles = new MessageService(late, props, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC), files);
        StoredMessage picture = block(withFiles.store(picture("s-fail", "pic-late-fail")));
        files.failHold = true;
        StepVerifier.create(withFiles.recall(conv, picture.seq(), user("alice"), 0))
                .expectError(StoreUnavailableException.class).verify(TIMEOUT);
        assertThat(block(rawDocument(picture.seq()))).doesNotContainKey("recalled");
        files.failHold = false;
        assertThat(block(withFiles.recall(conv, picture.seq(), user("alice"), 0)).target().recalled()).isTrue();
        assertThat(files.released).containsExactly("pic-late-fail");
    }

    /** Media claims that record releases and holds; a release fails while {@link #failRelease}. */
    private static final class FakeFiles implements MediaClaims {
        final java.util.List<String> released = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.Map<String, java.util.List<ObjectId>> holds = new java.util.concurrent.ConcurrentHashMap<>();
        volatile boolean failRelease;
        volatile boolean failHold;

        @Override
        public Mono<ServerFrame.Media> claim(NewMessage m) {
            return Mono.just(new ServerFrame.Media(m.mediaId(), "image/png", 10, 1, 1, null, null, null, null));
        }

        @Override
        public Mono<Claims> claimsOf(String mediaId) {
            return released.contains(mediaId) ? Mono.empty() : Mono.just(new Claims(java.util.List.of(), 0));
        }

        @Override
        public Mono<Boolean> release(String mediaId, Claims claims) {
            return failRelease ? Mono.error(new StoreUnavailableException("down", null))
                    : Mono.fromCallable(() -> released.add(mediaId));
        }

        @Override
        public Mono<ObjectId> hold(String mediaId) {
            if (failHold) {
                return Mono.error(new StoreUnavailableException("down", null));
            }
            ObjectId mark = new ObjectId();
            holds.computeIfAbsent(mediaId, id -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(mark);
            return Mono.just(mark);
        }

        @Override
        public Mono<Void> unhold(String mediaId, java.util.List<ObjectId> marks) {
            return Mono.fromRunnable(() -> holds.get(mediaId).removeAll(marks));
        }
    }

    @Test
    void refusesToRecallARecallNotice() {
        StoredMessage stored = block(service.store(text("alice", "c1", "secret")));
        StoredMessage notice = block(service.recall(conv, stored.seq(), user("alice"), 0)).notice();

        StepVerifier.create(service.recall(conv, notice.seq(), user("alice"), 0))
                .expectError(NotRecallableException.class)
                .verify(TIMEOUT);
        assertThat(block(rawDocument(notice.seq()))).containsEntry("body", "1").doesNotContainKey("recalled");
    }

    @Test
    void aRecallUpdateTheStoreAppliesAfterItsDeadline_changesNothing() {
        StoredMessage stored = block(service.store(text("alice", "c1", "secret")));
        MessageRepository repository = new MessageRepository(MONGO.template(), HistoryProperties.defaults().mongoTimeout());

        // the store's own clock is past the deadline: the update (arriving late, its client long gone) matches nothing
        StepVerifier.create(repository.markRecalled(conv, stored.seq(), "alice", 0, Instant.now().minusSeconds(1), false))
                .expectComplete().verify(TIMEOUT);
        assertThat(block(rawDocument(stored.seq()))).containsEntry("body", "secret").doesNotContainKey("recalled");

        assertThat(block(repository.markRecalled(conv, stored.seq(), "alice", 0, Instant.now().plusSeconds(5), false))
                .recalled()).isTrue();
        assertThat(block(rawDocument(stored.seq()))).containsEntry("recalled", true).doesNotContainKey("body");
    }

    @Test
    void aStoreWhoseClockIsPastTheRecallsDeadline_refusesItAsBusy_andTheMessageStays() {
        HistoryProperties props = HistoryProperties.defaults();
        MessageRepository aheadOfUs = new MessageRepository(MONGO.template(), props.mongoTimeout()) {
            @Override
            Mono<StoredMessage> markRecalled(String conv, long seq, String by, long notBefore, Instant appliesBefore,
                                                 boolean withoutMedia) {
                // MongoDB's clock more than the window ahead of this instance's
                return super.markRecalled(conv, seq, by, notBefore, appliesBefore.minus(props.recallApplyWindow().multipliedBy(2)),
                        withoutMedia);
            }
        };
        FakeFiles files = new FakeFiles();
        MessageService recalling = new MessageService(aheadOfUs, props, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC),
                files);
        StoredMessage stored = block(recalling.store(text("alice", "c1", "secret")));
        StoredMessage picture = block(recalling.store(picture("p1", "pic-busy")));

        StepVerifier.create(recalling.recall(conv, stored.seq(), user("alice"), 0))
                .expectError(HistoryBusyException.class).verify(TIMEOUT);
        assertThat(block(rawDocument(stored.seq()))).containsEntry("body", "secret").doesNotContainKey("recalled");
        StepVerifier.create(recalling.recall(conv, picture.seq(), user("alice"), 0))
                .expectError(HistoryBusyException.class).verify(TIMEOUT);
        assertThat(block(rawDocument(picture.seq()))).doesNotContainKey("recalled");
        assertThat(files.holds.get("pic-busy")).as("nothing changed: its hold is gone").isEmpty();
    }

    @Test
    void aRecallsUpdateMayApplyOnlyForHalfTheAgeAtWhichTheSweepSettlesItsHold() {
        HistoryProperties props = HistoryProperties.defaults();
        java.util.List<Instant> deadlines = new java.util.concurrent.CopyOnWriteArrayList<>();
        MessageRepository recording = new MessageRepository(MONGO.template(), props.mongoTimeout()) {
            @Override
            Mono<StoredMessage> markRecalled(String conv, long seq, String by, long notBefore, Instant appliesBefore,
                                                 boolean withoutMedia) {
                deadlines.add(appliesBefore);
                return super.markRecalled(conv, seq, by, notBefore, appliesBefore, withoutMedia);
            }
        };
        MessageService recalling = new MessageService(recording, props, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
        StoredMessage stored = block(recalling.store(text("alice", "c1", "secret")));

        Instant before = Instant.now();
        assertThat(block(recalling.recall(conv, stored.seq(), user("alice"), 0)).target().recalled()).isTrue();
        Instant after = Instant.now();

        // real time (not the service's stamping clock), and well inside the sweep's age for holds
        assertThat(deadlines).hasSize(1);
        assertThat(deadlines.get(0)).isBetween(before.plus(props.recallApplyWindow()), after.plus(props.recallApplyWindow()));
        assertThat(props.recallApplyWindow().multipliedBy(2)).isLessThanOrEqualTo(props.recallHoldAge());
        assertThat(props.recallHoldAge()).isEqualTo(Duration.ofMinutes(2)); // 12 x 3 s + 5 s is less than the minimum
        HistoryProperties slow = new HistoryProperties(props.chatBaseUrl(), props.chatTimeout(), Duration.ofSeconds(30),
                Duration.ofSeconds(10), 200, 50, 100, 4000, 200, 32, 10_000, 1000, 64);
        assertThat(slow.recallHoldAge()).isEqualTo(Duration.ofSeconds(370));
        assertThat(slow.recallApplyWindow()).isEqualTo(Duration.ofSeconds(185));
    }

    @Test
    void refusesARecallNoticeSentAsAMessage() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> NewMessage.of(conv, "alice", null, null, "c1",
                        NewMessage.RECALL, "1", 4000))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessage("kind must be text, image or audio");
    }

    @Test
    void rejectsAndLeavesMessage_whenAnotherUserRecalls() {
        StoredMessage stored = block(service.store(text("alice", "c1", "mine")));

        StepVerifier.create(service.recall(conv, stored.seq(), user("mallory"), NOW - 60_000))
                .expectError(NotYourMessageException.class)
                .verify(TIMEOUT);
        assertThat(block(rawDocument(stored.seq()))).containsEntry("body", "mine").doesNotContainKey("recalled");
    }

    @Test
    void rejectsAndLeavesMessage_whenWindowHasPassed() {
        StoredMessage stored = block(service.store(text("alice", "c1", "old")));

        StepVerifier.create(service.recall(conv, stored.seq(), user("alice"), NOW + 1))
                .expectError(RecallWindowPassedException.class)
                .verify(TIMEOUT);
        assertThat(block(rawDocument(stored.seq()))).containsEntry("body", "old").doesNotContainKey("recalled");
    }

    @Test
    void rejects_whenNoSuchMessage() {
        block(service.store(text("alice", "c1", "only")));

        StepVerifier.create(service.recall(conv, 2, user("alice"), 0))
                .expectError(MessageNotFoundException.class)
                .verify(TIMEOUT);
        StepVerifier.create(service.recall(conv + "x", 1, user("alice"), 0))
                .expectError(MessageNotFoundException.class)
                .verify(TIMEOUT);
    }

    @Test
    void returnsRecalledOriginal_whenSameClientMessageResentAfterRecall() {
        StoredMessage stored = block(service.store(text("alice", "c1", "oops")));
        block(service.store(text("bob", "c1", "other")));
        block(service.recall(conv, stored.seq(), user("alice"), NOW));

        StepVerifier.create(service.store(text("alice", "c1", "oops")))
                .assertNext(again -> {
                    assertThat(again.duplicate()).isTrue();
                    assertThat(again.recalled()).isTrue();
                    assertThat(again.body()).isNull();
                    assertThat(again.seq()).isEqualTo(stored.seq());
                    assertThat(again.id()).isEqualTo(stored.id());
                })
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(MONGO.template().count(Query.query(Criteria.where("conv").is(conv)), MessageRepository.COLLECTION))
                .expectNext(3L) // two messages and the recall notice
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void returnsNewestMessage_orEmptyForEmptyConversation() {
        block(service.store(text("alice", "c1", "first")));
        block(service.store(text("bob", "c2", "second")));
        StoredMessage last = block(service.store(text("alice", "c3", "third")));

        StepVerifier.create(service.newest(conv))
                .assertNext(m -> {
                    assertThat(m.seq()).isEqualTo(3);
                    assertThat(m.id()).isEqualTo(last.id());
                    assertThat(m.body()).isEqualTo("third");
                    assertThat(m.recalled()).isFalse();
                })
                .expectComplete()
                .verify(TIMEOUT);
        StepVerifier.create(service.newest(conv + "empty"))
                .expectComplete()
                .verify(TIMEOUT);
    }

    private static io.wxim.protocol.UserRef user(String id) {
        return new io.wxim.protocol.UserRef(id, null, null);
    }

    private NewMessage picture(String cmid, String mediaId) {
        return NewMessage.of(conv, "alice", null, null, cmid, "image", null, mediaId, null, 4000);
    }

    private NewMessage text(String from, String cmid, String body) {
        return NewMessage.of(conv, from, null, null, cmid, "text", body, 4000);
    }

    private Mono<Document> rawDocument(long seq) {
        return MONGO.template().findOne(Query.query(Criteria.where("conv").is(conv).and("seq").is(seq)), Document.class,
                MessageRepository.COLLECTION);
    }

    private static <T> T block(Mono<T> mono) {
        T value = mono.block(TIMEOUT);
        assertThat(value).isNotNull();
        return value;
    }
}
