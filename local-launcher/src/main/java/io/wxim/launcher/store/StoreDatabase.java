package io.wxim.launcher.store;

import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import java.util.List;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/** The H2 backend's database with its unique indexes ordered by {@link IndexKeyOrder}; everything else inherited. */
final class StoreDatabase extends H2Database {
    /** The store while the superclass constructor opens the existing indexes (before {@link #store} is assigned). */
    private static final ThreadLocal<MVStore> OPENING = new ThreadLocal<>();
    private final MVStore store;

    private StoreDatabase(String name, MVStore store, CursorRegistry cursors) {
        super(name, store, cursors);
        this.store = store;
    }

    static StoreDatabase open(String name, MVStore store, CursorRegistry cursors) {
        OPENING.set(store);
        try {
            return new StoreDatabase(name, store, cursors);
        } finally {
            OPENING.remove();
        }
    }

    @Override
    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                    boolean sparse) {
        MVStore s = store != null ? store : OPENING.get();
        MVMap<KeyValue, Object> map = s.openMap(indexMapName(getFullCollectionNamespace(collectionName), indexName),
                StoreBackend.indexMapBuilder());
        return new StoreUniqueIndex(map, indexName, keys, sparse);
    }

    /** The map name the H2 backend uses for an index (kept, so its index drops find the map). */
    static String indexMapName(String fullCollectionName, String indexName) {
        return fullCollectionName + StoreBackend.INDEX_MAP_INFIX + indexName;
    }
}
