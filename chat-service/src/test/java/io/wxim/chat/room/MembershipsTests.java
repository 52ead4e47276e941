package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MembershipsTests {

    @Test
    void splitsRoomsOldestFirstAndDirectsNewestFirst_lobbyOnceAndFirst() {
        Memberships m = Memberships.split(List.of("r:a", "d:x", "r:lobby", "r:b", "p:y", "d:z"), 10);
        assertThat(m.rooms()).containsExactly("r:lobby", "r:a", "r:b");
        assertThat(m.directs()).containsExactly("d:z", "p:y", "d:x");
    }

    @Test
    void keepsOnlyTheNewestDirects() {
        Memberships m = Memberships.split(List.of("d:1", "d:2", "r:a", "p:3"), 2);
        assertThat(m.rooms()).containsExactly("r:lobby", "r:a");
        assertThat(m.directs()).containsExactly("p:3", "d:2");
    }

    @Test
    void noMembershipsIsTheLobbyAlone() {
        assertThat(Memberships.split(List.of(), 5)).isEqualTo(new Memberships(List.of("r:lobby"), List.of()));
    }
}
