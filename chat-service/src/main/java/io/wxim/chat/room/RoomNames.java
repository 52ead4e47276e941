package io.wxim.chat.room;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names of rooms this instance found in (or wrote to) the database, so that the joins of a room filling up read it
 * once, not once per join. Rooms are never renamed or deleted, so a name once found stays true on every instance; a
 * room that was not found is not remembered (another instance may create it a moment later). At most
 * {@value #MAX_ENTRIES} rooms, least recently used first out. If rooms ever become renamable or deletable, this cache
 * must be dropped or invalidated the way {@link KnownMembers} is.
 */
final class RoomNames {
    static final int MAX_ENTRIES = 10_000;

    /** room id -> name; guarded by itself. */
    private final Map<String, String> names = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    /** The room's name, or null if this instance has not seen the room. */
    String get(String roomId) {
        synchronized (names) {
            return names.get(roomId);
        }
    }

    void put(String roomId, String name) {
        synchronized (names) {
            names.put(roomId, name);
        }
    }
}
