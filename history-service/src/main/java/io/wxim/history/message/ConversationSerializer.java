package io.wxim.history.message;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs asynchronous tasks one at a time per key (a conversation), in subscription order, without blocking a thread
 * and without a global lock. Each key has a small lane (a FIFO of waiting tasks) that exists only while work for
 * that key is running or waiting: the last task to finish removes it.
 *
 * <p>Guarantees: two tasks with the same key never run concurrently in this instance; tasks with different keys are
 * independent. A task that errors or whose subscriber cancels releases the lane; a subscriber that cancels while
 * still waiting is skipped. At most {@code maxPending} tasks may wait per key; more fail with
 * {@link HistoryBusyException}. It does nothing across instances: that is the unique index's job.
 */
public final class ConversationSerializer {
    private final ConcurrentHashMap<String, ArrayDeque<Ticket>> lanes = new ConcurrentHashMap<>();
    private final int maxPending;
    private final Scheduler handOff;

    public ConversationSerializer(int maxPending) {
        this(maxPending, Schedulers.parallel());
    }

    /**
     * @param handOff where a waiting task starts once its turn comes; a hop keeps a long chain of tasks that finish
     *                synchronously from growing the stack. Only non-blocking work runs there.
     */
    ConversationSerializer(int maxPending, Scheduler handOff) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be >= 1");
        }
        this.maxPending = maxPending;
        this.handOff = handOff;
    }

    /** Runs {@code task} when every earlier task of {@code key} in this instance has finished. */
    public <T> Mono<T> run(String key, Supplier<? extends Mono<T>> task) {
        return Mono.defer(() -> {
            Ticket ticket = new Ticket();
            Admission admission = admit(key, ticket);
            if (admission == Admission.REJECTED) {
                return Mono.error(new HistoryBusyException("too many pending messages for this conversation"));
            }
            Mono<T> work = Mono.defer(task);
            if (admission == Admission.QUEUED) {
                work = ticket.turn.asMono().publishOn(handOff).then(work);
            } else {
                ticket.state.set(Ticket.ACTIVE);
            }
            // Released before the result travels downstream (doOnTerminate), so the next task may start at once.
            Runnable done = () -> {
                if (ticket.finish()) {
                    release(key);
                }
            };
            return work.doOnTerminate(done).doOnCancel(done);
        });
    }

    /** Keys that currently have running or waiting work (for tests and metrics). */
    public int activeKeys() {
        return lanes.size();
    }

    private enum Admission { RUN_NOW, QUEUED, REJECTED }

    private Admission admit(String key, Ticket ticket) {
        Admission[] result = new Admission[1];
        lanes.compute(key, (k, lane) -> {
            if (lane == null) {
                result[0] = Admission.RUN_NOW;
                return new ArrayDeque<>();
            }
            if (lane.size() >= maxPending) {
                result[0] = Admission.REJECTED;
                return lane;
            }
            lane.addLast(ticket);
            result[0] = Admission.QUEUED;
            return lane;
        });
        return result[0];
    }

    /** Hands the lane to the next waiting ticket that is still wanted, or removes the idle lane. */
    private void release(String key) {
        while (true) {
            Ticket[] next = new Ticket[1];
            lanes.computeIfPresent(key, (k, lane) -> {
                next[0] = lane.pollFirst();
                return next[0] == null ? null : lane;
            });
            if (next[0] == null || next[0].grant()) {
                return;
            }
        }
    }

    private static final class Ticket {
        static final int WAITING = 0;
        static final int ACTIVE = 1;
        static final int DONE = 2;

        final AtomicInteger state = new AtomicInteger(WAITING);
        final Sinks.Empty<Void> turn = Sinks.empty();

        /** Gives this ticket the lane; false if its subscriber already went away. */
        boolean grant() {
            if (state.compareAndSet(WAITING, ACTIVE)) {
                turn.tryEmitEmpty();
                return true;
            }
            return false;
        }

        /** Marks the ticket done; true if it held the lane and must release it (exactly once). */
        boolean finish() {
            return state.getAndSet(DONE) == ACTIVE;
        }
    }
}
