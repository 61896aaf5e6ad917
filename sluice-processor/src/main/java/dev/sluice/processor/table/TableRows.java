package dev.sluice.processor.table;

import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.TableDef;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.CommitWork;
import dev.sluice.processor.state.WriteBackStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The second half of a table, in the task owning a key: keeps each key's row with the newest event time (a row
 * older than the key's current one is dropped and counted late for the table; of two with the same time, the
 * later one read wins), in a logged store restored on restart. As Kafka Streams prepares each commit, each key
 * whose row changed since the last one is forwarded once, its newest row, to the table's compacted topic inside
 * the commit's transaction; so the topic carries one record per key changed per commit, not one per event.
 */
public final class TableRows implements Processor<byte[], byte[], byte[], Routed> {
    private final String storeName;
    private final ComponentMetrics metrics;
    private ProcessorContext<byte[], Routed> context;
    private WriteBackStore<byte[]> rows;
    /** Keys whose row changed since the last commit, in the order they first changed, with their new row. */
    private final Map<Bytes, byte[]> changed = new LinkedHashMap<>();

    private long newestTime = 0;

    public TableRows(TableDef table, String storeName, PipelineMetrics metrics) {
        this.storeName = storeName;
        this.metrics = metrics.table(table.name());
    }

    /** The store of the table's rows, by key. */
    public static StoreBuilder<WriteBackStore<byte[]>> store(String name) {
        return WriteBackStore.builder(name, WriteBackStore.BYTES, 10_000);
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.context = context;
        this.rows = WriteBackStore.behind(context.getStateStore(storeName));
        changed.clear();
        rows.beforeEachCommit(CommitWork.forwarding(context, () -> newestTime, this::sendChanged));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Bytes key = Bytes.wrap(record.key());
        byte[] row = record.value();
        byte[] current = rows.get(key);
        if (current != null && TableRow.time(current) > TableRow.time(row)) {
            metrics.discarded(ComponentMetrics.LATE, 1);
            return;
        }
        rows.put(key, row);
        changed.put(key, row);
        newestTime = Math.max(newestTime, TableRow.time(row));
    }

    /** As each commit is prepared: each changed key's newest row goes to the table topic. */
    private void sendChanged() {
        for (Map.Entry<Bytes, byte[]> e : changed.entrySet()) {
            context.forward(new Record<>(
                    e.getKey().get(),
                    new Routed(Routed.Target.NEXT, TableRow.json(e.getValue())),
                    Math.max(0, TableRow.time(e.getValue()))));
        }
        changed.clear();
    }
}
