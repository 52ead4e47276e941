package io.wxim.bench;

import java.time.Duration;

/**
 * Open-loop send schedule at a fixed rate: message {@code k} (0-based) is due at {@code start + k / rate}, whatever
 * happened to earlier messages. Latency is measured from this intended time, so a stalled server (or a stalled
 * generator) shows up in the percentiles instead of silently lowering the offered load (no coordinated omission).
 * Not thread-safe: one ticker thread takes from it.
 */
public final class OpenLoopSchedule {

    private final long startNanos;
    private final double ratePerSecond;
    private final long total;
    private long next;

    public OpenLoopSchedule(long startNanos, double ratePerSecond, Duration duration) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be > 0: " + ratePerSecond);
        }
        this.startNanos = startNanos;
        this.ratePerSecond = ratePerSecond;
        this.total = (long) Math.floor(ratePerSecond * duration.toNanos() / 1e9);
    }

    /** Intended send time (System.nanoTime scale) of message {@code k}. */
    public long intendedTime(long k) {
        return startNanos + (long) Math.floor(k * 1e9 / ratePerSecond);
    }

    /** Messages in the whole schedule. */
    public long total() {
        return total;
    }

    /** Messages handed out so far. */
    public long taken() {
        return next;
    }

    public boolean done() {
        return next >= total;
    }

    /** Whether the next message is due at {@code now}. */
    public boolean due(long now) {
        return next < total && intendedTime(next) <= now;
    }

    /** The index of the next message; call only when {@link #due} said so (or to send early on purpose). */
    public long take() {
        if (next >= total) {
            throw new IllegalStateException("schedule exhausted");
        }
        return next++;
    }

    /** Nanoseconds from {@code now} until the next message is due (0 if due, -1 if done). */
    public long nanosUntilNext(long now) {
        if (done()) {
            return -1;
        }
        return Math.max(0, intendedTime(next) - now);
    }

    /** Where the schedule ends: the intended time just past its last message. */
    public long endNanos() {
        return intendedTime(total);
    }
}
