package io.wxim.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OpenConnectionsTests {
    private static final String NODE = "gw-1";

    @Test
    void listsTheConnectionsOfItsBootUpToItsLimit_andSurvivesItsText() {
        OpenConnections list = OpenConnections.of(NODE, "b0ot", 7, 40,
                List.of("gw-1.b0ot.1", "gw-1.b0ot.z", "gw-1.b0ot.15", "gw-1.other.2", "gw-2.b0ot.3", "gw-1.b0ot.notanumber!"));
        assertThat(list.open()).containsExactlyInAnyOrder(1L, 35L); // 15 base 36 is 41, above the limit

        OpenConnections read = OpenConnections.parse(list.encode()).orElseThrow();
        assertThat(read).isEqualTo(list);
        assertThat(OpenConnections.version(list.encode().substring(0, Math.min(OpenConnections.HEAD_CHARS, list.encode().length()))))
                .contains(list.version());
    }

    @Test
    void aConnectionWasClosedBeforeTheList_onlyIfItsBootTookItUpToTheLimitAndItIsMissing() {
        OpenConnections list = new OpenConnections("b0ot", 1, 10, java.util.Set.of(2L, 3L));
        assertThat(list.closedBefore("gw-1.b0ot.1", NODE)).isTrue();
        assertThat(list.closedBefore("gw-1.b0ot.a", NODE)).isTrue(); // 10, the limit
        assertThat(list.closedBefore("gw-1.b0ot.2", NODE)).isFalse(); // open
        assertThat(list.closedBefore("gw-1.b0ot.b", NODE)).isFalse(); // 11: taken after the list was made
        assertThat(list.closedBefore("gw-1.other.1", NODE)).isFalse(); // another process: the dead-node sweep's
        assertThat(list.closedBefore("gw-2.b0ot.1", NODE)).isFalse();
        assertThat(list.closedBefore("gw-1.b0ot", NODE)).isFalse();
    }

    @Test
    void refusesWhatIsNotAList() {
        assertThat(OpenConnections.parse("")).isEmpty();
        assertThat(OpenConnections.parse("b0ot 1")).isEmpty();
        assertThat(OpenConnections.parse("b0ot 1 a x!")).isEmpty();
        assertThat(OpenConnections.parse("b0ot 1 a")).contains(new OpenConnections("b0ot", 1, 10, java.util.Set.of()));
        assertThat(OpenConnections.version("b0ot")).isEmpty();
    }
}
