package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.GraphTopology.BYTES;

import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.graph.ProcessingGraph.TableNode;
import dev.sluice.processor.Routed;
import dev.sluice.processor.table.TableKeying;
import dev.sluice.processor.table.TableRows;
import java.util.Map;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * A table node, in two halves: in the task of each input partition, each event becomes its table row keyed by
 * the table's key ({@link TableKeying}; events without a key value to the dead-letter topic); the rows move to
 * the task owning their key (the {@code <table>-table-by-key} topic, as many partitions as the stream, Kafka's
 * default partitioner on the key), which keeps each key's newest row by event time in a logged store and sends
 * each changed key's row once per commit to the compacted topic {@code <pipeline>.table.<table>} ({@link
 * TableRows}), partitioned by key like the topic before it. The node's output is the table's row changes.
 */
final class TableNodeBuilder {
    private TableNodeBuilder() {}

    static KStream<byte[], Routed> build(GraphTopology.Context ctx, TableNode node, KStream<byte[], Routed> events) {
        String n = node.name();
        StreamDef stream = ctx.graph().streamOf(node).stream();
        Map<String, KStream<byte[], Routed>> keyed = events.process(
                        () -> new TableKeying(node.table(), ctx.metrics()), Named.as(n + "-table-key"))
                .split(Named.as(n + "-table-key-"))
                .branch((k, v) -> v.target() == Routed.Target.NEXT, Branched.as("rows"))
                .defaultBranch(Branched.as("dlq"));
        GraphTopology.write(
                keyed.get(n + "-table-key-dlq"),
                n + "-table-key-dlq",
                ctx.pipeline().dlqTopic());
        ctx.builder().addStateStore(TableRows.store(node.rowsStore()));
        KStream<byte[], Routed> changes = keyed.get(n + "-table-key-rows")
                .mapValues(Routed::bytes, Named.as(n + "-table-row-bytes"))
                .repartition(Repartitioned.with(BYTES, BYTES)
                        .withName(node.byKeyTopic())
                        .withNumberOfPartitions(stream.partitions()))
                .process(
                        () -> new TableRows(node.table(), node.rowsStore(), ctx.metrics()),
                        Named.as(n + "-table-rows"),
                        node.rowsStore());
        GraphTopology.write(changes, n + "-table", ctx.pipeline().tableTopic(n));
        return changes;
    }
}
