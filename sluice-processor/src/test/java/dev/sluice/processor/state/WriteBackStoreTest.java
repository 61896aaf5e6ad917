package dev.sluice.processor.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write-back store keeps objects in memory between commits and writes each changed key once per commit;
 * what it has not written at a commit is not in the inner store (so not in the changelog, so not restored).
 */
class WriteBackStoreTest {
    /** A mutable counter as the stored object; its codec counts how often it encodes. */
    static final class Counter {
        long n;
    }

    int encodes;
    KeyValueStore<Bytes, byte[]> inner;
    WriteBackStore<Counter> store;

    final WriteBackStore.Codec<Counter> codec = new WriteBackStore.Codec<>() {
        @Override
        public byte[] encode(Counter c) {
            encodes++;
            return Long.toString(c.n).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Counter decode(byte[] bytes) {
            Counter c = new Counter();
            c.n = Long.parseLong(new String(bytes, StandardCharsets.UTF_8));
            return c;
        }
    };

    @BeforeEach
    void open() {
        inner = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("s"), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        store = WriteBackStore.over(inner, codec, 2);
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    }

    static Bytes key(String k) {
        return Bytes.wrap(k.getBytes(StandardCharsets.UTF_8));
    }

    String stored(String k) {
        byte[] b = inner.get(key(k));
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void aKeyChangedManyTimesBetweenCommitsIsEncodedAndWrittenOnce() {
        Counter c = new Counter();
        for (int i = 0; i < 1000; i++) {
            c.n++;
            store.put(key("a"), c);
        }
        assertThat(store.get(key("a"))).isSameAs(c);
        assertThat(stored("a")).as("nothing written before the commit").isNull();
        assertThat(encodes).isZero();

        store.flushCache(); // Kafka Streams prepares the commit: before the transaction commits

        assertThat(stored("a")).isEqualTo("1000");
        assertThat(encodes).isEqualTo(1);
        store.flush();
        assertThat(encodes).as("a commit with nothing changed writes nothing").isEqualTo(1);
    }

    @Test
    void aDeleteReachesTheInnerStoreAtTheCommit() {
        Counter c = new Counter();
        c.n = 7;
        store.put(key("a"), c);
        store.flush();
        assertThat(store.delete(key("a"))).isSameAs(c);
        assertThat(store.get(key("a"))).isNull();
        assertThat(stored("a")).isEqualTo("7");
        store.flush();
        assertThat(stored("a")).isNull();
    }

    @Test
    void whatWasNotCommittedIsGoneAfterAReopen() {
        Counter c = new Counter();
        c.n = 1;
        store.put(key("a"), c);
        store.flush();
        c.n = 2;
        store.put(key("a"), c);
        store.init(new MockProcessorContext<>().getStateStoreContext(), store); // a restart: memory is empty
        assertThat(store.get(key("a")).n).isEqualTo(1);
    }

    @Test
    void rangeReadsSeeUncommittedChangesAndSavedObjectsStayBoundedInMemory() {
        for (String k : List.of("a", "b", "c", "d")) {
            Counter c = new Counter();
            c.n = k.charAt(0);
            store.put(key(k), c);
        }
        List<Long> seen = new ArrayList<>();
        try (KeyValueIterator<Bytes, Counter> it = store.range(key("b"), key("c"))) {
            while (it.hasNext()) {
                KeyValue<Bytes, Counter> kv = it.next();
                seen.add(kv.value.n);
            }
        }
        assertThat(seen).containsExactly((long) 'b', (long) 'c');
        assertThat(stored("d")).as("a range read writes the changes back first").isEqualTo(Long.toString('d'));
        int before = encodes;
        Counter a = store.get(key("a"));
        assertThat(a.n).isEqualTo('a');
        assertThat(encodes).isEqualTo(before);
    }
}
