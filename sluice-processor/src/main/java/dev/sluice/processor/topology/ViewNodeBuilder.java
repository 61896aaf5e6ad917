package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.GraphTopology.BYTES;

import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.graph.ProcessingGraph.ViewNode;
import dev.sluice.processor.Routed;
import dev.sluice.processor.window.PreAggregate;
import dev.sluice.processor.window.WindowAggregate;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * A view node, aggregated in two halves (local-global, as Flink does it): in the task of each input partition,
 * each event is prepared (derive, filter, group, measure inputs), judged on time or late by that partition's
 * watermark, and folded into partial accumulators ({@link PreAggregate}); once per commit each changed group's
 * partial moves to the task that owns the group (the {@code <view>-partials} topic, as many partitions as the
 * stream), which merges it into the view's rows ({@link WindowAggregate}) and emits each changed row's update to
 * the view topic once per commit. Late events go to the stream's late topic from the first half, late
 * corrections to the view topic from the second, and what either cannot evaluate to the dead-letter topic. The
 * node's output is the view's updates.
 */
final class ViewNodeBuilder {
    private ViewNodeBuilder() {}

    static KStream<byte[], Routed> build(GraphTopology.Context ctx, ViewNode node, KStream<byte[], Routed> events) {
        String n = node.name();
        StreamDef stream = ctx.graph().streamOf(node).stream();
        ctx.builder().addStateStore(PreAggregate.watermarkStore(node.inputWatermarkStore()));
        KStream<byte[], Routed> folded = events.process(
                () -> new PreAggregate(
                        node.view(),
                        stream.sourceTimeField(),
                        stream.partitions(),
                        node.inputWatermarkStore(),
                        ctx.metrics()),
                Named.as(n + "-prepare"),
                node.inputWatermarkStore());
        Map<String, KStream<byte[], Routed>> first = folded.split(Named.as(n + "-prepare-"))
                .branch((k, v) -> v.target() == Routed.Target.NEXT, Branched.as("partials"))
                .branch((k, v) -> v.target() == Routed.Target.LATE, Branched.as("late"))
                .defaultBranch(Branched.as("dlq"));
        GraphTopology.write(
                first.get(n + "-prepare-late"),
                n + "-prepare-late",
                ctx.pipeline().lateTopic(stream.name()));
        GraphTopology.write(
                first.get(n + "-prepare-dlq"),
                n + "-prepare-dlq",
                ctx.pipeline().dlqTopic());
        KStream<byte[], byte[]> byGroup = first.get(n + "-prepare-partials")
                .mapValues(Routed::bytes, Named.as(n + "-partial-bytes"))
                .repartition(Repartitioned.with(BYTES, BYTES)
                        .withName(node.partialsTopic())
                        .withNumberOfPartitions(stream.partitions())
                        // a record is a bundle for the task its key names (Partial.partitionOf)
                        .withStreamPartitioner((topic, key, value, count) ->
                                Optional.of(Set.of(ByteBuffer.wrap(key).getInt() % count))));
        ctx.builder().addStateStore(WindowAggregate.rowsStore(node.rowsStore(), node.view()));
        ctx.builder().addStateStore(WindowAggregate.watermarkStore(node.watermarkStore()));
        KStream<byte[], Routed> out = byGroup.process(
                () -> new WindowAggregate(node.view(), node.rowsStore(), node.watermarkStore(), ctx.metrics()),
                Named.as(n + "-aggregate"),
                node.rowsStore(),
                node.watermarkStore());
        Map<String, KStream<byte[], Routed>> b = out.split(Named.as(n + "-out-"))
                .branch((k, v) -> v.target() == Routed.Target.VIEW, Branched.as("view"))
                .defaultBranch(Branched.as("dlq"));
        GraphTopology.write(b.get(n + "-out-view"), n + "-view", ctx.pipeline().viewTopic(n));
        GraphTopology.write(b.get(n + "-out-dlq"), n + "-dlq", ctx.pipeline().dlqTopic());
        return b.get(n + "-out-view");
    }
}
