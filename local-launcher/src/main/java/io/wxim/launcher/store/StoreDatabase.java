package io.wxim.launcher.store;

import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * The H2 backend's database with indexes kept in key order ({@link IndexKeyOrder}), non-unique indexes maintained
 * instead of ignored, and queries served by the most selective index ({@link CollectionIndexes}); everything else
 * inherited.
 */
final class StoreDatabase extends H2Database {
    /** What the superclass constructor needs while it opens the existing indexes (before the fields are assigned). */
    private record State(MVStore store, Map<String, CollectionIndexes> collections) {
    }

    private static final ThreadLocal<State> OPENING = new ThreadLocal<>();
    private final State state;

    private StoreDatabase(String name, State state, CursorRegistry cursors) {
        super(name, state.store(), cursors);
        this.state = state;
    }

    static StoreDatabase open(String name, MVStore store, CursorRegistry cursors) {
        State state = new State(store, new ConcurrentHashMap<>());
        OPENING.set(state);
        try {
            return new StoreDatabase(name, state, cursors);
        } finally {
            OPENING.remove();
        }
    }

    @Override
    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                    boolean sparse) {
        String collection = getFullCollectionNamespace(collectionName);
        return new StoreUniqueIndex(map(collection, indexName), indexName, keys, sparse, siblings(collection));
    }

    @Override
    protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                       boolean sparse) {
        String collection = getFullCollectionNamespace(collectionName);
        return new StoreSecondaryIndex(map(collection, indexName), indexName, keys, sparse, siblings(collection));
    }

    private MVMap<KeyValue, Object> map(String collection, String indexName) {
        return state().store().openMap(indexMapName(collection, indexName), StoreBackend.indexMapBuilder());
    }

    /** The indexes of a collection (full name, {@code db.collection}), as queries choose among them. */
    CollectionIndexes siblings(String collection) {
        return state().collections().computeIfAbsent(collection, c -> new CollectionIndexes());
    }

    private State state() {
        return state != null ? state : OPENING.get();
    }

    /** The map name the H2 backend uses for an index (kept, so its index drops find the map). */
    static String indexMapName(String fullCollectionName, String indexName) {
        return fullCollectionName + StoreBackend.INDEX_MAP_INFIX + indexName;
    }
}
