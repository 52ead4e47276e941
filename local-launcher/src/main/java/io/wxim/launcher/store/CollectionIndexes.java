package io.wxim.launcher.store;

import de.bwaldvogel.mongo.bson.Document;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The indexes of one collection, so that a query is served by the most selective one. mongo-java-server asks a
 * collection's indexes in creation order and uses the first that says it can handle the query; an index that also
 * serves key prefixes and ranges would otherwise take queries a later, exact index serves better (e.g. {@code conv_seq}
 * would take a lookup by {@code (conv, from.id, cmid)}). Each index therefore says yes only if it is the best here.
 * Indexes are kept by name: mongo-java-server builds a new index object on every {@code createIndexes} of an existing
 * index and then discards it, so the first one registered under a name stays until it is dropped.
 */
final class CollectionIndexes {
    /** An index that can tell how well it serves a query: 0 = not at all, higher = fewer entries to read. */
    interface Scored {
        int score(Document query);
    }

    /** Score of a query an index answers exactly (the original unique-index lookups). */
    static final int EXACT = 1000;

    private final Map<String, Scored> indexes = new LinkedHashMap<>();

    synchronized void add(String name, Scored index) {
        indexes.putIfAbsent(name, index);
    }

    synchronized void remove(String name, Scored index) {
        indexes.remove(name, index);
    }

    /** True if {@code index} is the {@link #best} for the query. */
    boolean isBest(Scored index, Document query) {
        return best(query) == index;
    }

    /** The index that serves the query with the highest score (ties: the one registered first), or null if none. */
    synchronized Scored best(Document query) {
        Scored best = null;
        int bestScore = 0;
        for (Scored index : indexes.values()) {
            int score = index.score(query);
            if (score > bestScore) {
                best = index;
                bestScore = score;
            }
        }
        return best;
    }
}
