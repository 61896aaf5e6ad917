package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.GraphTopology.BYTES;

import dev.sluice.pipeline.graph.ProcessingGraph.StreamNode;
import dev.sluice.processor.Routed;
import dev.sluice.processor.dedupe.Dedupe;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * A stream node: reads the stream topic, parses each event once and drops those whose id it has seen within the
 * stream's dedup horizon ({@link Dedupe}); events it cannot read go to the dead-letter topic. Its output is each
 * new event, parsed.
 */
final class StreamNodeBuilder {
    private StreamNodeBuilder() {}

    static KStream<byte[], Routed> build(GraphTopology.Context ctx, StreamNode node) {
        String name = node.name();
        Dedupe.Names stores =
                new Dedupe.Names(node.dedupBatchesStore(), node.dedupIndexStore(), node.dedupIndexedStore());
        Dedupe.stores(stores, node.stream().dedupHorizon()).forEach(ctx.builder()::addStateStore);
        KStream<byte[], Routed> deduped = ctx.builder().stream(
                        ctx.pipeline().streamTopic(name),
                        Consumed.with(BYTES, BYTES).withName(name + "-source"))
                .process(
                        () -> new Dedupe(node.stream(), stores, ctx.metrics()),
                        Named.as(name + "-dedupe"),
                        stores.batches(),
                        stores.index(),
                        stores.indexed());
        return GraphTopology.deadLettersOut(ctx.pipeline(), deduped, name + "-dedupe-");
    }
}
