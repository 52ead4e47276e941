package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What one instance trusts without a database read, and for how long (no Redis: {@link KnownMembers#local}). */
@Timeout(10)
class KnownMembersTests {
    private final AtomicLong now = new AtomicLong(1_000);
    private final KnownMembers known = KnownMembers.local(Duration.ofNanos(100), now::get);

    @Test
    void aMembershipFound_isTrustedUntilItsTtl() {
        assertThat(known.contains("r:a", "u1")).isFalse();
        known.remember("r:a", "u1", known.generation());
        assertThat(known.contains("r:a", "u1")).isTrue();
        assertThat(known.contains("r:a", "u2")).isFalse();
        assertThat(known.contains("r:b", "u1")).isFalse();

        now.addAndGet(99);
        assertThat(known.contains("r:a", "u1")).isTrue();
        now.addAndGet(1);
        assertThat(known.contains("r:a", "u1")).isFalse();
    }

    @Test
    void aLeave_dropsIt_andARead_thatStartedBeforeTheLeave_isNotKeptAfterIt() {
        known.remember("r:a", "u1", known.generation());
        known.ended("r:a", "u1").block(Duration.ofSeconds(1));
        assertThat(known.contains("r:a", "u1")).isFalse();

        long readStarted = known.generation(); // a read begins, finds the membership still there...
        known.ended("r:b", "u9").block(Duration.ofSeconds(1)); // ...a leave completes meanwhile (any membership)...
        known.remember("r:a", "u1", readStarted); // ...and the read's answer comes back afterwards
        assertThat(known.contains("r:a", "u1")).isFalse();

        known.remember("r:a", "u1", known.generation());
        assertThat(known.contains("r:a", "u1")).isTrue();
    }

    @Test
    void clearing_forgetsEverything_andKeepsAReadUnderWayOut() {
        known.remember("r:a", "u1", known.generation());
        long readStarted = known.generation();
        known.clear();
        assertThat(known.contains("r:a", "u1")).isFalse();
        known.remember("r:b", "u1", readStarted);
        assertThat(known.contains("r:b", "u1")).isFalse();
    }

    @Test
    void itHoldsAtMostMaxEntries_leastRecentlyUsedFirstOut() {
        KnownMembers lasting = KnownMembers.local(Duration.ofHours(1), now::get);
        lasting.remember("r:first", "u", lasting.generation());
        lasting.remember("r:used", "u", lasting.generation());
        for (int i = 0; i < KnownMembers.MAX_ENTRIES - 2; i++) {
            lasting.remember("r:" + i, "u", lasting.generation());
        }
        assertThat(lasting.contains("r:used", "u")).isTrue(); // used: now the most recent
        lasting.remember("r:one-more", "u", lasting.generation());
        lasting.remember("r:and-another", "u", lasting.generation());

        assertThat(lasting.contains("r:first", "u")).isFalse(); // the eldest
        assertThat(lasting.contains("r:0", "u")).isFalse(); // the next eldest, once "r:used" was used again
        assertThat(lasting.contains("r:used", "u")).isTrue();
        assertThat(lasting.contains("r:1", "u")).isTrue();
        assertThat(lasting.contains("r:and-another", "u")).isTrue();
    }
}
