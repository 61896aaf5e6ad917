package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.GraphTopology.BYTES;

import dev.sluice.pipeline.graph.ProcessingGraph.StreamNode;
import dev.sluice.processor.Routed;
import dev.sluice.processor.dedupe.Dedupe;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * A stream node: reads the stream topic and drops events whose id it has seen within the stream's dedup
 * horizon ({@link Dedupe}); events it cannot read go to the dead-letter topic. Its output is each new event.
 */
final class StreamNodeBuilder {
    private StreamNodeBuilder() {}

    static KStream<byte[], Routed> build(GraphTopology.Context ctx, StreamNode node) {
        String name = node.name();
        ctx.builder()
                .addStateStore(Dedupe.store(node.dedupStore(), node.stream().dedupHorizon()));
        KStream<byte[], Routed> deduped = ctx.builder().stream(
                        ctx.pipeline().streamTopic(name),
                        Consumed.with(BYTES, BYTES).withName(name + "-source"))
                .process(
                        () -> new Dedupe(node.stream(), node.dedupStore(), ctx.metrics()),
                        Named.as(name + "-dedupe"),
                        node.dedupStore());
        return GraphTopology.deadLettersOut(ctx.pipeline(), deduped, name + "-dedupe-");
    }
}
