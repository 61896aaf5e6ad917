package dev.sluice.processor.topology;

import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.processor.Routed;
import dev.sluice.processor.dedupe.Dedupe;
import dev.sluice.processor.window.PrepareView;
import dev.sluice.processor.window.WindowAggregate;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Turns a pipeline's streams and views into Kafka Streams sub-topologies:
 *
 * <pre>
 * &lt;pipeline&gt;.&lt;stream&gt; → dedupe ─┬→ prepare(view A) → repartition by group → window aggregate ─┬→ &lt;pipeline&gt;.view.A
 *                               │                                                             ├→ &lt;pipeline&gt;.&lt;stream&gt;.late
 *                               └→ prepare(view B) → …                                        └→ &lt;pipeline&gt;.dlq
 * </pre>
 *
 * Store and processor names derive from stream and view names, so they are stable across restarts
 * and releases as long as the pipeline file names do not change.
 */
public final class ViewTopology {
    private static final Serde<byte[]> BYTES = Serdes.ByteArray();

    private ViewTopology() {}

    public static void addTo(StreamsBuilder builder, Pipeline pipeline) {
        addTo(builder, pipeline, PipelineMetrics.none());
    }

    public static void addTo(StreamsBuilder builder, Pipeline pipeline, PipelineMetrics metrics) {
        for (StreamDef stream : pipeline.streams().values()) {
            var views = pipeline.viewsOf(stream.name());
            if (views.isEmpty()) {
                continue;
            }
            String dedupStore = stream.name() + "-dedupe";
            builder.addStateStore(Dedupe.store(dedupStore, stream.dedupHorizon()));
            KStream<byte[], Routed> deduped = builder.stream(
                            pipeline.streamTopic(stream.name()),
                            Consumed.with(BYTES, BYTES).withName(stream.name() + "-source"))
                    .process(
                            () -> new Dedupe(stream, dedupStore, metrics),
                            Named.as(stream.name() + "-dedupe"),
                            dedupStore);
            KStream<byte[], Routed> unique = route(pipeline, deduped, stream.name() + "-dedupe-");
            for (ViewDef view : views) {
                addView(builder, pipeline, stream, view, unique, metrics);
            }
        }
    }

    private static void addView(
            StreamsBuilder builder,
            Pipeline pipeline,
            StreamDef stream,
            ViewDef view,
            KStream<byte[], Routed> events,
            PipelineMetrics metrics) {
        String n = view.name();
        KStream<byte[], Routed> prepared = events.process(
                () -> new PrepareView(view, pipeline.stream(view.from()).sourceTimeField(), metrics),
                Named.as(n + "-prepare"));
        KStream<byte[], byte[]> byGroup = route(pipeline, prepared, n + "-prepare-")
                .mapValues(Routed::bytes, Named.as(n + "-prepared"))
                .repartition(Repartitioned.with(BYTES, BYTES)
                        .withName(n + "-by-group")
                        .withNumberOfPartitions(stream.partitions()));
        String rows = n + "-rows";
        String marks = n + "-watermark";
        builder.addStateStore(WindowAggregate.rowsStore(rows));
        builder.addStateStore(WindowAggregate.watermarkStore(marks));
        KStream<byte[], Routed> out = byGroup.process(
                () -> new WindowAggregate(view, rows, marks, metrics), Named.as(n + "-aggregate"), rows, marks);
        Map<String, KStream<byte[], Routed>> b = out.split(Named.as(n + "-out-"))
                .branch((k, v) -> v.target() == Routed.Target.VIEW, Branched.as("view"))
                .branch((k, v) -> v.target() == Routed.Target.LATE, Branched.as("late"))
                .defaultBranch(Branched.as("dlq"));
        b.get(n + "-out-view")
                .mapValues(Routed::bytes, Named.as(n + "-view-bytes"))
                .to(pipeline.viewTopic(n), Produced.with(BYTES, BYTES).withName(n + "-view-sink"));
        b.get(n + "-out-late")
                .mapValues(Routed::bytes, Named.as(n + "-late-bytes"))
                .to(
                        pipeline.lateTopic(stream.name()),
                        Produced.with(BYTES, BYTES).withName(n + "-late-sink"));
        b.get(n + "-out-dlq")
                .mapValues(Routed::bytes, Named.as(n + "-dlq-bytes"))
                .to(pipeline.dlqTopic(), Produced.with(BYTES, BYTES).withName(n + "-dlq-sink"));
    }

    /** Sends DLQ-tagged records to the dead-letter topic and returns the rest. */
    private static KStream<byte[], Routed> route(Pipeline pipeline, KStream<byte[], Routed> s, String prefix) {
        Map<String, KStream<byte[], Routed>> b = s.split(Named.as(prefix))
                .branch((k, v) -> v.target() == Routed.Target.DLQ, Branched.as("dlq"))
                .defaultBranch(Branched.as("ok"));
        b.get(prefix + "dlq")
                .mapValues(Routed::bytes, Named.as(prefix + "dlq-bytes"))
                .to(pipeline.dlqTopic(), Produced.with(BYTES, BYTES).withName(prefix + "dlq-sink"));
        return b.get(prefix + "ok");
    }
}
