package dev.sluice.processor.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;

/** Every RocksDB store gets the one shared cache, and its memtables are charged to it. */
class BoundedRocksDbMemoryTest {
    @TempDir
    Path dir;

    /** As Kafka Streams hands a store's options to the setter: its own table config, with its own cache. */
    static Options storeOptions() {
        Options o = new Options();
        o.setTableFormatConfig(new BlockBasedTableConfigWithAccessibleCache());
        return o;
    }

    @Test
    void everyStoreGetsTheSharedCacheAndWriteBufferManager() {
        Map<String, Object> configs = Map.of(BoundedRocksDbMemory.TOTAL_BYTES_CONFIG, 24L << 20);
        BoundedRocksDbMemory setter = new BoundedRocksDbMemory();
        try (Options a = storeOptions();
                Options b = storeOptions()) {
            setter.setConfig("a", a, configs);
            new BoundedRocksDbMemory().setConfig("b", b, configs); // Kafka Streams makes one setter per store
            BoundedRocksDbMemory.Shared shared = BoundedRocksDbMemory.shared(configs);
            assertThat(shared.totalBytes()).isEqualTo(24L << 20);
            assertThat(shared.memtableBytes()).isEqualTo(18L << 20);
            for (Options o : new Options[] {a, b}) {
                assertThat(((BlockBasedTableConfigWithAccessibleCache) o.tableFormatConfig()).blockCache())
                        .isSameAs(shared.cache());
                assertThat(((BlockBasedTableConfigWithAccessibleCache) o.tableFormatConfig())
                                .cacheIndexAndFilterBlocks())
                        .isTrue();
                assertThat(o.writeBufferSize()).isEqualTo(9L << 20);
                assertThat(o.maxWriteBufferNumber()).isEqualTo(3);
            }
            setter.close("a", a);
            assertThat(shared.cache().isOwningHandle())
                    .as("closing a store keeps the shared cache")
                    .isTrue();
        }
    }

    @Test
    void sizesFromTheConfigurationAsNumbersOrText() {
        BoundedRocksDbMemory.Shared s = BoundedRocksDbMemory.shared(Map.of(
                BoundedRocksDbMemory.TOTAL_BYTES_CONFIG,
                "33554432",
                BoundedRocksDbMemory.MEMTABLE_BYTES_CONFIG,
                4L << 20));
        assertThat(s.totalBytes()).isEqualTo(32L << 20);
        assertThat(s.memtableBytes()).isEqualTo(4L << 20);
        assertThat(BoundedRocksDbMemory.shared(Map.of()).totalBytes())
                .isEqualTo(BoundedRocksDbMemory.DEFAULT_TOTAL_BYTES);
        assertThatThrownBy(() -> BoundedRocksDbMemory.shared(Map.of(BoundedRocksDbMemory.TOTAL_BYTES_CONFIG, 0)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theStoresOfATopologyWriteIntoTheSharedCache() {
        long total = 20L << 20; // a size of this test's own, so no other test shares its cache
        StreamsBuilder builder = new StreamsBuilder();
        for (String name : new String[] {"one", "two"}) {
            builder.addStateStore(
                    Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.String())
                            .withLoggingDisabled());
        }
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .process(
                        () -> new Processor<String, String, Void, Void>() {
                            KeyValueStore<String, String> one;
                            KeyValueStore<String, String> two;

                            @Override
                            public void init(ProcessorContext<Void, Void> context) {
                                one = context.getStateStore("one");
                                two = context.getStateStore("two");
                            }

                            @Override
                            public void process(Record<String, String> r) {
                                one.put(r.key(), r.value());
                                two.put(r.value(), r.key());
                            }
                        },
                        "one",
                        "two");
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "bounded-rocksdb");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
        p.put(BoundedRocksDbMemory.TOTAL_BYTES_CONFIG, total);
        BoundedRocksDbMemory.Shared shared =
                BoundedRocksDbMemory.shared(Map.of(BoundedRocksDbMemory.TOTAL_BYTES_CONFIG, total));
        long before = shared.cache().getUsage();
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), p)) {
            TestInputTopic<String, String> in =
                    driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            for (int i = 0; i < 2_000; i++) {
                in.pipeInput("k" + i, "v" + i);
            }
            // the memtables of both stores are charged to the shared cache
            assertThat(shared.cache().getUsage()).isGreaterThan(before);
            assertThat(shared.cache().getUsage()).isLessThanOrEqualTo(total + (1L << 20));
        }
    }
}
