package io.wxim.chat.room;

import io.wxim.protocol.Conversations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A user's conversations as a connect needs them: the lobby and rooms, oldest joined first, the direct and pair
 * conversations, newest joined first, and when each room was joined (chat's clock; the lobby, joined by being online,
 * has none).
 */
public record Memberships(List<String> rooms, List<String> directs, Map<String, Long> roomsJoinedAt) {
    public Memberships {
        rooms = List.copyOf(rooms);
        directs = List.copyOf(directs);
        roomsJoinedAt = Map.copyOf(roomsJoinedAt);
    }

    /** Splits memberships read oldest joined first; keeps the newest {@code maxDirects} direct and pair ones. */
    static Memberships split(List<Membership> oldestFirst, int maxDirects) {
        Set<String> rooms = new LinkedHashSet<>();
        rooms.add(Conversations.LOBBY);
        Map<String, Long> joinedAt = new LinkedHashMap<>();
        List<String> directs = new ArrayList<>();
        for (int i = oldestFirst.size() - 1; i >= 0; i--) {
            String conv = oldestFirst.get(i).conv();
            if ((Conversations.isDirect(conv) || Conversations.isPair(conv)) && directs.size() < maxDirects) {
                directs.add(conv);
            }
        }
        for (Membership membership : oldestFirst) {
            String conv = membership.conv();
            if (Conversations.isRoom(conv) && !Conversations.LOBBY.equals(conv)) {
                rooms.add(conv);
                joinedAt.put(conv, membership.joinedAt());
            }
        }
        return new Memberships(List.copyOf(rooms), directs, joinedAt);
    }
}
