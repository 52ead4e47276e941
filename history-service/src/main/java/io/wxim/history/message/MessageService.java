package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
import io.wxim.history.config.HistoryProperties;
import io.wxim.protocol.UserRef;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Stores messages and assigns each conversation's {@code seq}: 1, 2, 3, ... with no gap and no reuse, also with
 * several replicas and crashes. The database decides, never a counter:
 * <ol>
 *   <li>Within this instance, stores of one conversation run one batch at a time ({@link ConversationBatcher}):
 *       what arrives while a batch is stored becomes the next batch. So the cached last seq is the truth for this
 *       instance and the normal path is a single {@code insertMany} of the batch with consecutive seqs.</li>
 *   <li>Insert first: the unique {@code (conv, seq)} index rejects an insert if another replica took that seq, and
 *       the unique {@code (conv, from.id, cmid)} index rejects a message stored before (a retry).</li>
 *   <li>If a batch insert is rejected (partly), each of its messages goes the single path: insert with
 *       {@code seq = last + 1}; on a conflict read the original by cmid: if it is there, it is answered (marked
 *       {@code duplicate=true} unless it carries the id this store chose, i.e. this store wrote it); if not, another
 *       replica took the seq: re-read the last seq and try again (bounded, with a tiny jitter, then
 *       {@link HistoryBusyException}).</li>
 * </ol>
 * A seq exists only as the key of a stored document, so a failed insert leaves no gap, and a crash between steps
 * leaves nothing behind.
 */
public class MessageService {
    private static final Logger log = LoggerFactory.getLogger(MessageService.class);
    /** How long after its recall window a retried recall still stores a missing recall notice. */
    static final Duration NOTICE_RETRY_GRACE = Duration.ofMinutes(10);
    /**
     * After this, a media claim whose message was never stored counts as given up (a store failed and was not
     * retried): well past a store's timeouts and a client's retries of it.
     */
    static final Duration CLAIM_GRACE = Duration.ofMinutes(10);
    /**
     * A file claimed by more messages than this is not checked claim by claim (they are not all read): once no message
     * that is not recalled shows it, it is released when every claim is older than {@link #CLAIM_GRACE}.
     */
    static final int MAX_CLAIMS_CHECKED = 1000;

    private final MessageRepository repository;
    private final ConversationBatcher<NewMessage, StoredMessage> batcher;
    private final LastSeqCache lastSeqs;
    private final int maxAttempts;
    private final Duration storeTimeout;
    private final Duration recallApplyWindow;
    private final Clock clock;
    private final AtomicLong seqConflicts = new AtomicLong();
    private final MediaClaims media;

    public MessageService(MessageRepository repository, HistoryProperties props, MediaClaims media) {
        this(repository, props, Clock.systemUTC(), media);
    }

    /** For text-only tests: any media message is refused as unknown media. */
    public MessageService(MessageRepository repository, HistoryProperties props) {
        this(repository, props, Clock.systemUTC(), MediaClaims.NONE);
    }

    MessageService(MessageRepository repository, HistoryProperties props, Clock clock) {
        this(repository, props, clock, MediaClaims.NONE);
    }

    MessageService(MessageRepository repository, HistoryProperties props, Clock clock, MediaClaims media) {
        this.media = media;
        this.repository = repository;
        this.batcher = new ConversationBatcher<>(this::storeBatch, props.maxPendingPerConversation(),
                props.storeBatchSize(), props.storeTimeout());
        this.lastSeqs = new LastSeqCache(props.seqCacheSize());
        this.maxAttempts = props.maxInsertAttempts();
        this.storeTimeout = props.storeTimeout();
        this.recallApplyWindow = props.recallApplyWindow();
        this.clock = clock;
    }

    /**
     * Stores {@code message} (or finds its original) and answers with its seq, id and ts. The whole store is bounded
     * by {@code storeTimeout}: on expiry the caller gets {@link StoreUnavailableException} and the batch it was in
     * frees the conversation's lane by the same bound. Whether an insert in flight at that moment landed or not, the
     * caller's retry with the same cmid gets the right answer.
     */
    public Mono<StoredMessage> store(NewMessage message) {
        return batcher.submit(message.conv(), message)
                .timeout(storeTimeout, Mono.error(() -> {
                    lastSeqs.evict(message.conv());
                    return new StoreUnavailableException("store timed out", null);
                }));
    }

