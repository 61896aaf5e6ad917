package dev.sluice.processor.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A key-value store of live objects in front of a logged RocksDB store of their bytes, written back once per
 * commit: what Kafka Streams' record cache does for bytes, for objects that are costly to (de)serialize, such as
 * an accumulator holding sketches.
 *
 * <p>When: Kafka Streams 4.x prepares a task's commit by flushing the caches of its stores ({@code
 * ProcessorStateManager.flushCache}, before the producer commits the transaction with the input offsets), and
 * calls {@link #commit} only after the transaction committed. So this store is a {@link CachedStateStore} (an
 * interface of Kafka Streams' internals, the one its record cache implements) and writes back in {@link
 * #flushCache}; writing back in {@code commit} would put a commit's rows into the next transaction, and a crash
 * between the two would lose them (the kill test caught exactly that).
 *
 * <p>{@link #put} keeps the object in memory and marks its key dirty; nothing is serialized. When Kafka Streams
 * prepares a task's commit (below) this store encodes each dirty object once and writes it to the inner store,
 * whose changelog records go out in the transaction being committed. So the changelog, and the state restored after a crash, hold exactly the objects as of the
 * commit, with one record per key changed since the last commit instead of one per update. Objects read from
 * the inner store, or saved, stay in memory up to a bound (least recently used first out), so a hot key is
 * decoded once.
 *
 * <p>An object returned by {@link #get} is the live one: a caller that changes it must {@link #put} it again,
 * or the change is not saved (and would be seen in memory although it is not in the changelog). Range reads
 * write the dirty objects back first, then read the inner store. On {@link #init} (and after a crash, when
 * Kafka Streams rebuilds the store from its changelog) the memory is empty.
 */
public final class WriteBackStore<V> implements KeyValueStore<Bytes, V>, CachedStateStore<Bytes, V> {

    /** How a value becomes bytes in the inner store and back. */
    public interface Codec<V> {
        byte[] encode(V value);

        V decode(byte[] bytes);
    }

    /** Values that are bytes already. */
    public static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
            return bytes;
        }
    };

    private final KeyValueStore<Bytes, byte[]> inner;
    private final Codec<V> codec;
    private final int cleanCapacity;
    /** Changed since the last write-back; a null value is a delete. */
    private final Map<Bytes, V> dirty = new HashMap<>();
    /** As saved or read, most recently used last. */
    private final LinkedHashMap<Bytes, V> clean = new LinkedHashMap<>(16, 0.75f, true);
    /** The owner's work before each write-back ({@link #beforeEachCommit}). */
    private Runnable beforeCommit = () -> {};

    WriteBackStore(KeyValueStore<Bytes, byte[]> inner, Codec<V> codec, int cleanCapacity) {
        this.inner = inner;
        this.codec = codec;
        this.cleanCapacity = cleanCapacity;
    }

    /** A write-back store over {@code inner} (any store of bytes, e.g. an in-memory one in a test). */
    public static <V> WriteBackStore<V> over(KeyValueStore<Bytes, byte[]> inner, Codec<V> codec, int cleanCapacity) {
        return new WriteBackStore<>(inner, codec, cleanCapacity);
    }

    /** A builder of a write-back store over a persistent, logged RocksDB store named {@code name}. */
    public static <V> StoreBuilder<WriteBackStore<V>> builder(String name, Codec<V> codec, int cleanCapacity) {
        return new Builder<>(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(name),
                        org.apache.kafka.common.serialization.Serdes.Bytes(),
                        org.apache.kafka.common.serialization.Serdes.ByteArray()),
                codec,
                cleanCapacity);
    }

    /**
     * The write-back store behind what a processor's {@code getStateStore} returns (Kafka Streams hands out its
     * stores wrapped in decorators).
     */
    @SuppressWarnings("unchecked")
    public static <V> WriteBackStore<V> behind(StateStore store) {
        StateStore s = store;
        while (s instanceof org.apache.kafka.streams.state.internals.WrappedStateStore<?, ?, ?> w) {
            s = w.wrapped();
        }
        if (!(s instanceof WriteBackStore<?> found)) {
            throw new IllegalArgumentException("store " + store.name() + " is not a write-back store");
        }
        return (WriteBackStore<V>) found;
    }

    /** Writes every dirty object to the inner store (its changelog records go into the current transaction). */
    public void writeBack() {
        if (dirty.isEmpty()) {
            return;
        }
        List<KeyValue<Bytes, byte[]>> puts = new ArrayList<>(dirty.size());
        for (Map.Entry<Bytes, V> e : dirty.entrySet()) {
            if (e.getValue() == null) {
                inner.delete(e.getKey());
            } else {
                puts.add(KeyValue.pair(e.getKey(), codec.encode(e.getValue())));
                clean.put(e.getKey(), e.getValue());
            }
        }
        if (!puts.isEmpty()) {
            inner.putAll(puts);
        }
        dirty.clear();
        evict();
    }

    /** Keys changed since the last write-back. */
    public int dirtyCount() {
        return dirty.size();
    }

    @Override
    public V get(Bytes key) {
        if (dirty.containsKey(key)) {
            return dirty.get(key);
        }
        V v = clean.get(key);
        if (v != null) {
            return v;
        }
        byte[] stored = inner.get(key);
        if (stored == null) {
            return null;
        }
        v = codec.decode(stored);
        clean.put(key, v);
        evict();
        return v;
    }

    @Override
    public void put(Bytes key, V value) {
        if (value == null) {
            delete(key);
            return;
        }
        clean.remove(key);
        dirty.put(key, value);
    }

    @Override
    public V putIfAbsent(Bytes key, V value) {
        V old = get(key);
        if (old == null) {
            put(key, value);
        }
        return old;
    }

    @Override
    public void putAll(List<KeyValue<Bytes, V>> entries) {
        for (KeyValue<Bytes, V> kv : entries) {
            put(kv.key, kv.value);
        }
    }

    @Override
    public V delete(Bytes key) {
        V old = get(key);
        clean.remove(key);
        dirty.put(key, null);
        return old;
    }

    @Override
    public KeyValueIterator<Bytes, V> range(Bytes from, Bytes to) {
        writeBack();
        return decoding(inner.range(from, to));
    }

    @Override
    public KeyValueIterator<Bytes, V> all() {
        writeBack();
        return decoding(inner.all());
    }

    @Override
    public KeyValueIterator<Bytes, V> reverseAll() {
        writeBack();
        return decoding(inner.reverseAll());
    }

    @Override
    public long approximateNumEntries() {
        return inner.approximateNumEntries() + dirty.size();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        dirty.clear();
        clean.clear();
        inner.init(context, root);
    }

    /**
     * Called as Kafka Streams prepares a commit, before the transaction commits: first the owner's commit work
     * ({@link #beforeEachCommit}), then the write-back, so what that work changes is in this commit too.
     */
    @Override
    public void flushCache() {
        beforeCommit.run();
        writeBack();
    }

    /**
     * Work to run as each commit is prepared, before the write-back: an owner that sends one record per changed
     * object per commit does it here, so its records and its objects go into the same transaction.
     */
    public void beforeEachCommit(Runnable work) {
        this.beforeCommit = work;
    }

    /** Called when Kafka Streams drops a task's uncommitted state (a task closed dirty): nothing is written. */
    @Override
    public void clearCache() {
        dirty.clear();
        clean.clear();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Bytes, V> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        writeBack();
        inner.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        writeBack();
        inner.commit(changelogOffsets);
    }

    @Override
    public Long committedOffset(TopicPartition partition) {
        return inner.committedOffset(partition);
    }

    @Override
    @SuppressWarnings("deprecation")
    public boolean managesOffsets() {
        return inner.managesOffsets();
    }

    @Override
    public void close() {
        dirty.clear();
        clean.clear();
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    private void evict() {
        Iterator<Bytes> it = clean.keySet().iterator();
        while (clean.size() > cleanCapacity && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    /** The inner store's entries with their values decoded (as read, not kept in memory). */
    private KeyValueIterator<Bytes, V> decoding(KeyValueIterator<Bytes, byte[]> it) {
        return new KeyValueIterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public KeyValue<Bytes, V> next() {
                if (!it.hasNext()) {
                    throw new NoSuchElementException();
                }
                KeyValue<Bytes, byte[]> kv = it.next();
                V live = clean.get(kv.key);
                return KeyValue.pair(kv.key, live != null ? live : codec.decode(kv.value));
            }

            @Override
            public void close() {
                it.close();
            }

            @Override
            public Bytes peekNextKey() {
                return it.peekNextKey();
            }
        };
    }

    private record Builder<V>(StoreBuilder<KeyValueStore<Bytes, byte[]>> inner, Codec<V> codec, int cleanCapacity)
            implements StoreBuilder<WriteBackStore<V>> {
        @Override
        public StoreBuilder<WriteBackStore<V>> withCachingEnabled() {
            throw new UnsupportedOperationException("a write-back store is its own cache");
        }

        @Override
        public StoreBuilder<WriteBackStore<V>> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<WriteBackStore<V>> withLoggingEnabled(Map<String, String> config) {
            return new Builder<>(inner.withLoggingEnabled(config), codec, cleanCapacity);
        }

        @Override
        public StoreBuilder<WriteBackStore<V>> withLoggingDisabled() {
            return new Builder<>(inner.withLoggingDisabled(), codec, cleanCapacity);
        }

        @Override
        public WriteBackStore<V> build() {
            return new WriteBackStore<>(inner.build(), codec, cleanCapacity);
        }

        @Override
        public Map<String, String> logConfig() {
            return inner.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return inner.loggingEnabled();
        }

        @Override
        public String name() {
            return inner.name();
        }
    }
}
