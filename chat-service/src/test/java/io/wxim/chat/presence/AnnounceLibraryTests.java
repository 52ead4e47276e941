package io.wxim.chat.presence;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What Java assumes of {@code redis/lib/announce.lua}. */
class AnnounceLibraryTests {

    /**
     * A connect announces a room as a join only while a record of its join told would still count
     * ({@link PresenceRepository#JOIN_TOLD_MILLIS}): a longer window could tell a join twice, a shorter one miss one.
     */
    @Test
    void theJoinRecordsTimeInJava_isTheScriptsTimeToLive() throws IOException {
        String library;
        try (InputStream in = PresenceRepository.class.getClassLoader().getResourceAsStream("redis/lib/announce.lua")) {
            assertThat(in).isNotNull();
            library = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher ttl = Pattern.compile("(?m)^local TOLD_TTL = (\\d+)$").matcher(library);

        assertThat(ttl.find()).as("TOLD_TTL in announce.lua").isTrue();
        assertThat(Long.parseLong(ttl.group(1))).isEqualTo(PresenceRepository.JOIN_TOLD_MILLIS);
    }
}
