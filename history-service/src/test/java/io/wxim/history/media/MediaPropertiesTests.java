package io.wxim.history.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class MediaPropertiesTests {

    @Test
    void refusesAFileSweepMinAge_thatIsNotAMinuteLongerThanTheUploadTimeout() {
        assertThatThrownBy(() -> withMinAge(Duration.ofSeconds(150)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("file-sweep.min-age");
        assertThat(withMinAge(Duration.ofSeconds(180)).fileSweep().minAge()).isEqualTo(Duration.ofSeconds(180));
    }

    @Test
    void refusesAFileSweepLease_thatIsNotPositive() {
        assertThatThrownBy(() -> new MediaProperties.FileSweep(Duration.ofHours(1), Duration.ofMinutes(10), 100, 2000,
                Duration.ofMinutes(5), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("file-sweep.lease");
    }

    /** The defaults but for the file sweep's minimum age (upload timeout 120s). */
    private static MediaProperties withMinAge(Duration minAge) {
        return new MediaProperties(DataSize.ofMegabytes(10), DataSize.ofMegabytes(10), 40_000_000, 320,
                Duration.ofHours(1), null, Duration.ofHours(24), Duration.ofMinutes(10), 8, Duration.ofSeconds(120),
                Duration.ofSeconds(30), new MediaProperties.FileSweep(minAge, Duration.ofMinutes(10), 100, 2000,
                Duration.ofMinutes(5), Duration.ofMinutes(1)));
    }
}
