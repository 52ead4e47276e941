package io.wxim.launcher.store;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded MongoDB-compatible store of the local run: mongo-java-server's H2 backend (one MVStore file) with
 * indexes ordered by {@link IndexKeyOrder} instead of by serialized bytes, non-unique indexes maintained, and key
 * prefixes and ranges served from indexes ({@link StoreDatabase}). The file format is unchanged; a file written by the
 * plain H2 backend (or an earlier local run) has its index maps re-sorted once when it is opened, marked in the store
 * so that it happens once.
 */
public final class StoreBackend extends H2Backend {
    private static final Logger log = LoggerFactory.getLogger(StoreBackend.class);
    static final String INDEX_MAP_INFIX = "._index_";
    static final String MARKER_MAP = "wxim.store";
    static final String ORDER_KEY = "indexKeyOrder";
    static final String ORDER = "mongo-value-order-1";

    private StoreBackend(MVStore store) {
        super(store);
    }

    /** Opens (or creates) the store file; {@code autoCommitDelayMs} bounds what a kill -9 can lose. */
    public static StoreBackend open(String file, int autoCommitDelayMs) {
        // no background commit while the index maps are re-sorted: a crash then leaves the last commit, not half a map
        MVStore store = new MVStore.Builder().fileName(file).autoCommitDisabled().open();
        reorderIndexes(store);
        store.setAutoCommitDelay(autoCommitDelayMs);
        return new StoreBackend(store);
    }

    static MVMap.Builder<KeyValue, Object> indexMapBuilder() {
        return new MVMap.Builder<KeyValue, Object>().keyType(IndexKeyOrder.INSTANCE);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return StoreDatabase.open(databaseName, getMvStore(), getCursorRegistry());
    }

    /**
     * Re-sorts the index maps of a file not yet marked with {@link #ORDER}, in one commit with the mark (auto-commit is
     * off until it returns): a crash before that commit leaves the file as it was, and the next open redoes it.
     */
    static void reorderIndexes(MVStore store) {
        MVMap<String, String> marker = store.openMap(MARKER_MAP);
        if (ORDER.equals(marker.get(ORDER_KEY))) {
            return;
        }
        int maps = 0;
        long keys = 0;
        for (String name : List.copyOf(store.getMapNames())) {
            if (!name.contains(INDEX_MAP_INFIX)) {
                continue;
            }
            MVMap<Object, Object> old = store.openMap(name);
            List<Map.Entry<Object, Object>> entries = new ArrayList<>(old.entrySet());
            store.removeMap(old);
            MVMap<KeyValue, Object> sorted = store.openMap(name, indexMapBuilder());
            for (Map.Entry<Object, Object> e : entries) {
                sorted.put((KeyValue) e.getKey(), e.getValue());
            }
            maps++;
            keys += entries.size();
        }
        marker.put(ORDER_KEY, ORDER);
        store.commit();
        if (maps > 0) {
            log.info("embedded store: re-sorted {} index maps ({} keys) for the faster key order", maps, keys);
        }
    }
}
