package io.wxim.auth.enckey;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * When keys are created, become current and retire; pure functions of the stored activation times and the clock.
 *
 * <p>Generation {@code g} is current from its activation until generation {@code g+1} activates, and accepted for
 * new connections until {@code overlap} after that (its retirement). The successor is created {@code lead} before it
 * activates, so gateways, which refresh well within the lead, hold it before any client can fetch it. After downtime
 * the successor activates {@code lead} after it is created, never in the past.
 */
record KeySchedule(Duration period, Duration overlap, Duration lead) {

    /** A key's place in the schedule. {@code retiresAt} is null while it has no successor. */
    record Slot(long generation, Instant activatesAt, Instant retiresAt) {
        boolean published(Instant now) {
            return !activatesAt.isAfter(now) && !retired(now);
        }

        boolean retired(Instant now) {
            return retiresAt != null && !now.isBefore(retiresAt);
        }
    }

    /** The activation time of the next generation if it is time to create it, else empty. */
    Optional<Instant> nextActivation(Instant latestActivation, Instant now) {
        if (latestActivation == null) {
            return Optional.of(now); // the very first key: there is nothing to overlap with
        }
        Instant planned = latestActivation.plus(period);
        if (now.isBefore(planned.minus(lead))) {
            return Optional.empty();
        }
        Instant earliest = now.plus(lead);
        return Optional.of(planned.isAfter(earliest) ? planned : earliest);
    }

    /** Slots for keys given as (generation, activation), ordered by generation. */
    List<Slot> slots(List<Slot> keys) {
        List<Slot> sorted = keys.stream().sorted(Comparator.comparingLong(Slot::generation)).toList();
        List<Slot> result = new ArrayList<>(sorted.size());
        for (int i = 0; i < sorted.size(); i++) {
            Slot key = sorted.get(i);
            Instant retires = i + 1 < sorted.size() ? sorted.get(i + 1).activatesAt().plus(overlap) : null;
            result.add(new Slot(key.generation(), key.activatesAt(), retires));
        }
        return result;
    }

    /** The generation clients should use now: the newest activated one; empty if none is active yet. */
    static Optional<Slot> current(List<Slot> slots, Instant now) {
        return slots.stream().filter(s -> !s.activatesAt().isAfter(now))
                .max(Comparator.comparingLong(Slot::generation));
    }
}
