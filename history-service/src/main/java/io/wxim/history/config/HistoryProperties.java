package io.wxim.history.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * All settings of history-service ({@code im.history.*}).
 *
 * @param chatBaseUrl where chat-service answers membership questions ({@code /internal/conversations/{conv}/members/{user}}).
 * @param chatTimeout limit for one membership call; 2s keeps a history request well under a client's patience.
 * @param mongoTimeout limit for every MongoDB call; 3s is far above a healthy round trip, so hitting it means trouble (503).
 * @param storeTimeout limit for one whole store, including waiting behind earlier stores of the same conversation;
 *                     guarantees an answer (503) and frees the conversation's lane whatever happens below.
 * @param maxPageSize the largest page any history/sync request may ask for (larger limits are capped); bounds memory per request.
 * @param historyPageSize page size of {@code GET /api/history} when no limit is given (a screenful and a half).
 * @param syncPageSize page size of the internal sync endpoint when no limit is given.
 * @param maxBodyLength longest message body, in characters (code points).
 * @param maxLastSeqConversations most conversations in one {@code POST /internal/last-seqs}.
 * @param maxInsertAttempts insert attempts per message when other replicas keep taking the next seq; then 503 busy.
 * @param seqCacheSize conversations whose last seq is remembered in memory (LRU); a miss costs one indexed read.
 * @param maxPendingPerConversation stores waiting for one conversation in this instance; beyond it 503 busy (a flood guard).
 * @param storeBatchSize most messages of one conversation stored with one insert: what arrived while the previous
 *                       batch was written (a busy room costs one database round per batch, not per message).
 */
@Validated
@ConfigurationProperties("im.history")
public record HistoryProperties(
        @DefaultValue("http://localhost:8083") @NotNull URI chatBaseUrl,
        @DefaultValue("2s") @NotNull Duration chatTimeout,
        @DefaultValue("3s") @NotNull Duration mongoTimeout,
        @DefaultValue("5s") @NotNull Duration storeTimeout,
        @DefaultValue("200") @Min(1) @Max(1000) int maxPageSize,
        @DefaultValue("50") @Min(1) int historyPageSize,
        @DefaultValue("100") @Min(1) int syncPageSize,
        @DefaultValue("4000") @Min(1) int maxBodyLength,
        @DefaultValue("200") @Min(1) int maxLastSeqConversations,
        @DefaultValue("32") @Min(1) int maxInsertAttempts,
        @DefaultValue("10000") @Min(1) int seqCacheSize,
        @DefaultValue("1000") @Min(1) int maxPendingPerConversation,
        @DefaultValue("64") @Min(1) @Max(1000) int storeBatchSize) {

    /** The orphan sweep leaves a recall's hold on a file alone for at least this long. */
    private static final Duration MIN_RECALL_HOLD_AGE = Duration.ofMinutes(2);

    /**
     * How old a recall's hold on a file must be before the orphan sweep settles it: well past a recall's longest run
     * (about ten MongoDB calls and one store, each bounded by its timeout), and at least two minutes.
     */
    public Duration recallHoldAge() {
        Duration run = mongoTimeout.multipliedBy(12).plus(storeTimeout);
        return run.compareTo(MIN_RECALL_HOLD_AGE) > 0 ? run : MIN_RECALL_HOLD_AGE;
    }

    /**
     * How long after a recall starts MongoDB may still apply its update ({@code $$NOW} checked by the server): half
     * of {@link #recallHoldAge()}, so an update that arrives late (the client gave up long before) never recalls a
     * message after the sweep has settled its hold and kept the file; the other half is a margin for the clocks.
     */
    public Duration recallApplyWindow() {
        return recallHoldAge().dividedBy(2);
    }

    /** The defaults, for code and tests that run without Spring. */
    public static HistoryProperties defaults() {
        return new HistoryProperties(URI.create("http://localhost:8083"), Duration.ofSeconds(2), Duration.ofSeconds(3),
                Duration.ofSeconds(5), 200, 50, 100, 4000, 200, 32, 10_000, 1000, 64);
    }
}
