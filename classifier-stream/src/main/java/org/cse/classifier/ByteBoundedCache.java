package org.cse.classifier;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * A map that keeps its least recently used entries out once the bytes its values stand for pass a bound:
 * the classifier's caches of decoded history entries and of encoded strikes. Not thread-safe; each
 * holder keeps its own (a processor, or a thread).
 */
final class ByteBoundedCache<K, V> {
    private final Map<K, V> entries = new LinkedHashMap<>(1024, 0.75f, true);
    private final ToIntFunction<V> size;
    private final long maxBytes;
    private long bytes;

    /** @param size the bytes one value stands for (its stored or encoded bytes, not its heap) */
    ByteBoundedCache(long maxBytes, ToIntFunction<V> size) {
        this.maxBytes = maxBytes;
        this.size = size;
    }

    V get(K key) {
        return entries.get(key);
    }

    void put(K key, V value) {
        V old = entries.put(key, value);
        bytes += size.applyAsInt(value) - (old == null ? 0 : size.applyAsInt(old));
        for (var eldest = entries.values().iterator(); bytes > maxBytes && eldest.hasNext(); ) {
            bytes -= size.applyAsInt(eldest.next());
            eldest.remove();
        }
    }

    void remove(K key) {
        V old = entries.remove(key);
        bytes -= old == null ? 0 : size.applyAsInt(old);
    }

    /** The bytes the values held stand for, counted from the values themselves (tests). */
    long heldBytes() {
        return entries.values().stream().mapToLong(size::applyAsInt).sum();
    }

    int size() {
        return entries.size();
    }
}
