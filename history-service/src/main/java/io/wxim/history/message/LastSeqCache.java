package io.wxim.history.message;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The last seq this instance knows per conversation, bounded (least recently used entries go first). It is only a
 * hint that makes the normal path a single insert: a stale value just costs one unique-index conflict and a re-read.
 * It is never ahead of the database, because it is only set from a successful insert or from a database read.
 * The lock guards an in-memory map only (no I/O under it).
 */
final class LastSeqCache {
    private final Map<String, Long> entries;

    LastSeqCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be >= 1");
        }
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > maxEntries;
            }
        };
    }

    synchronized OptionalLong get(String conv) {
        Long seq = entries.get(conv);
        return seq == null ? OptionalLong.empty() : OptionalLong.of(seq);
    }

    synchronized void put(String conv, long seq) {
        entries.put(conv, seq);
    }

    synchronized void evict(String conv) {
        entries.remove(conv);
    }

    synchronized int size() {
        return entries.size();
    }
}
