package io.wxim.chat.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** How long a join counts as recent for a connect, against how long {@code redis/lib/announce.lua} records it told. */
class JoinRecordTests {

    /**
     * Java's {@link PresenceRepository#TOLD_MILLIS} is the script's {@code TOLD_TTL}, and a connect treats a room as a
     * possible untold join ({@link PresenceRepository#recentJoins}) for a minute less: past the record's time a join
     * told already could be told again.
     */
    @Test
    void theRecordsTimeInJava_isTheScriptsTimeToLive_andARecentJoinEndsAMinuteBefore() throws IOException {
        String library;
        try (InputStream in = PresenceRepository.class.getClassLoader().getResourceAsStream("redis/lib/announce.lua")) {
            assertThat(in).isNotNull();
            library = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher ttl = Pattern.compile("(?m)^local TOLD_TTL = (\\d+)$").matcher(library);

        assertThat(ttl.find()).as("TOLD_TTL in announce.lua").isTrue();
        assertThat(Long.parseLong(ttl.group(1))).isEqualTo(PresenceRepository.TOLD_MILLIS);
        assertThat(PresenceRepository.RECENT_JOIN_MILLIS).isEqualTo(PresenceRepository.TOLD_MILLIS - 60_000);
    }

    @Test
    void recentJoins_areTheRoomsJoinedWithinTheWindow_itsStartIncluded() {
        long now = 1_000_000_000L;
        long start = now - PresenceRepository.RECENT_JOIN_MILLIS;
        Map<String, Long> joinedAt = Map.of("r:now", now, "r:start", start, "r:before", start - 1, "r:old", 1L);

        assertThat(PresenceRepository.recentJoins(joinedAt, now)).containsExactlyInAnyOrder("r:now", "r:start");
        assertThat(PresenceRepository.recentJoins(Map.of(), now)).isEmpty();
    }
}
