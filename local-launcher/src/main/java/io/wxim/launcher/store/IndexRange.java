package io.wxim.launcher.store;

import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * The part of an index, ordered by {@link IndexKeyOrder}, that holds every document a query can match: the query pins
 * the leading index keys to one value each ({@code prefix}) and may bound the next key ({@code lower}, {@code upper},
 * either may be null). It is a superset: the collection still matches each document against the whole query, so the
 * range only has to be sure not to miss one. Only plain scalar equalities and {@code $gt/$gte/$lt/$lte} are used;
 * anything else (null, arrays, sub-documents, regular expressions, other operators) ends the prefix.
 */
record IndexRange(List<Object> prefix, Object lower, Object upper) {
    private static final ValueComparator VALUES = ValueComparator.asc();

    /** The range of {@code keys} the query allows, or null if it does not pin the first key. */
    static IndexRange of(List<String> keys, Document query) {
        List<Object> prefix = new ArrayList<>();
        for (String key : keys) {
            Object value = query.get(key);
            if (!isScalar(value)) {
                Object[] bounds = value instanceof Document d ? bounds(d) : null;
                return prefix.isEmpty() ? null
                        : new IndexRange(prefix, bounds == null ? null : bounds[0], bounds == null ? null : bounds[1]);
            }
            prefix.add(value);
        }
        return new IndexRange(prefix, null, null);
    }

    /**
     * How well an index over {@code keys} serves the query: 0 if not at all, else two per pinned key, one more for a
     * bounded next key or for a unique index with every key pinned (one entry at most). Sparse indexes serve nothing:
     * a document without the keys has no entry.
     */
    static int score(List<String> keys, boolean sparse, boolean unique, Document query) {
        IndexRange range = sparse ? null : of(keys, query);
        if (range == null) {
            return 0;
        }
        boolean exact = unique && range.prefix.size() == keys.size();
        return range.prefix.size() * 2 + (range.lower != null || range.upper != null || exact ? 1 : 0);
    }

    /** The positions of the index entries in the range, each once, in index order. */
    Iterable<Object> positions(MVMap<KeyValue, Object> index) {
        List<Object> start = new ArrayList<>(prefix);
        if (lower != null) {
            start.add(lower);
        }
        Set<Object> positions = new LinkedHashSet<>();
        // stored keys are normalized (e.g. 90 and 90L as 90.0); an equal but differently typed start key would be
        // ordered after its stored twin by the serialized tie-break and skip it
        Cursor<KeyValue, Object> entries = index.cursor(new KeyValue(start).normalized());
        while (entries.hasNext()) {
            if (!within(entries.next())) {
                break;
            }
            positions.add(entries.getValue());
        }
        return Collections.unmodifiableSet(positions);
    }

    private boolean within(KeyValue key) {
        if (key.size() < prefix.size()) {
            return false;
        }
        for (int i = 0; i < prefix.size(); i++) {
            if (VALUES.compare(key.get(i), prefix.get(i)) != 0) {
                return false;
            }
        }
        return upper == null || key.size() == prefix.size() || VALUES.compare(key.get(prefix.size()), upper) <= 0;
    }

    private static boolean isScalar(Object value) {
        return value instanceof String || value instanceof Number || value instanceof Boolean
                || value instanceof ObjectId || value instanceof Instant;
    }

    /** {lower, upper} from a document of only range operators on scalars, else null (not a plain range). */
    private static Object[] bounds(Document condition) {
        Object lower = null;
        Object upper = null;
        for (Map.Entry<String, Object> op : condition.entrySet()) {
            Object value = op.getValue();
            if (!isScalar(value)) {
                return null;
            }
            switch (op.getKey()) {
                case "$gt", "$gte" -> lower = value;
                case "$lt", "$lte" -> upper = value;
                default -> {
                    return null;
                }
            }
        }
        return lower == null && upper == null ? null : new Object[] {lower, upper};
    }
}
