package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyStatsTests {

    @Test
    void summarizesPercentilesInMilliseconds() {
        LatencyStats stats = new LatencyStats();
        for (int ms = 1; ms <= 100; ms++) {
            stats.recordNanos(ms * 1_000_000L);
        }
        LatencyStats.Summary s = LatencyStats.summarize(stats.snapshot());
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.p50()).isCloseTo(50, within(0.1));
        assertThat(s.p95()).isCloseTo(95, within(0.1));
        assertThat(s.p99()).isCloseTo(99, within(0.1));
        assertThat(s.max()).isCloseTo(100, within(0.1));
        assertThat(s.mean()).isCloseTo(50.5, within(0.1));
    }

    @Test
    void snapshotHoldsOnlyWhatCameSinceTheLastOne() {
        LatencyStats stats = new LatencyStats();
        stats.recordNanos(5_000_000);
        assertThat(stats.snapshot().getTotalCount()).isEqualTo(1);
        assertThat(stats.snapshot().getTotalCount()).isZero();
    }

    @Test
    void mergesHistograms_asIfRecordedTogether() {
        LatencyStats a = new LatencyStats();
        LatencyStats b = new LatencyStats();
        for (int i = 0; i < 90; i++) {
            a.recordNanos(1_000_000);
        }
        for (int i = 0; i < 10; i++) {
            b.recordNanos(200_000_000);
        }
        Histogram merged = LatencyStats.merge(List.of(a.snapshot(), b.snapshot()));
        LatencyStats.Summary s = LatencyStats.summarize(merged);
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.p50()).isCloseTo(1, within(0.01));
        assertThat(s.p95()).isCloseTo(200, within(0.2));
        assertThat(s.max()).isCloseTo(200, within(0.2));
    }

    @Test
    void clampsNegativeAndHugeValues() {
        LatencyStats stats = new LatencyStats();
        stats.recordNanos(-5);
        stats.recordNanos(Long.MAX_VALUE);
        Histogram h = stats.snapshot();
        assertThat(h.getTotalCount()).isEqualTo(2);
        assertThat(h.getMinValue()).isZero();
        assertThat(h.getMaxValue()).isGreaterThanOrEqualTo(LatencyStats.HIGHEST_MICROS);
    }

    @Test
    void summarizesNothingAsZeros() {
        assertThat(LatencyStats.summarize(new LatencyStats().snapshot())).isEqualTo(LatencyStats.Summary.EMPTY);
    }
}
