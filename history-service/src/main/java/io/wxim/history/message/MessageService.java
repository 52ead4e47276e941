package io.wxim.history.message;

import io.wxim.protocol.ServerFrame;
import io.wxim.history.config.HistoryProperties;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import reactor.core.publisher.Mono;

/**
 * Stores messages and assigns each conversation's {@code seq}: 1, 2, 3, ... with no gap and no reuse, also with
 * several replicas and crashes. The database decides, never a counter:
 * <ol>
 *   <li>Within this instance, stores of one conversation run one at a time ({@link ConversationSerializer}), so the
 *       cached last seq is the truth for this instance and the normal path is a single insert.</li>
 *   <li>Idempotency first: if {@code (conv, from.id, cmid)} is already stored, the original is returned with
 *       {@code duplicate=true} and nothing is written.</li>
 *   <li>Insert with {@code seq = last + 1}. The unique {@code (conv, seq)} index rejects the insert if another
 *       replica took that seq: then re-read the last seq from the database and try again (bounded, with a tiny
 *       jitter, then {@link HistoryBusyException}). If the insert failed on the {@code (conv, from.id, cmid)} index
 *       instead, another replica stored the same message: its original is returned as a duplicate.</li>
 * </ol>
 * A seq exists only as the key of a stored document, so a failed insert leaves no gap, and a crash between steps
 * leaves nothing behind.
 */
public class MessageService {
    private static final Logger log = LoggerFactory.getLogger(MessageService.class);

    private final MessageRepository repository;
    private final ConversationSerializer serializer;
    private final LastSeqCache lastSeqs;
    private final int maxAttempts;
    private final Duration storeTimeout;
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
        this.serializer = new ConversationSerializer(props.maxPendingPerConversation());
        this.lastSeqs = new LastSeqCache(props.seqCacheSize());
        this.maxAttempts = props.maxInsertAttempts();
        this.storeTimeout = props.storeTimeout();
        this.clock = clock;
    }

    /**
     * Stores {@code message} (or finds its original) and answers with its seq, id and ts. The whole store is bounded
     * by {@code storeTimeout}: on expiry the work is cancelled, which frees the conversation's lane. Whether an insert
     * in flight at that moment landed or not, the caller's retry with the same cmid gets the right answer.
     */
    public Mono<StoredMessage> store(NewMessage message) {
        return serializer.run(message.conv(), () -> findOriginal(message)
                        .switchIfEmpty(Mono.defer(() -> claim(message).flatMap(m -> insert(m, 1)))))
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
     * (epoch ms): one conditional update. Only if it matched nothing, one read tells why: no such message
     * ({@link MessageNotFoundException}), another sender ({@link NotYourMessageException}), already recalled by
     * {@code by} (answered as recalled, so a retry succeeds even past the window) or too old
     * ({@link RecallWindowPassedException}). Not serialized with stores: the update is atomic on its own.
     */
    public Mono<StoredMessage> recall(String conv, long seq, String by, long notBefore) {
        return repository.markRecalled(conv, seq, by, notBefore)
                .doOnNext(m -> log.debug("recalled conversationId={} seq={} userId={}", conv, seq, by))
                .switchIfEmpty(Mono.defer(() -> explainNoRecall(conv, seq, by, notBefore)));
    }

    private Mono<StoredMessage> explainNoRecall(String conv, long seq, String by, long notBefore) {
        return repository.findBySeq(conv, seq)
                .switchIfEmpty(Mono.error(MessageNotFoundException::new))
                .flatMap(m -> {
                    if (!m.from().id().equals(by)) {
                        log.debug("recall denied conversationId={} seq={} userId={}", conv, seq, by);
                        return Mono.error(new NotYourMessageException());
                    }
                    if (m.recalled()) {
                        return Mono.just(m);
                    }
                    if (m.ts() < notBefore) {
                        log.debug("recall too late conversationId={} seq={} userId={}", conv, seq, by);
                        return Mono.error(new RecallWindowPassedException());
                    }
                    // Stored between the update and this read: it is recallable now, so the same update matches.
                    return repository.markRecalled(conv, seq, by, notBefore)
                            .switchIfEmpty(Mono.error(() -> new HistoryBusyException("conversation is busy, retry")));
                });
    }

    /** How often another replica took the seq this instance tried (each costs a re-read and a retry). */
    public long seqConflicts() {
        return seqConflicts.get();
    }

    private Mono<StoredMessage> findOriginal(NewMessage m) {
        return repository.findByClientId(m.conv(), m.from().id(), m.cmid())
                .map(original -> {
                    log.debug("duplicate store conversationId={} seq={} clientMsgId={}", m.conv(), original.seq(), m.cmid());
                    return original.asDuplicate();
                });
    }

    /** A message and, for image and audio, what it keeps of its file (checked and claimed for the conversation). */
    private record Claimed(NewMessage message, ServerFrame.Media media) {
    }

    private Mono<Claimed> claim(NewMessage m) {
        if (m.mediaId() == null) {
            return Mono.just(new Claimed(m, null));
        }
        return media.claim(m).map(file -> new Claimed(m, file));
    }

    private Mono<StoredMessage> insert(Claimed claimed, int attempt) {
        NewMessage m = claimed.message();
        return knownLastSeq(m.conv(), attempt > 1)
                .flatMap(last -> {
                    StoredMessage candidate = new StoredMessage(m.conv(), last + 1, new ObjectId().toHexString(),
                            m.from(), m.cmid(), m.kind(), m.body(), clock.millis(), false, false, claimed.media());
                    return repository.insert(candidate);
                })
                .doOnNext(stored -> {
                    lastSeqs.put(stored.conv(), stored.seq());
                    log.debug("stored conversationId={} seq={} clientMsgId={} attempt={}", stored.conv(), stored.seq(),
                            stored.cmid(), attempt);
                })
                .onErrorResume(DuplicateKeyException.class, conflict -> {
                    lastSeqs.evict(m.conv());
                    return findOriginal(m).switchIfEmpty(Mono.defer(() -> retry(claimed, attempt)));
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