    /** The newest seq of a conversation, read from the database (0 when empty). */
    public Mono<Long> lastSeq(String conv) {
        return repository.lastSeq(conv);
    }

    public Mono<MessagePage> page(String conv, PageQuery query) {
        return repository.page(conv, query);
    }

    /** The newest message of a conversation, or empty when it has none. */
    public Mono<StoredMessage> newest(String conv) {
        return repository.newest(conv);
    }

    /**
     * Recalls message {@code seq} of {@code conv} for its sender {@code by} if it is not older than {@code notBefore}
     * (epoch ms), then stores the recall notice (kind {@code recall}, the next seq). The recall is one conditional
     * update; only if it matched nothing, one read tells why: no such message ({@link MessageNotFoundException}),
     * another sender ({@link NotYourMessageException}), a recall notice ({@link NotRecallableException}), already
     * recalled by {@code by} (answered as recalled, so a retry succeeds even past the window, and stores the notice if
     * a crash or timeout left it unstored) or too old ({@link RecallWindowPassedException}). The notice's cmid names
     * the target, so however often a recall is retried, one notice is stored. A retry more than
     * {@link #NOTICE_RETRY_GRACE} after the window stores none (the answer has {@code notice = null}): a message
     * recalled before notices existed must not get one at the head of its conversation whenever a client asks again.
     */
    public Mono<Recall> recall(String conv, long seq, UserRef by, long notBefore) {
        return Mono.defer(() -> recall(conv, seq, by, notBefore, Instant.now().plus(recallApplyWindow)));
    }

    /**
     * {@link #recall}; its update applies only before {@code appliesBefore} by MongoDB's clock (see the sweep). A file
     * message is never recalled before its file is held: if the hold's read found no file (a text message, or one not
     * stored yet), the update recalls only a message without one, and a file message stored meanwhile is held first
     * ({@link #explainNoRecall}).
     */
    private Mono<Recall> recall(String conv, long seq, UserRef by, long notBefore, Instant appliesBefore) {
        return holdMedia(conv, seq, by.id()).flatMap(held -> repository.markRecalled(conv, seq, by.id(), notBefore,
                        appliesBefore, held.mediaId() == null)
                .map(target -> new Recalled(target, held))
                .doOnNext(m -> log.debug("recalled conversationId={} seq={} userId={}", conv, seq, by.id()))
                .switchIfEmpty(Mono.defer(() -> explainNoRecall(conv, seq, by.id(), notBefore, appliesBefore, held)))
                .flatMap(done -> (done.target().ts() < notBefore - NOTICE_RETRY_GRACE.toMillis()
                        ? Mono.just(new Recall(done.target(), null))
                        : store(NewMessage.recallNotice(conv, by, seq)).map(notice -> new Recall(done.target(), notice)))
                        .flatMap(recall -> releaseMedia(done.held()).thenReturn(recall)))
                .onErrorResume(MessageService::isRefusal, refused -> unhold(held).then(Mono.error(refused))));
    }

    /** The recalled message and the hold on its file to settle. */
    private record Recalled(StoredMessage target, Held held) {
    }

    /**
     * A file held for a release decision by a recall ({@link MediaClaims#hold}): the file's id, or null if the hold's
     * read found none (a text message, or one not stored yet), and the mark, or null if it was not held (gone).
     */
    private record Held(String mediaId, ObjectId mark) {
        static final Held NONE = new Held(null, null);
    }

    /**
     * Before the recall changes anything: holds the file of the caller's message {@code (conv, seq)}, if it shows
     * one that is still stored, so that a release that fails or cannot be decided after the recall is looked at again
     * by the orphan sweep. If holding fails, so does the recall (nothing changed; the caller retries).
     */
    private Mono<Held> holdMedia(String conv, long seq, String by) {
        return repository.mediaIdOf(conv, seq, by)
                .flatMap(mediaId -> media.hold(mediaId).map(mark -> new Held(mediaId, mark)).defaultIfEmpty(new Held(mediaId, null)))
                .defaultIfEmpty(Held.NONE);
    }

    /** A recall refused (nothing changed): its hold is removed at once. */
    private static boolean isRefusal(Throwable e) {
        return e instanceof RecallWindowPassedException || e instanceof NotRecallableException
                || e instanceof NotYourMessageException || e instanceof MessageNotFoundException;
    }

