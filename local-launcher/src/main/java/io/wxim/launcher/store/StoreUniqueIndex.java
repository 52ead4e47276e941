package io.wxim.launcher.store;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;

/**
 * A unique index kept in an MVStore map ordered by {@link IndexKeyOrder}: the H2 backend's exact lookups, plus key
 * prefixes and ranges ({@link IndexRange}), e.g. {@code (conv, seq > n)} for a sync page, which the plain backend
 * answers by reading the whole collection.
 */
final class StoreUniqueIndex extends AbstractUniqueIndex<Object> implements CollectionIndexes.Scored {
    private final MVMap<KeyValue, Object> map;
    private final CollectionIndexes siblings;

    StoreUniqueIndex(MVMap<KeyValue, Object> map, String name, List<IndexKey> keys, boolean sparse,
                     CollectionIndexes siblings) {
        super(name, keys, sparse);
        this.map = map;
        this.siblings = siblings;
        siblings.add(name, this);
    }

    @Override
    public int score(Document query) {
        if (super.canHandle(query)) {
            return CollectionIndexes.EXACT;
        }
        return IndexRange.score(keys(), isSparse(), true, query);
    }

    @Override
    public boolean canHandle(Document query) {
        return siblings.isBest(this, query);
    }

    @Override
    public Iterable<Object> getPositions(Document query) {
        return super.canHandle(query) ? super.getPositions(query) : IndexRange.of(keys(), query).positions(map);
    }

    @Override
    public void drop() {
        siblings.remove(getName(), this);
        super.drop();
    }

    @Override
    protected Object removeDocument(KeyValue key) {
        return map.remove(key);
    }

    @Override
    protected boolean putKeyPosition(KeyValue key, Object position) {
        return map.putIfAbsent(key, Missing.ofNullable(position)) == null;
    }

    @Override
    protected Iterable<Map.Entry<KeyValue, Object>> getIterable() {
        return map.entrySet();
    }

    @Override
    protected Object getPosition(KeyValue key) {
        return map.get(key);
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
}
