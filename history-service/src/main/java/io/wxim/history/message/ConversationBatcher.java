package io.wxim.history.message;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs the work of one key (a conversation) one batch at a time, in arrival order, without blocking a thread and
 * without a global lock. Items that arrive while a batch of their key runs wait in the key's lane; when the batch
 * ends, everything waiting (up to {@code maxBatch}) becomes the next batch. Under load a hot conversation therefore
 * costs one database round per batch instead of one per message, and an idle one still runs each item at once.
 *
 * <p>Guarantees: two batches of the same key never run concurrently in this instance; batches of different keys are
 * independent; an item keeps its arrival order within and across batches. At most {@code maxPending} items wait per
 * key; more fail with {@link HistoryBusyException}. A waiting item whose subscriber cancelled is left out; one
 * cancelled while its batch runs just has its outcome dropped. A batch that does not end within {@code batchTimeout}
 * fails all its items with {@link StoreUnavailableException} and frees the lane. It does nothing across instances:
 * that is the unique index's job.
 */
public final class ConversationBatcher<I, O> {

    /** What a batch answers for one of its items: a value or an error, in the order of the items. */
    public record Outcome<O>(O value, Throwable error) {
        public static <O> Outcome<O> of(O value) {
            return new Outcome<>(value, null);
        }

        public static <O> Outcome<O> failed(Throwable error) {
            return new Outcome<>(null, error);
        }
    }

    /** Processes one batch of a key: one outcome per item, in the same order. */
    @FunctionalInterface
    public interface Runner<I, O> {
        Mono<List<Outcome<O>>> run(String key, List<I> items);
    }

    private final ConcurrentHashMap<String, ArrayDeque<Entry<I, O>>> lanes = new ConcurrentHashMap<>();
    private final Runner<I, O> runner;
    private final int maxPending;
    private final int maxBatch;
    private final Duration batchTimeout;
    private final Scheduler handOff;

    public ConversationBatcher(Runner<I, O> runner, int maxPending, int maxBatch, Duration batchTimeout) {
        this(runner, maxPending, maxBatch, batchTimeout, Schedulers.parallel());
    }

    /**
     * @param handOff where the next batch of a key starts once the previous one ended; the hop keeps a long chain of
     *                batches that finish synchronously from growing the stack. Only non-blocking work runs there.
     */
    ConversationBatcher(Runner<I, O> runner, int maxPending, int maxBatch, Duration batchTimeout, Scheduler handOff) {
        if (maxPending < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("maxPending and maxBatch must be >= 1");
        }
        this.runner = runner;
        this.maxPending = maxPending;
        this.maxBatch = maxBatch;
        this.batchTimeout = batchTimeout;
        this.handOff = handOff;
    }

    /** Processes {@code item} in a batch of {@code key}, after every item of that key submitted before it. */
    public Mono<O> submit(String key, I item) {
        return Mono.create(sink -> {
            Entry<I, O> entry = new Entry<>(item, sink);
            sink.onCancel(() -> entry.cancelled = true);
            boolean[] admitted = {false};
            boolean[] start = {false};
            lanes.compute(key, (k, lane) -> {
                if (lane == null) {
                    lane = new ArrayDeque<>();
                    start[0] = true; // nobody runs this key: this caller starts the first batch
                }
                if (lane.size() < maxPending) {
                    lane.addLast(entry);
                    admitted[0] = true;
                }
                return lane;
            });
            if (!admitted[0]) {
                sink.error(new HistoryBusyException("too many pending messages for this conversation"));
                return;
            }
            if (start[0]) {
                runNext(key);
            }
        });
    }

    /** Keys that currently have a batch running or items waiting (for tests and metrics). */
    public int activeKeys() {
        return lanes.size();
    }

    /**
     * Takes the next batch of {@code key} and runs it. The lane stays in the map while a batch runs (the marker that
     * the key is busy), holding only the items that arrived since; it is removed when a batch ends with nothing
     * left to take.
     */
    private void runNext(String key) {
        List<Entry<I, O>> batch = new ArrayList<>();
        lanes.computeIfPresent(key, (k, lane) -> {
            while (batch.size() < maxBatch && !lane.isEmpty()) {
                Entry<I, O> next = lane.pollFirst();
                if (!next.cancelled) {
                    batch.add(next);
                }
            }
            return batch.isEmpty() ? null : lane;
        });
        if (batch.isEmpty()) {
            return; // nothing left (or only cancelled items): the lane is gone and the next item starts its own
        }
        List<I> items = new ArrayList<>(batch.size());
        batch.forEach(e -> items.add(e.item));
        Mono.defer(() -> runner.run(key, items))
                .defaultIfEmpty(List.of())
                .timeout(batchTimeout, Mono.error(() -> new StoreUnavailableException("store timed out",
                        new TimeoutException("batch of " + items.size() + " did not end within " + batchTimeout))))
                .subscribe(outcomes -> { // exactly one signal: defaultIfEmpty
                            boolean more = freeIfIdle(key);
                            complete(batch, outcomes);
                            startNextIf(more, key);
                        }, error -> {
                            boolean more = freeIfIdle(key);
                            batch.forEach(e -> e.sink.error(error));
                            startNextIf(more, key);
                        });
    }

    /**
     * Frees the key at once when nothing waits (so the next item runs at once); true if items wait. The batch's
     * answers go out before the next batch starts, so answers leave in seq order.
     */
    private boolean freeIfIdle(String key) {
        return lanes.computeIfPresent(key, (k, lane) -> lane.isEmpty() ? null : lane) != null;
    }

    private void startNextIf(boolean more, String key) {
        if (more) {
            handOff.schedule(() -> runNext(key));
        }
    }

    private void complete(List<Entry<I, O>> batch, List<Outcome<O>> outcomes) {
        if (outcomes.size() != batch.size()) {
            IllegalStateException wrong = new IllegalStateException(
                    "batch answered " + outcomes.size() + " outcomes for " + batch.size() + " items");
            batch.forEach(e -> e.sink.error(wrong));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Outcome<O> outcome = outcomes.get(i);
            MonoSink<O> sink = batch.get(i).sink;
            if (outcome.error() != null) {
                sink.error(outcome.error());
            } else if (outcome.value() == null) {
                sink.success();
            } else {
                sink.success(outcome.value());
            }
        }
    }

    private static final class Entry<I, O> {
        final I item;
        final MonoSink<O> sink;
        volatile boolean cancelled;

        Entry(I item, MonoSink<O> sink) {
            this.item = item;
            this.sink = sink;
        }
    }
}
