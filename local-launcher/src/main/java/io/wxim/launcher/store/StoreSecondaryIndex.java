package io.wxim.launcher.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import java.util.ArrayList;
import java.util.List;
import org.h2.mvstore.MVMap;

/**
 * A non-unique index (mongo-java-server ignores them: its H2 backend answers e.g. "the memberships of user X" by
 * reading every membership). Entries are keyed {@code (key values..., _id)}, so equal key values stay distinct and
 * sorted by {@link IndexKeyOrder}; the value is the document's position. Queries use it through {@link IndexRange}.
 * Sparse indexes are kept but not used for queries (a document without the keys would be missed).
 */
final class StoreSecondaryIndex extends Index<Object> implements CollectionIndexes.Scored {
    private static final String ID = "_id";
    private final MVMap<KeyValue, Object> map;
    private final CollectionIndexes siblings;

    StoreSecondaryIndex(MVMap<KeyValue, Object> map, String name, List<IndexKey> keys, boolean sparse,
                        CollectionIndexes siblings) {
        super(name, keys, sparse);
        this.map = map;
        this.siblings = siblings;
        siblings.add(name, this);
    }

    @Override
    public int score(Document query) {
        return IndexRange.score(keys(), isSparse(), false, query);
    }

    @Override
    public boolean canHandle(Document query) {
        return siblings.isBest(this, query);
    }

    @Override
    public Iterable<Object> getPositions(Document query) {
        return IndexRange.of(keys(), query).positions(map);
    }

    @Override
    public Object getPosition(Document document) {
        for (KeyValue key : entryKeys(document)) {
            Object position = map.get(key);
            if (position != null) {
                return position;
            }
        }
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Object> collection) {
        entryKeys(document); // not unique; but a document it cannot index (parallel arrays) is refused before any write
    }

    @Override
    public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
        put(entryKeys(document), position);
    }

    private void put(List<KeyValue> keys, Object position) {
        for (KeyValue key : keys) {
            map.put(key, Missing.ofNullable(position));
        }
    }

    @Override
    public synchronized Object remove(Document document) {
        Object position = null;
        for (KeyValue key : entryKeys(document)) {
            Object removed = map.remove(key);
            if (removed != null) {
                position = removed;
            }
        }
        return position;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
        entryKeys(newDocument); // as checkAdd
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, Object position,
                                           MongoCollection<Object> collection) {
        if (!nullAwareEqualsKeys(oldDocument, newDocument)) {
            List<KeyValue> fresh = entryKeys(newDocument); // before anything is removed: it may refuse the document
            remove(oldDocument);
            put(fresh, position);
        }
    }

    @Override
    public long getCount() {
        return map.sizeAsLong();
    }

    @Override
    public boolean isEmpty() {
        return map.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        siblings.remove(getName(), this);
    }

    /** One entry per key value of the document (several for an array field), each ending with the document's id. */
    private List<KeyValue> entryKeys(Document document) {
        Object id = Missing.ofNullable(document.get(ID));
        List<KeyValue> entries = new ArrayList<>();
        for (KeyValue values : getKeyValues(document)) {
            if (isSparse() && values.stream().allMatch(Missing::isNullOrMissing)) {
                continue;
            }
            List<Object> key = new ArrayList<>(values.size() + 1);
            values.forEach(key::add);
            key.add(id);
            entries.add(new KeyValue(key));
        }
        return entries;
    }
}
