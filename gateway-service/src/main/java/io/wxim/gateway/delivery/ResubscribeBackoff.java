package io.wxim.gateway.delivery;

import java.time.Duration;

/**
 * The wait before subscribing a channel again after its stream ended: {@link #FIRST} after a stream that lived at least
 * {@link #MAX}, else the current wait, which doubles for the next time (at most {@link #MAX}), so a stream that keeps
 * failing right after each start does not make every member resync every second. One per channel.
 */
final class ResubscribeBackoff {
    static final Duration FIRST = Duration.ofSeconds(1);
    static final Duration MAX = Duration.ofSeconds(30);

    private Duration next = FIRST;

    /** The wait now; {@code livedLong}: the stream that ended had lived at least {@link #MAX} (not after a failed attempt). */
    synchronized Duration next(boolean livedLong) {
        if (livedLong) {
            next = FIRST;
        }
        Duration delay = next;
        Duration doubled = delay.multipliedBy(2);
        next = doubled.compareTo(MAX) > 0 ? MAX : doubled;
        return delay;
    }

    /** True if a stream started at {@code startedNanos} (System.nanoTime()) has lived long enough to reset the wait. */
    static boolean livedLong(long startedNanos) {
        return System.nanoTime() - startedNanos >= MAX.toNanos();
    }
}
