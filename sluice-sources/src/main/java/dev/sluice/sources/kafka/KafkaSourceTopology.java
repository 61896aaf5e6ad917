package dev.sluice.sources.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SourceDef;
import dev.sluice.registry.SchemaLookup;
import dev.sluice.schema.Violation;
import dev.sluice.sources.Admission;
import dev.sluice.wire.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A Kafka source: reads JSON events, one per message, from a topic; what passes the stream's
 * contract goes to the stream topic, what does not goes to {@code <pipeline>.dlq} with the reason
 * in headers. It runs inside the pipeline's Kafka Streams application, so the move from the source
 * topic to the stream topic is exactly-once. An event without an id gets one derived from its
 * position (topic, partition, offset), so re-reading the topic can never mint a second id.
 */
public final class KafkaSourceTopology {
    private static final Serde<byte[]> BYTES = Serdes.ByteArray();
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaSourceTopology() {}

    public static void addTo(
            StreamsBuilder builder, Pipeline pipeline, SourceDef.Kafka source, Clock clock, SchemaLookup registry) {
        addTo(builder, pipeline, source, clock, registry, PipelineMetrics.none());
    }

    public static void addTo(
            StreamsBuilder builder,
            Pipeline pipeline,
            SourceDef.Kafka source,
            Clock clock,
            SchemaLookup registry,
            PipelineMetrics metrics) {
        ComponentMetrics m = metrics.source(source.name());
        Admission admission = new Admission(pipeline.stream(source.stream()), clock);
        String n = "source-" + source.name();
        AutoOffsetReset reset =
                "latest".equals(source.startFrom()) ? AutoOffsetReset.latest() : AutoOffsetReset.earliest();
        KStream<byte[], Admitted> admitted = builder.stream(
                        source.topic(),
                        Consumed.with(BYTES, BYTES).withOffsetResetPolicy(reset).withName(n))
                .process(
                        () -> new Admit(source, admission, new Decoder(source.format(), registry), m),
                        Named.as(n + "-admit"));
        Map<String, KStream<byte[], Admitted>> b = admitted.split(Named.as(n + "-"))
                .branch((k, v) -> v.refused(), Branched.as("dlq"))
                .defaultBranch(Branched.as("ok"));
        b.get(n + "-dlq")
                .mapValues(Admitted::bytes, Named.as(n + "-dlq-bytes"))
                .to(pipeline.dlqTopic(), Produced.with(BYTES, BYTES).withName(n + "-dlq-sink"));
        b.get(n + "-ok")
                .mapValues(Admitted::bytes, Named.as(n + "-ok-bytes"))
                .to(
                        pipeline.streamTopic(source.stream()),
                        Produced.with(BYTES, BYTES).withName(n + "-sink"));
    }

    /** An event on its way to the stream topic, or refused and on its way to the dead-letter topic. */
    private record Admitted(boolean refused, byte[] bytes) {}

    private static final class Admit implements Processor<byte[], byte[], byte[], Admitted> {
        private final SourceDef.Kafka source;
        private final Admission admission;
        private final Decoder decoder;
        private final ComponentMetrics metrics;
        private ProcessorContext<byte[], Admitted> context;

        Admit(SourceDef.Kafka source, Admission admission, Decoder decoder, ComponentMetrics metrics) {
            this.metrics = metrics;
            this.source = source;
            this.admission = admission;
            this.decoder = decoder;
        }

        @Override
        public void init(ProcessorContext<byte[], Admitted> context) {
            this.context = context;
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            String origin = context.recordMetadata()
                    .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
                    .orElse(source.topic());
            metrics.received(1, record.value() == null ? 0 : record.value().length);
            JsonNode event;
            try {
                event = decoder.decode(record.value());
            } catch (Decoder.Undecodable e) {
                metrics.error(ComponentMetrics.DECODE);
                dlq(record, "$", e.rule(), e.getMessage(), origin);
                return;
            }
            Admission.Result r = admission.admit(
                    event,
                    () -> UUID.nameUUIDFromBytes(origin.getBytes(StandardCharsets.UTF_8))
                            .toString());
            if (r instanceof Admission.Accepted a) {
                metrics.emitted(1);
                context.forward(record.withKey(a.key())
                        .withValue(new Admitted(false, a.value()))
                        .withTimestamp(a.time()));
            } else {
                var v = ((Admission.Refused) r).violations();
                dlq(
                        record,
                        v.get(0).field(),
                        v.get(0).rule(),
                        v.stream().map(Violation::toString).collect(Collectors.joining("; ")),
                        origin);
            }
        }

        private void dlq(Record<byte[], byte[]> record, String field, String rule, String reason, String origin) {
            metrics.discarded(ComponentMetrics.INVALID, 1);
            context.forward(record.withValue(new Admitted(true, DeadLetter.value(record.value())))
                    .withHeaders(DeadLetter.headers(
                            record.headers(),
                            "validate",
                            source.stream(),
                            field,
                            rule,
                            reason + DeadLetter.tooLargeNote(record.value()),
                            origin)));
        }
    }
}
