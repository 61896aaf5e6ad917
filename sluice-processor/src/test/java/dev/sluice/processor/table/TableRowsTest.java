package dev.sluice.processor.table;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.TableDef;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.WriteBackStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The owner half of a table on its own: nothing leaves before Kafka Streams prepares a commit, then one record per
 * key changed (its newest row), and a task started again over what the store committed keeps comparing against the
 * committed rows.
 */
class TableRowsTest {
    static final TableDef TABLE = new TableDef("t", "s", List.of("k"), List.of());

    /** The rows store's committed contents: what its changelog holds and a restarted task restores. */
    KeyValueStore<Bytes, byte[]> committed;

    WriteBackStore<byte[]> rows;
    MockProcessorContext<byte[], Routed> context;

    @BeforeEach
    void freshStore() {
        committed = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore("rows"), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        context = new MockProcessorContext<>();
        committed.init(context.getStateStoreContext(), committed);
    }

    TableRows start() {
        context = new MockProcessorContext<>();
        rows = WriteBackStore.over(committed, WriteBackStore.BYTES, 10);
        context.addStateStore(rows);
        TableRows t = new TableRows(TABLE, "rows", PipelineMetrics.none());
        t.init(context);
        return t;
    }

    static void process(TableRows t, String key, long time, String json) {
        t.process(new Record<>(
                key.getBytes(StandardCharsets.UTF_8),
                TableRow.encode(time, json.getBytes(StandardCharsets.UTF_8)),
                time));
    }

    /** Kafka Streams prepares a commit: the changed rows go out, then the store is written back. */
    List<String> commit() {
        rows.flushCache();
        List<String> out = context.forwarded().stream()
                .map(f -> new String(f.record().key(), StandardCharsets.UTF_8) + "="
                        + new String(f.record().value().bytes(), StandardCharsets.UTF_8) + "@"
                        + f.record().timestamp())
                .toList();
        context.resetForwards();
        return out;
    }

    @Test
    void sendsEachChangedKeysNewestRowOncePerCommit() {
        TableRows t = start();
        process(t, "a", 10, "{\"v\":1}");
        process(t, "b", 11, "{\"v\":2}");
        process(t, "a", 12, "{\"v\":3}");
        process(t, "a", 5, "{\"v\":4}"); // older than a's row
        assertThat(context.forwarded()).as("nothing before the commit").isEmpty();
        assertThat(commit()).containsExactly("a={\"v\":3}@12", "b={\"v\":2}@11");
        assertThat(commit()).as("nothing changed since").isEmpty();
        process(t, "b", 11, "{\"v\":5}"); // the same time: the later one wins
        assertThat(commit()).containsExactly("b={\"v\":5}@11");
    }

    @Test
    void aRestartedTaskComparesWithTheCommittedRows() {
        TableRows t = start();
        process(t, "a", 30, "{\"v\":1}");
        assertThat(commit()).containsExactly("a={\"v\":1}@30");
        process(t, "a", 40, "{\"v\":2}"); // not committed: lost with the task, as an aborted transaction is
        TableRows again = start();
        process(again, "a", 20, "{\"v\":3}"); // older than the committed row
        process(again, "b", 20, "{\"v\":4}");
        assertThat(commit()).containsExactly("b={\"v\":4}@20");
        process(again, "a", 35, "{\"v\":5}"); // newer than the committed row (the uncommitted 40 never counted)
        assertThat(commit()).containsExactly("a={\"v\":5}@35");
    }
}
