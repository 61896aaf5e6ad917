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

    /** The inner store's calls, by method name, and the inner store answering them. */
    final List<String> calls = new ArrayList<>();

    @SuppressWarnings("unchecked")
    WriteBackStore<Counter> recording() {
        KeyValueStore<Bytes, byte[]> recorded = (KeyValueStore<Bytes, byte[]>) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    try {
                        return method.invoke(inner, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return WriteBackStore.over(recorded, codec, 2);
    }

    static Counter counter(long n) {
        Counter c = new Counter();
        c.n = n;
        return c;
    }

    @Test
    void whatKafkaStreamsAsksOfTheStoreIsAnsweredByTheInnerStore() {
        WriteBackStore<Counter> s = recording();
        assertThat(s.name()).isEqualTo("s");
        assertThat(s.persistent()).as("in memory here").isFalse();
        assertThat(s.isOpen()).isTrue();
        assertThat(s.managesOffsets()).isFalse();
        assertThat(s.getPosition()).isSameAs(inner.getPosition());
        assertThat(s.committedOffset(new org.apache.kafka.common.TopicPartition("t", 0)))
                .isNull();
        assertThat(s.query(
                        org.apache.kafka.streams.query.KeyQuery.withKey(key("a")),
                        org.apache.kafka.streams.query.PositionBound.unbounded(),
                        new org.apache.kafka.streams.query.QueryConfig(false)))
                .isNotNull();
        assertThat(calls)
                .containsExactly(
                        "name", "persistent", "isOpen", "managesOffsets", "getPosition", "committedOffset", "query");
        assertThat(s.setFlushListener(null, false))
                .as("it has no listener to call")
                .isFalse();
        calls.clear();
        s.commit(java.util.Map.of());
        s.flush();
        assertThat(calls).containsExactly("commit", "flush");
        s.close();
        assertThat(calls).containsExactly("commit", "flush", "close");
        assertThat(inner.isOpen()).isFalse();
        assertThat(s.isOpen()).isFalse();
    }

    @Test
    void theEntriesCountedAreTheInnerStoresPlusTheChangedOnes() {
        store.put(key("a"), counter(1));
        store.flush();
        store.put(key("b"), counter(2));
        store.put(key("c"), counter(3));
        assertThat(store.dirtyCount()).isEqualTo(2);
        assertThat(store.approximateNumEntries()).isEqualTo(3);
        store.flush();
        assertThat(store.dirtyCount()).isZero();
    }

    @Test
    void putIfAbsentAndPutAllGoThroughTheSameMemory() {
        Counter a = counter(1);
        assertThat(store.putIfAbsent(key("a"), a)).isNull();
        assertThat(store.putIfAbsent(key("a"), counter(9))).isSameAs(a);
        store.putAll(List.of(KeyValue.pair(key("b"), counter(2)), KeyValue.pair(key("a"), null)));
        assertThat(store.get(key("a"))).as("a null value deletes").isNull();
        assertThat(store.get(key("b")).n).isEqualTo(2);
        store.flush();
        assertThat(stored("a")).isNull();
        assertThat(stored("b")).isEqualTo("2");
    }

    @Test
    void aDirtyCloseOrAReopenForgetsWhatWasNotCommittedAndWhatWasInMemory() {
        store.put(key("a"), counter(1));
        store.flush();
        Counter live = store.get(key("a"));
        live.n = 5; // changed without a put: not saved
        store.put(key("b"), counter(2));
        store.clearCache(); // Kafka Streams closed the task dirty
        assertThat(store.get(key("b"))).isNull();
        assertThat(store.get(key("a")).n).as("read back from the inner store").isEqualTo(1);
        store.flush();
        assertThat(stored("b")).isNull();

        store.get(key("a")).n = 6;
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        assertThat(store.get(key("a")).n).isEqualTo(1);
    }

    @Test
    void atMostTheBoundOfSavedObjectsStaysInMemoryMostRecentlyUsedLast() {
        for (String k : List.of("a", "b", "c")) {
            store.put(key(k), counter(k.charAt(0)));
        }
        store.flush(); // memory holds 2 of them
        Counter b = store.get(key("b"));
        Counter c = store.get(key("c"));
        Counter a = store.get(key("a")); // read back from the inner store: a new object; b goes
        assertThat(store.get(key("c"))).as("still in memory").isSameAs(c);
        assertThat(store.get(key("a"))).isSameAs(a);
        assertThat(store.get(key("b"))).as("evicted: decoded again").isNotSameAs(b);
        assertThat(store.get(key("b")).n).isEqualTo('b');
    }

    @Test
    void aReverseReadWritesTheChangesBackFirstAndSeesTheLiveObjects() {
        store.put(key("a"), counter(1));
        store.put(key("b"), counter(2));
        Counter b = store.get(key("b"));
        List<Long> seen = new ArrayList<>();
        try (KeyValueIterator<Bytes, Counter> it = store.reverseAll()) {
            assertThat(it.peekNextKey()).isEqualTo(key("b"));
            KeyValue<Bytes, Counter> first = it.next();
            assertThat(first.value).as("the object in memory, not a copy").isSameAs(b);
            seen.add(first.value.n);
            seen.add(it.next().value.n);
            assertThat(it.hasNext()).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(it::next)
                    .isInstanceOf(java.util.NoSuchElementException.class);
        }
        assertThat(seen).containsExactly(2L, 1L);
        assertThat(stored("a")).isEqualTo("1");
    }

    @Test
    void theIteratorClosesTheInnerOne() {
        boolean[] closed = {false};
        @SuppressWarnings("unchecked")
        KeyValueStore<Bytes, byte[]> watched = (KeyValueStore<Bytes, byte[]>) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    Object r = method.invoke(inner, args);
                    if (method.getName().equals("all")) {
                        KeyValueIterator<Bytes, byte[]> it = (KeyValueIterator<Bytes, byte[]>) r;
                        return new KeyValueIterator<Bytes, byte[]>() {
                            public boolean hasNext() {
                                return it.hasNext();
                            }

                            public KeyValue<Bytes, byte[]> next() {
                                return it.next();
                            }

                            public void close() {
                                closed[0] = true;
                                it.close();
                            }

                            public Bytes peekNextKey() {
                                return it.peekNextKey();
                            }
                        };
                    }
                    return r;
                });
        WriteBackStore<Counter> s = WriteBackStore.over(watched, codec, 2);
        s.all().close();
        assertThat(closed[0]).isTrue();
    }

    @Test
    void theBuilderBuildsAnUncachedStoreAndPassesLoggingToItsInnerStore() {
        var b = WriteBackStore.builder("rows", codec, 10);
        assertThat(b.name()).isEqualTo("rows");
        assertThat(b.loggingEnabled()).as("logged by default").isTrue();
        assertThat(b.withCachingDisabled()).isSameAs(b);
        org.assertj.core.api.Assertions.assertThatThrownBy(b::withCachingEnabled)
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("a write-back store is its own cache");
        var logged = b.withLoggingEnabled(java.util.Map.of("retention.ms", "1000"));
        assertThat(logged.loggingEnabled()).isTrue();
        assertThat(logged.logConfig()).containsEntry("retention.ms", "1000");
        var unlogged = b.withLoggingDisabled();
        assertThat(unlogged.loggingEnabled()).isFalse();
        assertThat(unlogged.name()).isEqualTo("rows");
        WriteBackStore<Counter> built = unlogged.build();
        assertThat(built.name()).isEqualTo("rows");
        assertThat(built.persistent()).as("RocksDB").isTrue();
        assertThat(built.managesOffsets())
                .as("RocksDB keeps its changelog offsets itself: Kafka Streams must be told so")
                .isTrue();
        assertThat(WriteBackStore.behind(built)).isSameAs(built);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WriteBackStore.behind(inner))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("store s is not a write-back store");
    }
}