    /** Removes the recall's own mark; a failure leaves it to the orphan sweep (which settles it like any other). */
    private Mono<Void> unhold(Held held) {
        return held.mark() == null ? Mono.empty() : media.unhold(held.mediaId(), List.of(held.mark()))
                .onErrorResume(e -> {
                    log.warn("hold of a recalled message's media not removed, the orphan sweep will: mediaId={} error={}",
                            held.mediaId(), e.toString());
                    return Mono.empty();
                });
    }

    /**
     * Deletes the file of a recalled image or audio message unless another message that is not recalled shows it
     * (the same upload may be sent several times), or a message that claimed it is not stored (its store may still be
     * in flight), unless every claim is older than {@link #CLAIM_GRACE} (that store was given up). Once that is
     * decided the hold goes; while it is not (or if this fails, which is logged and does not fail the recall) the hold
     * stays and the orphan sweep decides later.
     */
    private Mono<Void> releaseMedia(Held held) {
        if (held.mark() == null) {
            return Mono.empty();
        }
        return releaseIfUnshown(held.mediaId())
                .flatMap(decided -> decided ? unhold(held) : Mono.<Void>empty())
                .onErrorResume(e -> {
                    log.warn("media of a recalled message not released yet, the orphan sweep looks again: mediaId={} error={}",
                            held.mediaId(), e.toString());
                    return Mono.empty();
                })
                .then();
    }

    /**
     * Releases file {@code mediaId} if no message that is not recalled shows it and every claim is settled
     * ({@link #settled}). Emits true when that is decided: released, shown (kept) or gone; false while a recent
     * claim's message is not stored (for a file claimed by more than {@link #MAX_CLAIMS_CHECKED} messages: while any
     * claim is recent), or when a claim came since the claims were read (to look again later: the orphan sweep does,
     * for files a recall held with {@link MediaClaims#hold}).
     */
    public Mono<Boolean> releaseIfUnshown(String mediaId) {
        return repository.mediaShown(mediaId).flatMap(shown -> shown ? Mono.just(true) : media.claimsOf(mediaId)
                .flatMap(claims -> (claims.keys().size() > MAX_CLAIMS_CHECKED ? Mono.just(givenUp(claims))
                        : repository.showing(mediaId, MAX_CLAIMS_CHECKED + 1).map(messages -> settled(claims, messages)))
                        .flatMap(settled -> settled ? media.release(mediaId, claims).doOnNext(released -> log.debug(
                                "media no message shows: mediaId={} released={}", mediaId, released)) : Mono.just(false)))
                .defaultIfEmpty(true));
    }

    /** Whether every claim is older than {@link #CLAIM_GRACE}: a claim whose message is not stored by now never will be. */
    private boolean givenUp(MediaClaims.Claims claims) {
        return clock.millis() - claims.lastClaimAt() > CLAIM_GRACE.toMillis();
    }

    /**
     * Whether each claim's message is stored and recalled ({@code recalledByKey}: the messages showing the file), or,
     * for one not stored, every claim is older than {@link #CLAIM_GRACE}.
     */
    private boolean settled(MediaClaims.Claims claims, Map<String, Boolean> recalledByKey) {
        boolean givenUpIfUnstored = givenUp(claims);
        for (String key : claims.keys()) {
            Boolean recalled = recalledByKey.get(key);
            if (recalled == null ? !givenUpIfUnstored : !recalled) {
                return false;
            }
        }
        return true;
    }

