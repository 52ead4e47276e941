package io.wxim.launcher.store;

import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.ValueComparator;
import org.h2.mvstore.type.ObjectDataType;

/**
 * Orders unique-index keys of the embedded store in memory. mongo-java-server's H2 backend keys its index maps with
 * H2's {@link ObjectDataType}, which compares objects that are not {@link Comparable} (its {@code KeyValue} is not) by
 * Java-serializing both sides on every comparison of a B-tree search: about 30 serializations per lookup, the largest
 * single cost of a message store in a profile. This type compares the key values with mongo-java-server's own
 * {@link ValueComparator} (MongoDB's order) and breaks ties between unequal keys (e.g. {@code 1} and {@code 1L}) by the
 * serialized form, so the order stays total and consistent with {@code equals}. Keys are still written and read
 * exactly as before (the inherited serialization), only their order differs, which {@link StoreBackend} accounts for
 * when it opens a file written with the old order.
 */
final class IndexKeyOrder extends ObjectDataType {
    static final IndexKeyOrder INSTANCE = new IndexKeyOrder();
    private static final ValueComparator VALUES = ValueComparator.asc();

    private IndexKeyOrder() {
    }

    @Override
    public int compare(Object a, Object b) {
        if (a instanceof KeyValue x && b instanceof KeyValue y) {
            int n = Math.min(x.size(), y.size());
            for (int i = 0; i < n; i++) {
                int c = VALUES.compare(x.get(i), y.get(i));
                if (c != 0) {
                    return c;
                }
            }
            if (x.size() != y.size()) {
                return Integer.compare(x.size(), y.size());
            }
            return x.equals(y) ? 0 : super.compare(a, b);
        }
        return super.compare(a, b);
    }
}
