package io.wxim.chat.room;

import io.wxim.protocol.Conversations;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A user's conversations as a connect needs them: the lobby and rooms, oldest joined first, and the direct and pair
 * conversations, newest joined first.
 */
public record Memberships(List<String> rooms, List<String> directs) {

    /** Splits memberships read oldest joined first; keeps the newest {@code maxDirects} direct and pair ones. */
    static Memberships split(List<String> oldestFirst, int maxDirects) {
        Set<String> rooms = new LinkedHashSet<>();
        rooms.add(Conversations.LOBBY);
        List<String> directs = new ArrayList<>();
        for (int i = oldestFirst.size() - 1; i >= 0; i--) {
            String conv = oldestFirst.get(i);
            if ((Conversations.isDirect(conv) || Conversations.isPair(conv)) && directs.size() < maxDirects) {
                directs.add(conv);
            }
        }
        for (String conv : oldestFirst) {
            if (Conversations.isRoom(conv)) {
                rooms.add(conv);
            }
        }
        return new Memberships(List.copyOf(rooms), List.copyOf(directs));
    }
}
