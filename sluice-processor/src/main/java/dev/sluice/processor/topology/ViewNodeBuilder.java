package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.GraphTopology.BYTES;

import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.graph.ProcessingGraph.ViewNode;
import dev.sluice.processor.Routed;
import dev.sluice.processor.window.PrepareView;
import dev.sluice.processor.window.WindowAggregate;
import java.util.Map;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * A view node: each input event is prepared (derive, filter, window starts, group key, measure inputs:
 * {@link PrepareView}), moved to the task that owns its group (the {@code <view>-by-group} topic, as many
 * partitions as the stream), and folded into its window rows ({@link WindowAggregate}), which emits the rows'
 * updates to the view topic, events past grace to the stream's late topic, and what it cannot evaluate to the
 * dead-letter topic. Its output is the view's updates.
 */
final class ViewNodeBuilder {
    private ViewNodeBuilder() {}

    static KStream<byte[], Routed> build(GraphTopology.Context ctx, ViewNode node, KStream<byte[], Routed> events) {
        String n = node.name();
        StreamDef stream = ctx.graph().streamOf(node).stream();
        KStream<byte[], Routed> prepared = events.process(
                () -> new PrepareView(node.view(), stream.sourceTimeField(), ctx.metrics()), Named.as(n + "-prepare"));
        KStream<byte[], byte[]> byGroup = GraphTopology.deadLettersOut(ctx.pipeline(), prepared, n + "-prepare-")
                .mapValues(Routed::bytes, Named.as(n + "-prepared"))
                .repartition(Repartitioned.with(BYTES, BYTES)
                        .withName(node.byGroupTopic())
                        .withNumberOfPartitions(stream.partitions()));
        ctx.builder().addStateStore(WindowAggregate.rowsStore(node.rowsStore(), node.view()));
        ctx.builder().addStateStore(WindowAggregate.watermarkStore(node.watermarkStore()));
        KStream<byte[], Routed> out = byGroup.process(
                () -> new WindowAggregate(node.view(), node.rowsStore(), node.watermarkStore(), ctx.metrics()),
                Named.as(n + "-aggregate"),
                node.rowsStore(),
                node.watermarkStore());
        Map<String, KStream<byte[], Routed>> b = out.split(Named.as(n + "-out-"))
                .branch((k, v) -> v.target() == Routed.Target.VIEW, Branched.as("view"))
                .branch((k, v) -> v.target() == Routed.Target.LATE, Branched.as("late"))
                .defaultBranch(Branched.as("dlq"));
        GraphTopology.write(b.get(n + "-out-view"), n + "-view", ctx.pipeline().viewTopic(n));
        GraphTopology.write(b.get(n + "-out-late"), n + "-late", ctx.pipeline().lateTopic(stream.name()));
        GraphTopology.write(b.get(n + "-out-dlq"), n + "-dlq", ctx.pipeline().dlqTopic());
        return b.get(n + "-out-view");
    }
}
