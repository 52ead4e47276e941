package io.wxim.history.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wxim.history.message.PageQuery.Direction;
import org.junit.jupiter.api.Test;

class PageQueryTests {
    private static final int DEFAULT = 50;
    private static final int MAX = 200;

    @Test
    void readsNewestPageWithDefaultLimit_whenNothingGiven() {
        assertThat(PageQuery.of(null, null, null, DEFAULT, MAX)).isEqualTo(new PageQuery(Direction.NEWEST, 0, DEFAULT));
    }

    @Test
    void readsAfterExclusiveBound_whenAfterGiven() {
        assertThat(PageQuery.of(0L, null, 10, DEFAULT, MAX)).isEqualTo(new PageQuery(Direction.AFTER, 0, 10));
        assertThat(PageQuery.of(42L, null, null, DEFAULT, MAX)).isEqualTo(new PageQuery(Direction.AFTER, 42, DEFAULT));
    }

    @Test
    void readsBeforeExclusiveBound_whenBeforeGiven() {
        assertThat(PageQuery.of(null, 7L, 3, DEFAULT, MAX)).isEqualTo(new PageQuery(Direction.BEFORE, 7, 3));
    }

    @Test
    void capsLimit_whenAboveMaximum() {
        assertThat(PageQuery.of(null, null, 10_000, DEFAULT, MAX).limit()).isEqualTo(MAX);
        assertThat(PageQuery.of(null, null, null, 500, MAX).limit()).isEqualTo(MAX);
    }

    @Test
    void rejects_whenBothBoundsGiven() {
        assertThatThrownBy(() -> PageQuery.of(1L, 5L, null, DEFAULT, MAX))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("either after or before");
    }

    @Test
    void rejects_whenLimitOrBoundsOutOfRange() {
        assertThatThrownBy(() -> PageQuery.of(null, null, 0, DEFAULT, MAX)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> PageQuery.of(-1L, null, null, DEFAULT, MAX)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> PageQuery.of(null, 0L, null, DEFAULT, MAX)).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void startsFromTheBeginning_whenSyncHasNoAfter() {
        assertThat(PageQuery.after(null, null, 100, MAX)).isEqualTo(new PageQuery(Direction.AFTER, 0, 100));
        assertThat(PageQuery.after(9L, 1000, 100, MAX)).isEqualTo(new PageQuery(Direction.AFTER, 9, MAX));
    }
}
