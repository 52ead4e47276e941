package io.wxim.auth.enckey;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyScheduleTests {
    private static final Instant T0 = Instant.parse("2026-12-03T00:00:00Z");
    private final KeySchedule schedule = new KeySchedule(Duration.ofHours(24), Duration.ofHours(2), Duration.ofMinutes(10));

    @Test
    void firstKeyActivatesAtOnce() {
        assertThat(schedule.nextActivation(null, T0)).contains(T0);
    }

    @Test
    void successorIsCreatedLeadBeforeItsPlannedActivation() {
        Instant planned = T0.plus(Duration.ofHours(24));
        assertThat(schedule.nextActivation(T0, planned.minus(Duration.ofMinutes(11)))).isEmpty();
        assertThat(schedule.nextActivation(T0, planned.minus(Duration.ofMinutes(10)))).contains(planned);
        assertThat(schedule.nextActivation(T0, planned.minus(Duration.ofMinutes(3)))).contains(planned.plus(Duration.ofMinutes(7)));
    }

    @Test
    void afterDowntimeTheSuccessorStillActivatesOnlyLeadAfterItIsCreated() {
        Instant late = T0.plus(Duration.ofDays(3));
        assertThat(schedule.nextActivation(T0, late)).contains(late.plus(Duration.ofMinutes(10)));
    }

    @Test
    void aKeyRetiresOverlapAfterItsSuccessorActivates_andTheNewestActiveOneIsCurrent() {
        Instant a2 = T0.plus(Duration.ofHours(24));
        List<KeySchedule.Slot> slots = schedule.slots(List.of(
                new KeySchedule.Slot(2, a2, null), new KeySchedule.Slot(1, T0, null)));

        assertThat(slots).containsExactly(new KeySchedule.Slot(1, T0, a2.plus(Duration.ofHours(2))),
                new KeySchedule.Slot(2, a2, null));
        // before the successor activates: only 1 is published and current
        Instant before = a2.minusSeconds(1);
        assertThat(slots.stream().filter(s -> s.published(before)).map(KeySchedule.Slot::generation)).containsExactly(1L);
        assertThat(KeySchedule.current(slots, before).orElseThrow().generation()).isEqualTo(1);
        // during the overlap both are published, 2 is current
        Instant during = a2.plus(Duration.ofHours(1));
        assertThat(slots.stream().filter(s -> s.published(during)).map(KeySchedule.Slot::generation)).containsExactly(1L, 2L);
        assertThat(KeySchedule.current(slots, during).orElseThrow().generation()).isEqualTo(2);
        // after it: 1 is retired
        Instant after = a2.plus(Duration.ofHours(2));
        assertThat(slots.get(0).retired(after)).isTrue();
        assertThat(slots.get(1).retired(after)).isFalse();
        assertThat(slots.stream().filter(s -> s.published(after)).map(KeySchedule.Slot::generation)).containsExactly(2L);
    }
}
