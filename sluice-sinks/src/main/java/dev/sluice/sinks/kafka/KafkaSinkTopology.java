package dev.sluice.sinks.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.registry.SchemaLookup;
import dev.sluice.registry.WireFormat;
import dev.sluice.schema.avro.AvroJson;
import dev.sluice.schema.compat.AvroSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Copies a stream's accepted events to a topic for downstream consumers, inside the pipeline's Kafka Streams
 * application (so exactly once): in the Confluent wire format with the stream's registered schema id (Avro
 * binary for an Avro stream, JSON text for a JSON Schema one), or as plain JSON.
 */
public final class KafkaSinkTopology {
    private static final Serde<byte[]> BYTES = Serdes.ByteArray();
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaSinkTopology() {}

    /**
     * @param schemaIds registered schema id of each stream
     */
    public static void addTo(
            StreamsBuilder builder,
            Pipeline pipeline,
            SinkDef.Kafka sink,
            Map<String, Integer> schemaIds,
            SchemaLookup registry) {
        addTo(builder, pipeline, sink, schemaIds, registry, PipelineMetrics.none());
    }

    public static void addTo(
            StreamsBuilder builder,
            Pipeline pipeline,
            SinkDef.Kafka sink,
            Map<String, Integer> schemaIds,
            SchemaLookup registry,
            PipelineMetrics metrics) {
        ComponentMetrics m = metrics.sink(sink.name());
        List<String> streams =
                sink.inputs().isEmpty() ? List.copyOf(pipeline.streams().keySet()) : sink.inputs();
        for (String name : streams) {
            StreamDef stream = pipeline.stream(name);
            String n = "sink-" + sink.name() + "-" + name;
            boolean confluent = !"json".equals(sink.format());
            Integer id = schemaIds.get(name);
            if (confluent && id == null) {
                throw new IllegalStateException("stream '" + name + "' has no registered schema id");
            }
            org.apache.avro.Schema avro = confluent && stream.avro() ? ((AvroSchema) registry.byId(id)).avro() : null;
            builder.stream(
                            pipeline.streamTopic(name),
                            Consumed.with(BYTES, BYTES).withName(n + "-source"))
                    .mapValues(
                            v -> {
                                m.received(1, v == null ? 0 : v.length);
                                byte[] out = encode(v, confluent, id, avro);
                                m.emitted(1);
                                return out;
                            },
                            Named.as(n + "-encode"))
                    .to(sink.topic(), Produced.with(BYTES, BYTES).withName(n + "-to"));
        }
    }

    static byte[] encode(byte[] event, boolean confluent, Integer id, org.apache.avro.Schema avro) {
        if (!confluent) {
            return event;
        }
        if (avro == null) {
            return WireFormat.frame(id, event);
        }
        JsonNode json;
        try {
            json = JSON.readTree(event);
        } catch (IOException e) {
            throw new UncheckedIOException("stream topic holds an event that is not JSON", e);
        }
        return WireFormat.frame(id, AvroJson.encode(json, avro));
    }
}
