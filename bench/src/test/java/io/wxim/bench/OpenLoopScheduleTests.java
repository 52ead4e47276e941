package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OpenLoopScheduleTests {

    @Test
    void spacesMessagesEvenly_fromTheStart() {
        OpenLoopSchedule s = new OpenLoopSchedule(1_000, 1000, Duration.ofSeconds(1));
        assertThat(s.total()).isEqualTo(1000);
        assertThat(s.intendedTime(0)).isEqualTo(1_000);
        assertThat(s.intendedTime(1)).isEqualTo(1_001_000);
        assertThat(s.intendedTime(999)).isEqualTo(999_001_000L);
        assertThat(s.endNanos()).isEqualTo(1_000_001_000L);
    }

    @Test
    void handsOutEveryMessageDueSoFar_whenTheTickerWasLate() {
        OpenLoopSchedule s = new OpenLoopSchedule(0, 1000, Duration.ofSeconds(1));
        int taken = 0;
        while (s.due(10_500_000)) {
            long k = s.take();
            assertThat(s.intendedTime(k)).isLessThanOrEqualTo(10_500_000);
            taken++;
        }
        assertThat(taken).isEqualTo(11); // messages 0..10 were due; their intended times stay as scheduled
        assertThat(s.nanosUntilNext(10_500_000)).isEqualTo(500_000);
    }

    @Test
    void keepsTheIntendedTimes_evenWhenMessagesAreTakenLate() {
        OpenLoopSchedule s = new OpenLoopSchedule(0, 100, Duration.ofMillis(100));
        assertThat(s.total()).isEqualTo(10);
        long now = 5_000_000_000L; // everything overdue: a stall must not shift the schedule
        for (int i = 0; i < 10; i++) {
            assertThat(s.due(now)).isTrue();
            assertThat(s.intendedTime(s.take())).isEqualTo(i * 10_000_000L);
        }
        assertThat(s.done()).isTrue();
        assertThat(s.due(now)).isFalse();
        assertThat(s.nanosUntilNext(now)).isEqualTo(-1);
        assertThatThrownBy(s::take).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void supportsFractionalRates() {
        OpenLoopSchedule s = new OpenLoopSchedule(0, 2.5, Duration.ofSeconds(2));
        assertThat(s.total()).isEqualTo(5);
        assertThat(s.intendedTime(1)).isEqualTo(400_000_000L);
    }

    @Test
    void refusesANonPositiveRate() {
        assertThatThrownBy(() -> new OpenLoopSchedule(0, 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
