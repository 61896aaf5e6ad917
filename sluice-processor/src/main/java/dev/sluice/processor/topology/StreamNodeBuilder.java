package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.GraphTopology.BYTES;

import dev.sluice.pipeline.graph.ProcessingGraph.StreamNode;
import dev.sluice.processor.Routed;
import dev.sluice.processor.dedupe.Dedupe;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * A stream node: reads the stream topic, parses each event once and drops those whose id it has seen within the
 * stream's dedup horizon ({@link Dedupe}); events it cannot read go to the dead-letter topic, and its verdicts
 * (which offsets it accepted, once per commit) to the stream's accepted-records topic, each into the partition
 * number of the stream partition it judged. Its output is each new event, parsed.
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
        String prefix = name + "-dedupe-";
        Map<String, KStream<byte[], Routed>> b = deduped.split(Named.as(prefix))
                .branch((k, v) -> v.target() == Routed.Target.ACCEPTED, Branched.as("accepted"))
                .branch((k, v) -> v.target() == Routed.Target.DLQ, Branched.as("dlq"))
                .defaultBranch(Branched.as("ok"));
        b.get(prefix + "accepted")
                .mapValues(Routed::bytes, Named.as(name + "-accepted-bytes"))
                .to(
                        ctx.pipeline().acceptedTopic(name),
                        Produced.with(BYTES, BYTES)
                                .withName(name + "-accepted-sink")
                                .withStreamPartitioner((topic, key, value, count) ->
                                        Optional.of(Set.of(ByteBuffer.wrap(key).getInt() % count))));
        GraphTopology.write(
                b.get(prefix + "dlq"), prefix + "dlq", ctx.pipeline().dlqTopic());
        return b.get(prefix + "ok");
    }
}
