package dev.sluice.processor.state;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * One memory budget for every RocksDB store of the process ({@code rocksdb.config.setter}), as Kafka Streams'
 * guide describes under "Memory management": all stores share one LRU block cache, index and filter blocks live
 * in it, and a {@link WriteBufferManager} charges every store's memtables to the same cache. So RocksDB's memory
 * is about {@link #TOTAL_BYTES_CONFIG} whatever the number of stores, where Kafka Streams' default gives each
 * store (each segment of a window store too) a 50 MB block cache and up to three 16 MB memtables, off the heap.
 *
 * <p>Sizes come from the Streams configuration: {@link #TOTAL_BYTES_CONFIG} (block cache, index and filter
 * blocks, memtables) and {@link #MEMTABLE_BYTES_CONFIG} (the memtables' share of it, at most). The memtables get
 * three quarters by default: the processor's stores are written far more than they are read back (the dedupe
 * index is looked up mostly for ids it does not hold, which the bloom filters answer), and memtables flushed
 * early cost flushes and compactions; with half of 64 MB, the ecommerce example worked through a backlog 37 %
 * slower than with Kafka Streams' defaults, with three quarters of 128 MB 12 % slower (BENCHMARKS.md, "Memory").
 * The cache and the
 * write buffer manager are made once per size for the JVM (Kafka Streams makes one setter per store) and never
 * closed: they are shared by every store, so closing one store must not close them.
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {
    /** Bytes for all RocksDB stores of the process: block cache, index and filter blocks, memtables. */
    public static final String TOTAL_BYTES_CONFIG = "sluice.rocksdb.memory.bytes";
    /** Of {@link #TOTAL_BYTES_CONFIG}, the most the memtables take (default: three quarters). */
    public static final String MEMTABLE_BYTES_CONFIG = "sluice.rocksdb.memtable.bytes";

    public static final long DEFAULT_TOTAL_BYTES = 128L * 1024 * 1024;
    /** Index and filter blocks get up to this share of the cache first (high priority), as the guide suggests. */
    static final double INDEX_FILTER_BLOCK_RATIO = 0.1;
    /** Kafka Streams' own block size. */
    static final long BLOCK_SIZE = 4 * 1024;
    /** Kafka Streams' defaults: a store switches to a new memtable at 16 MB, with up to 3 in memory. */
    static final long MEMTABLE_SIZE = 16L * 1024 * 1024;

    static final int MAX_MEMTABLES = 3;

    /** The shared cache and write buffer manager of one size; held for the JVM's life. */
    record Shared(long totalBytes, long memtableBytes, Cache cache, WriteBufferManager writeBufferManager) {}

    private static final Map<String, Shared> SHARED = new ConcurrentHashMap<>();

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Shared shared = shared(configs);
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        // these three bound RocksDB's memory by the cache's capacity
        table.setBlockCache(shared.cache());
        table.setCacheIndexAndFilterBlocks(true);
        options.setWriteBufferManager(shared.writeBufferManager());
        // recommended with them: index and filter blocks are evicted last, the top level ones never
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        table.setBlockSize(BLOCK_SIZE);
        options.setWriteBufferSize(Math.min(MEMTABLE_SIZE, Math.max(1, shared.memtableBytes() / 2)));
        options.setMaxWriteBufferNumber(MAX_MEMTABLES);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write buffer manager are shared by every store: they stay open
    }

    /**
     * Bytes held in the shared cache of the sizes in {@code configs} (blocks read, index and filter blocks, and
     * the memtables charged to it); 0 when no store uses it yet.
     */
    public static long used(Map<String, Object> configs) {
        Shared s = SHARED.get(key(configs));
        return s == null ? 0 : s.cache().getUsage();
    }

    private static String key(Map<String, Object> configs) {
        long total = bytes(configs.get(TOTAL_BYTES_CONFIG), DEFAULT_TOTAL_BYTES);
        return total + "/" + Math.min(total, bytes(configs.get(MEMTABLE_BYTES_CONFIG), total / 4 * 3));
    }

    /** The cache and write buffer manager for the sizes in {@code configs}, made on first use. */
    static Shared shared(Map<String, Object> configs) {
        long total = bytes(configs.get(TOTAL_BYTES_CONFIG), DEFAULT_TOTAL_BYTES);
        long memtables = Math.min(total, bytes(configs.get(MEMTABLE_BYTES_CONFIG), total / 4 * 3));
        return SHARED.computeIfAbsent(key(configs), k -> {
            RocksDB.loadLibrary(); // loaded already when Kafka Streams opens a store; not when a caller comes first
            // not strict: a full cache evicts, it never fails a read or a write
            LRUCache cache = new LRUCache(total, -1, false, INDEX_FILTER_BLOCK_RATIO);
            return new Shared(total, memtables, cache, new WriteBufferManager(memtables, cache));
        });
    }

    private static long bytes(Object value, long dflt) {
        if (value == null) {
            return dflt;
        }
        long v = value instanceof Number n
                ? n.longValue()
                : Long.parseLong(value.toString().trim());
        if (v <= 0) {
            throw new IllegalArgumentException("RocksDB memory must be positive, got " + value);
        }
        return v;
    }
}