    /**
     * Why the update matched nothing, or the recall after all: a message recalled already (a retry) answers as
     * recalled; one stored between the hold's read and the update is recallable now, and if it shows a file, the file
     * is held first (the update only recalled a message without one). A file message recalled already whose file the
     * hold's read did not find is held now, to be released like any other.
     */
    private Mono<Recalled> explainNoRecall(String conv, long seq, String by, long notBefore, Instant appliesBefore,
                                          Held held) {
        return repository.findBySeq(conv, seq)
                .switchIfEmpty(Mono.error(MessageNotFoundException::new))
                .flatMap(m -> {
                    if (!m.from().id().equals(by)) {
                        log.debug("recall denied conversationId={} seq={} userId={}", conv, seq, by);
                        return Mono.error(new NotYourMessageException());
                    }
                    if (NewMessage.RECALL.equals(m.kind())) {
                        return Mono.error(new NotRecallableException());
                    }
                    boolean unheldFile = held.mediaId() == null
                            && (NewMessage.IMAGE.equals(m.kind()) || NewMessage.AUDIO.equals(m.kind()));
                    Mono<Held> hold = unheldFile ? holdMedia(conv, seq, by) : Mono.just(held);
                    if (m.recalled()) {
                        return hold.map(h -> new Recalled(m, h));
                    }
                    if (m.ts() < notBefore) {
                        log.debug("recall too late conversationId={} seq={} userId={}", conv, seq, by);
                        return Mono.error(new RecallWindowPassedException());
                    }
                    // Stored between the hold's read and the update: recallable now, once its file (if any) is held.
                    return hold.flatMap(h -> repository.markRecalled(conv, seq, by, notBefore, appliesBefore, false)
                            .map(target -> new Recalled(target, h))
                            .switchIfEmpty(Mono.defer(() -> {
                                // the message is recallable, so only the store's clock check refused it
                                log.warn("recall update refused by the store's clock ($$NOW past this instance's time "
                                        + "plus {}): are this instance's and MongoDB's clocks apart? conversationId={} seq={}",
                                        recallApplyWindow, conv, seq);
                                // nothing changed: the file needs no hold
                                return unhold(h).then(Mono.error(new HistoryBusyException("conversation is busy, retry")));
                            })));
                });
    }

    /** How often another replica took the seq this instance tried (each costs a re-read and a retry). */
    public long seqConflicts() {
        return seqConflicts.get();
    }

    /** A message and, for image and audio, what it keeps of its file; {@code id} is chosen once per store. */
    private record Claimed(NewMessage message, ServerFrame.Media media, String id) {
        StoredMessage at(long seq, long ts) {
            return new StoredMessage(message.conv(), seq, id, message.from(), message.cmid(), message.kind(),
                    message.body(), ts, false, false, media);
        }

        String clientKey() {
            return message.from().id() + "\n" + message.cmid();
        }
    }

    /**
     * One batch of a conversation: media claims per message (a refused claim fails that message only), then one
     * {@code insertMany} of the messages with distinct client ids; a second message with the same client id as an
     * earlier one in the batch goes the single path after it (and finds it).
     */
    private Mono<List<ConversationBatcher.Outcome<StoredMessage>>> storeBatch(String conv, List<NewMessage> messages) {
        return Flux.fromIterable(messages)
                .concatMap(m -> claim(m).map(c -> (Object) c).onErrorResume(e -> originalOfRefused(m, e)))
                .collectList()
                .flatMap(claims -> {
                    List<Claimed> fresh = new ArrayList<>();
                    Set<String> clientKeys = new HashSet<>();
                    for (Object c : claims) {
                        if (c instanceof Claimed claimed && clientKeys.add(claimed.clientKey())) {
                            fresh.add(claimed);
                        }
                    }
                    return insertAll(conv, fresh).flatMap(stored -> Flux.fromIterable(claims)
                            .concatMap(c -> {
                                if (c instanceof Throwable error) {
                                    return Mono.just(ConversationBatcher.Outcome.<StoredMessage>failed(error));
                                }
                                if (c instanceof StoredMessage original) {
                                    return Mono.just(ConversationBatcher.Outcome.of(original));
                                }
                                Claimed claimed = (Claimed) c;
                                StoredMessage done = stored.get(claimed.id());
                                Mono<StoredMessage> answer = done != null ? Mono.just(done) : insert(claimed, 1);
                                return answer.map(ConversationBatcher.Outcome::of)
                                        .onErrorResume(e -> Mono.just(ConversationBatcher.Outcome.failed(e)));
                            })
                            .collectList());
                });
    }

