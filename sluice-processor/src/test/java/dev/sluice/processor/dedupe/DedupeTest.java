package dev.sluice.processor.dedupe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.StreamDef;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.WriteBackStore;
import dev.sluice.wire.Accepted;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dedup state across restarts and aborted transactions, driven through {@link MockProcessorContext} with
 * in-memory stores, so a test decides what a crash keeps: the batches store (the logged truth) keeps only what a
 * commit wrote; the index (local) keeps everything, or nothing when it was wiped.
 */
class DedupeTest {
    static final Dedupe.Names NAMES = new Dedupe.Names("batches", "index", "indexed");
    static final Duration HORIZON = Duration.ofHours(24);
    static final long T0 = 1_800_000_000_000L;

    /** The logged store's committed contents: what survives a crash. */
    KeyValueStore<Bytes, byte[]> committed;

    WriteBackStore<byte[]> batches;
    WindowStore<String, byte[]> index;
    KeyValueStore<String, Long> indexed;
    MockProcessorContext<byte[], Routed> context;
    StreamDef stream;

    @BeforeEach
    void freshStores() {
        committed = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore("batches"), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        index = Stores.windowStoreBuilder(
                        Stores.inMemoryWindowStore("index", HORIZON, Duration.ofMillis(1), false),
                        Serdes.String(),
                        Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        indexed = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("indexed"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled()
                .build();
        stream = dev.sluice.processor.topology.SalesTopology.sales(HORIZON);
        context = new MockProcessorContext<>();
        committed.init(context.getStateStoreContext(), committed);
        index.init(context.getStateStoreContext(), index);
        indexed.init(context.getStateStoreContext(), indexed);
    }

    /** A task start: a new run over the committed batches and whatever the index holds. */
    Dedupe start() {
        context = new MockProcessorContext<>();
        batches = WriteBackStore.over(committed, WriteBackStore.BYTES, 1);
        context.addStateStore(batches);
        context.addStateStore(index);
        context.addStateStore(indexed);
        Dedupe d = new Dedupe(stream, NAMES);
        d.init(context);
        return d;
    }

    /** Which of these ids the dedupe passes on. */
    List<String> passed(Dedupe d, String... ids) {
        context.resetForwards();
        for (String id : ids) {
            byte[] event = ("{\"id\":\"" + id + "\",\"t\":" + T0 + "}").getBytes(StandardCharsets.UTF_8);
            d.process(new Record<>(id.getBytes(StandardCharsets.UTF_8), event, T0));
        }
        return context.forwarded().stream()
                .filter(f -> f.record().value().target() == Routed.Target.NEXT)
                .map(f -> ((dev.sluice.processor.ParsedEvent) f.record().value().value()).id())
                .toList();
    }

    /** Processes {@code values} as the records at {@code offset}, {@code offset + 1}, ... of a partition. */
    void read(Dedupe d, int partition, long offset, String... values) {
        for (String v : values) {
            context.setRecordMetadata("shop.sales", partition, offset++);
            d.process(new Record<>(null, v.getBytes(StandardCharsets.UTF_8), T0));
        }
    }

    static String event(String id) {
        return "{\"id\":\"" + id + "\",\"t\":" + T0 + "}";
    }

    /** The verdicts forwarded so far, decoded. */
    List<Accepted> verdicts() {
        return context.forwarded().stream()
                .filter(f -> f.record().value().target() == Routed.Target.ACCEPTED)
                .map(f -> Accepted.decode(f.record().value().bytes()))
                .toList();
    }

    static String describe(Accepted a) {
        return a.partition() + ":[" + a.from() + "," + a.to() + ") dropped " + java.util.Arrays.toString(a.dropped());
    }

    @Test
    void eachCommitSendsTheVerdictOnTheOffsetsItJudged() {
        Dedupe d = start();
        context.resetForwards();
        read(d, 2, 10, event("a"), event("b"), event("a"), event("c"), "not json", event("d"), event("b"), event("c"));
        assertThat(verdicts()).as("nothing before the commit").isEmpty();
        commit();
        assertThat(verdicts())
                .extracting(DedupeTest::describe)
                .as("the duplicate at 12, the unreadable record at 14, and the run of duplicates at 16-17")
                .containsExactly("2:[10,18) dropped [12, 1, 14, 1, 16, 2]");
        assertThat(context.forwarded().stream()
                        .filter(f -> f.record().value().target() == Routed.Target.ACCEPTED)
                        .map(f -> java.nio.ByteBuffer.wrap(f.record().key()).getInt()))
                .as("keyed by the partition it judged, which its partitioner writes it to")
                .containsExactly(2);
        context.resetForwards();
        commit();
        assertThat(verdicts()).as("a commit with nothing judged sends none").isEmpty();
        read(d, 2, 18, event("e"));
        commit();
        assertThat(verdicts()).extracting(DedupeTest::describe).containsExactly("2:[18,19) dropped []");
    }

    @Test
    void aRunOfDuplicatesTooLongForOneVerdictIsSentInSeveral() {
        Dedupe d = start();
        read(d, 0, 0, event("a"));
        context.resetForwards();
        // every other record a duplicate: one dropped range each
        long offset = 1;
        for (int i = 0; i < Accepted.MAX_RANGES; i++) {
            read(d, 0, offset++, event("a"));
            read(d, 0, offset++, event("n" + i));
        }
        List<Accepted> early = verdicts();
        assertThat(early).extracting(DedupeTest::describe).hasSize(1);
        assertThat(early.get(0).from()).isZero();
        assertThat(early.get(0).to()).isEqualTo(2L * Accepted.MAX_RANGES);
        assertThat(early.get(0).dropped()).hasSize(2 * Accepted.MAX_RANGES);
        context.resetForwards();
        commit();
        assertThat(verdicts())
                .extracting(DedupeTest::describe)
                .containsExactly("0:[" + 2L * Accepted.MAX_RANGES + "," + offset + ") dropped []");
    }

    /** Kafka Streams prepares a commit: the pending ids become a batch, written back to the logged store. */
    void commit() {
        batches.flushCache();
    }

    /** A crash: the transaction is aborted, the logged store keeps only what was committed. */
    void crash() {
        batches.clearCache();
    }

    int storedBatches() {
        int n = 0;
        try (KeyValueIterator<Bytes, byte[]> it = committed.all()) {
            while (it.hasNext()) {
                it.next();
                n++;
            }
        }
        return n;
    }

    @Test
    void aCommitWritesOneBatchRecordForAllItsNewIds() {
        Dedupe d = start();
        assertThat(passed(d, "a", "b", "a", "c", "b")).containsExactly("a", "b", "c");
        assertThat(storedBatches()).as("nothing written before the commit").isZero();
        commit();
        assertThat(storedBatches()).isEqualTo(1);
        assertThat(passed(d, "a", "d")).containsExactly("d");
        commit();
        assertThat(storedBatches()).isEqualTo(2);
    }

    @Test
    void committedIdsAreRememberedAfterARestartThatLostTheIndex() {
        Dedupe d = start();
        passed(d, "a", "b");
        commit();
        freshIndex();
        Dedupe again = start();
        assertThat(passed(again, "a", "b", "c"))
                .as("the index was rebuilt from the batches")
                .containsExactly("c");
    }

    @Test
    void idsOfAnAbortedTransactionDoNotCountAfterTheRestart() {
        Dedupe d = start();
        passed(d, "a");
        commit();
        passed(d, "x"); // in the index, but its transaction never commits
        crash();
        Dedupe again = start();
        assertThat(passed(again, "a", "x"))
                .as("x is reprocessed after the crash and must count once")
                .containsExactly("x");
    }

    @Test
    void anAbortedRunsEntryDoesNotCountWhenALaterRunReusesItsBatchNumber() {
        Dedupe first = start();
        passed(first, "x"); // batch 0 of the first run, never committed
        crash();
        Dedupe second = start();
        assertThat(passed(second, "y")).containsExactly("y"); // batch 0 again, of the second run
        commit();
        Dedupe third = start();
        assertThat(passed(third, "x", "y")).containsExactly("x");
    }

    @Test
    void aLargeCommitIsSplitIntoBatchesThatEachFitARecord() {
        Dedupe d = start();
        String[] ids = new String[Dedupe.IDS_PER_BATCH + 1];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = "id-" + i;
        }
        assertThat(passed(d, ids)).hasSize(ids.length);
        commit();
        assertThat(storedBatches()).isEqualTo(2);
        freshIndex();
        assertThat(passed(start(), "id-0", "id-" + Dedupe.IDS_PER_BATCH, "new")).containsExactly("new");
    }

    /** The local stores lost (as Kafka Streams wipes a task's state after a crash under exactly-once). */
    void freshIndex() {
        index = Stores.windowStoreBuilder(
                        Stores.inMemoryWindowStore("index", HORIZON, Duration.ofMillis(1), false),
                        Serdes.String(),
                        Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        indexed = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("indexed"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled()
                .build();
        index.init(context.getStateStoreContext(), index);
        indexed.init(context.getStateStoreContext(), indexed);
    }
}
