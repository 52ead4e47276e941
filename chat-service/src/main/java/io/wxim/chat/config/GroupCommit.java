package io.wxim.chat.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * Group commit: up to {@code maxInFlight} writes run at once; items submitted while they do wait and then go together
 * in the next write (at most {@code maxBatch}, in arrival order). A lightly loaded instance writes each item at once;
 * a busy one makes a few writes per round instead of one per item. Each submitter completes with its own item's
 * answer; a failed write (or one that answers a different number of items) fails every item it carried, and the next
 * round still comes. The writer must be bounded in time.
 *
 * @param <I> what is written
 * @param <O> the writer's answer for one item (one per item, in the items' order)
 */
public final class GroupCommit<I, O> {
    private record Pending<I, O>(I item, MonoSink<O> sink) {
    }

    private final Function<List<I>, Mono<List<O>>> writer;
    private final int maxBatch;
    private final int maxInFlight;
    private final Object lock = new Object();
    private List<Pending<I, O>> waiting = new ArrayList<>();
    private int inFlight;

    public GroupCommit(Function<List<I>, Mono<List<O>>> writer, int maxBatch, int maxInFlight) {
        if (maxBatch < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("maxBatch and maxInFlight must be >= 1");
        }
        this.writer = writer;
        this.maxBatch = maxBatch;
        this.maxInFlight = maxInFlight;
    }

    /** Writes {@code item} in the next write that has room; emits the writer's answer for it. */
    public Mono<O> submit(I item) {
        return Mono.create(sink -> {
            boolean start;
            synchronized (lock) {
                waiting.add(new Pending<>(item, sink));
                start = inFlight < maxInFlight;
                if (start) {
                    inFlight++;
                }
            }
            if (start) {
                writeNext();
            }
        });
    }

    /** Runs one write with what waits (keeping the slot), or gives the slot back when nothing waits. */
    private void writeNext() {
        List<Pending<I, O>> batch;
        synchronized (lock) {
            if (waiting.isEmpty()) {
                inFlight--;
                return;
            }
            if (waiting.size() <= maxBatch) {
                batch = waiting;
                waiting = new ArrayList<>();
            } else {
                batch = new ArrayList<>(waiting.subList(0, maxBatch));
                waiting.subList(0, maxBatch).clear();
            }
        }
        List<I> items = batch.stream().map(Pending::item).toList();
        Mono.defer(() -> writer.apply(items))
                .defaultIfEmpty(List.of())
                .subscribe(answers -> complete(batch, answers), error -> {
                    batch.forEach(p -> p.sink().error(error));
                    Schedulers.parallel().schedule(this::writeNext);
                }, () -> Schedulers.parallel().schedule(this::writeNext));
    }

    private void complete(List<Pending<I, O>> batch, List<O> answers) {
        if (answers.size() != batch.size()) {
            IllegalStateException wrong = new IllegalStateException(
                    "write answered " + answers.size() + " items for " + batch.size());
            batch.forEach(p -> p.sink().error(wrong));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            O answer = answers.get(i);
            if (answer == null) {
                batch.get(i).sink().success();
            } else {
                batch.get(i).sink().success(answer);
            }
        }
    }
}