    /**
     * Stores {@code fresh} (distinct client ids) in one insert with consecutive seqs and answers them by id. Answers
     * nothing for a single message, or when the database refuses the batch (a seq taken by another replica, a retried
     * message): those go the single path one by one, which tells the cases apart. Other failures (timeouts, store
     * down) fail the batch.
     */
    private Mono<Map<String, StoredMessage>> insertAll(String conv, List<Claimed> fresh) {
        if (fresh.size() < 2) {
            return Mono.just(Map.of());
        }
        return knownLastSeq(conv, false)
                .flatMap(last -> {
                    long ts = clock.millis();
                    List<StoredMessage> batch = new ArrayList<>(fresh.size());
                    for (int i = 0; i < fresh.size(); i++) {
                        batch.add(fresh.get(i).at(last + 1 + i, ts));
                    }
                    return repository.insertAll(batch).map(done -> {
                        lastSeqs.put(conv, last + batch.size());
                        log.debug("stored conversationId={} seqs={}..{}", conv, last + 1, last + batch.size());
                        Map<String, StoredMessage> byId = new HashMap<>();
                        done.forEach(m -> byId.put(m.id(), m));
                        return byId;
                    });
                })
                .onErrorResume(DataIntegrityViolationException.class, refused -> {
                    lastSeqs.evict(conv);
                    log.debug("batch refused, storing one by one conversationId={} size={}", conv, fresh.size());
                    return Mono.just(Map.of());
                })
                .doOnError(e -> lastSeqs.evict(conv));
    }

    /**
     * A media claim refused as unknown media may be the retry of a message stored before whose file was deleted when
     * it was recalled: then the original answers (as a duplicate), as for any retry; else the refusal stands.
     */
    private Mono<Object> originalOfRefused(NewMessage m, Throwable refusal) {
        if (!(refusal instanceof MediaNotFoundException)) {
            return Mono.just(refusal);
        }
        return repository.findByClientId(m.conv(), m.from().id(), m.cmid())
                .map(original -> (Object) original.asDuplicate())
                .defaultIfEmpty(refusal)
                .onErrorResume(e -> Mono.just(refusal));
    }

    private Mono<Claimed> claim(NewMessage m) {
        String id = new ObjectId().toHexString();
        if (m.mediaId() == null) {
            return Mono.just(new Claimed(m, null, id));
        }
        return media.claim(m).map(file -> new Claimed(m, file, id));
    }

    /** The single path: insert first; on a conflict the original by cmid decides (see the class comment). */
    private Mono<StoredMessage> insert(Claimed claimed, int attempt) {
        NewMessage m = claimed.message();
        return knownLastSeq(m.conv(), attempt > 1)
                .flatMap(last -> repository.insert(claimed.at(last + 1, clock.millis())))
                .doOnNext(stored -> {
                    lastSeqs.put(stored.conv(), stored.seq());
                    log.debug("stored conversationId={} seq={} clientMsgId={} attempt={}", stored.conv(), stored.seq(),
                            stored.cmid(), attempt);
                })
                .onErrorResume(DuplicateKeyException.class, conflict -> {
                    lastSeqs.evict(m.conv());
                    return repository.findByClientId(m.conv(), m.from().id(), m.cmid())
                            .map(original -> {
                                if (original.id().equals(claimed.id())) {
                                    return original; // this store wrote it (an earlier attempt or the batch)
                                }
                                log.debug("duplicate store conversationId={} seq={} clientMsgId={}", m.conv(),
                                        original.seq(), m.cmid());
                                return original.asDuplicate();
                            })
                            .switchIfEmpty(Mono.defer(() -> retry(claimed, attempt)));
                })
                .doOnError(e -> !(e instanceof HistoryBusyException), e -> lastSeqs.evict(m.conv()));
    }

    private Mono<StoredMessage> retry(Claimed claimed, int attempt) {
        NewMessage m = claimed.message();
        if (attempt >= maxAttempts) {
            log.warn("seq contention, giving up conversationId={} clientMsgId={} attempts={}", m.conv(), m.cmid(), attempt);
            return Mono.error(new HistoryBusyException("conversation is busy, retry"));
        }
        seqConflicts.incrementAndGet();
        log.debug("seq conflict conversationId={} clientMsgId={} attempt={}", m.conv(), m.cmid(), attempt);
        long jitterMicros = ThreadLocalRandom.current().nextLong(100, 200L * Math.min(attempt, 10) + 101);
        return Mono.delay(Duration.ofNanos(jitterMicros * 1000)).then(Mono.defer(() -> insert(claimed, attempt + 1)));
    }

    private Mono<Long> knownLastSeq(String conv, boolean refresh) {
        if (!refresh) {
            var cached = lastSeqs.get(conv);
            if (cached.isPresent()) {
                return Mono.just(cached.getAsLong());
            }
        }
        return repository.lastSeq(conv);
    }
}
