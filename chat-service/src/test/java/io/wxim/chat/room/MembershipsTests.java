package io.wxim.chat.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MembershipsTests {

    @Test
    void splitsRoomsOldestFirstAndDirectsNewestFirst_lobbyOnceAndFirst() {
        Memberships m = Memberships.split(read("r:a", "d:x", "r:lobby", "r:b", "p:y", "d:z"), 10);
        assertThat(m.rooms()).containsExactly("r:lobby", "r:a", "r:b");
        assertThat(m.directs()).containsExactly("d:z", "p:y", "d:x");
        assertThat(m.roomsJoinedAt()).as("the lobby has none").isEqualTo(Map.of("r:a", 100L, "r:b", 103L));
    }

    @Test
    void keepsOnlyTheNewestDirects() {
        Memberships m = Memberships.split(read("d:1", "d:2", "r:a", "p:3"), 2);
        assertThat(m.rooms()).containsExactly("r:lobby", "r:a");
        assertThat(m.directs()).containsExactly("p:3", "d:2");
    }

    @Test
    void noMembershipsIsTheLobbyAlone() {
        assertThat(Memberships.split(List.of(), 5)).isEqualTo(new Memberships(List.of("r:lobby"), List.of(), Map.of()));
    }

    /** Memberships of these conversations as read, oldest first, joined at 100, 101, ... */
    private static List<Membership> read(String... convs) {
        List<Membership> read = new java.util.ArrayList<>();
        for (int i = 0; i < convs.length; i++) {
            read.add(new Membership(Membership.idOf(convs[i], "u"), convs[i], "u", 100L + i));
        }
        return read;
    }
}
