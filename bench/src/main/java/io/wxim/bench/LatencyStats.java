package io.wxim.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies in microseconds, recorded wait-free from any thread (HdrHistogram {@link Recorder}), 3 significant
 * digits, up to one hour; a value above that is clamped and counted. {@link #snapshot} hands back everything recorded
 * since the previous snapshot.
 */
public final class LatencyStats {

    static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);

    private final Recorder recorder = new Recorder(HIGHEST_MICROS, 3);
    private Histogram recycled;

    /** Records {@code nanos} (negative values, from clock skew between threads, count as 0). */
    public void recordNanos(long nanos) {
        long micros = Math.max(0, nanos / 1000);
        recorder.recordValue(Math.min(micros, HIGHEST_MICROS));
    }

    /** What was recorded since the last snapshot (a copy the caller owns). */
    public synchronized Histogram snapshot() {
        recycled = recorder.getIntervalHistogram(recycled);
        return recycled.copy();
    }

    /** Percentiles of a histogram, in milliseconds. */
    public record Summary(long count, double p50, double p95, double p99, double p999, double max, double mean) {

        public static final Summary EMPTY = new Summary(0, 0, 0, 0, 0, 0, 0);
    }

    public static Summary summarize(Histogram h) {
        if (h == null || h.getTotalCount() == 0) {
            return Summary.EMPTY;
        }
        return new Summary(h.getTotalCount(), ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(95)),
                ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()),
                round(h.getMean() / 1000.0));
    }

    /** Sum of histograms (e.g. several steps, or several generator threads). */
    public static Histogram merge(List<Histogram> parts) {
        Histogram total = new Histogram(HIGHEST_MICROS, 3);
        for (Histogram h : parts) {
            total.add(h);
        }
        return total;
    }

    private static double ms(long micros) {
        return round(micros / 1000.0);
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
