package dev.sluice.processor.topology;

import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.graph.ProcessingGraph;
import dev.sluice.pipeline.graph.ProcessingGraph.Node;
import dev.sluice.pipeline.graph.ProcessingGraph.StreamNode;
import dev.sluice.pipeline.graph.ProcessingGraph.TableNode;
import dev.sluice.pipeline.graph.ProcessingGraph.ViewNode;
import dev.sluice.processor.Routed;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Builds a pipeline's Kafka Streams topology from its {@link ProcessingGraph}: the nodes are visited in graph
 * order (each after its inputs), and the builder of the node's kind turns it into operators that read the
 * output streams of its inputs and return the node's own output stream, kept by node id for its readers.
 *
 * <pre>
 * stream node  &lt;pipeline&gt;.&lt;stream&gt; → dedupe ─┬→ (view A) prepare + pre-aggregate ─┬→ partials by group → aggregate ─┬→ &lt;pipeline&gt;.view.A
 *                                          │                                    ├→ &lt;pipeline&gt;.&lt;stream&gt;.late      └→ &lt;pipeline&gt;.dlq
 *                                          └→ (view B) …                        └→ &lt;pipeline&gt;.dlq
 * </pre>
 *
 * One builder per node kind ({@link StreamNodeBuilder}, {@link TableNodeBuilder}, {@link ViewNodeBuilder}); a new
 * kind (join, alert, score) is a new node record and a new builder. Every operator, store and internal topic is named
 * from its node's name, so the names stay the same across restarts and releases as long as the pipeline file
 * keeps its names. A stream no node reads and no DuckDB sink stores raw is not consumed (the DuckDB sink stores
 * the events its stream node accepted).
 */
public final class GraphTopology {
    static final Serde<byte[]> BYTES = Serdes.ByteArray();

    private GraphTopology() {}

    /** What every node builder gets: where to add operators, the pipeline's topics and the metrics. */
    record Context(StreamsBuilder builder, Pipeline pipeline, ProcessingGraph graph, PipelineMetrics metrics) {}

    public static void addTo(StreamsBuilder builder, Pipeline pipeline) {
        addTo(builder, pipeline, PipelineMetrics.none());
    }

    public static void addTo(StreamsBuilder builder, Pipeline pipeline, PipelineMetrics metrics) {
        ProcessingGraph graph = ProcessingGraph.compile(pipeline);
        Context ctx = new Context(builder, pipeline, graph, metrics);
        Map<String, KStream<byte[], Routed>> outputs = new HashMap<>();
        for (Node node : graph.nodes()) {
            if (node instanceof StreamNode st
                    && graph.readersOf(node.id()).isEmpty()
                    && !pipeline.storedRawInDuckDb(st.name())) {
                continue;
            }
            List<KStream<byte[], Routed>> inputs =
                    node.inputs().stream().map(outputs::get).toList();
            KStream<byte[], Routed> out =
                    switch (node) {
                        case StreamNode s -> StreamNodeBuilder.build(ctx, s);
                        case TableNode t -> TableNodeBuilder.build(ctx, t, inputs.get(0));
                        case ViewNode v -> ViewNodeBuilder.build(ctx, v, inputs.get(0));
                    };
            outputs.put(node.id(), out);
        }
    }

    /** Writes {@code s}'s records of {@code target} to {@code topic}, as bytes, under names starting {@code name}. */
    static void write(KStream<byte[], Routed> s, String name, String topic) {
        s.mapValues(Routed::bytes, Named.as(name + "-bytes"))
                .to(topic, Produced.with(BYTES, BYTES).withName(name + "-sink"));
    }
}
