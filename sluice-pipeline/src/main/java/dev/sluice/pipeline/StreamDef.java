package dev.sluice.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A named, schema-bound sequence of events, backed by one Kafka topic.
 *
 * @param schemaFile the JSON Schema file, resolved against the pipeline file's directory
 * @param schema the parsed JSON Schema document
 * @param idField the field carrying the event id (dedup key); assigned at ingest when absent
 * @param timeField the field carrying the event time (RFC 3339 string or epoch milliseconds)
 * @param keyField the field whose value is the Kafka record key; null means the event id
 * @param partitions partitions of the stream's topic
 * @param retention how long Kafka keeps raw events (replay horizon)
 * @param dedupHorizon how long an event id is remembered by the processor
 * @param schemaType {@code JSON} (a JSON Schema file) or {@code AVRO} (an {@code .avsc} file); {@code schema}
 *     is then the equivalent JSON Schema, which validates plain-JSON events and types the fields
 * @param schemaText the schema file's text, as registered in the schema registry
 * @param subject the registry subject of the stream's schema; null means the default, see
 *     {@link Pipeline#subject(String)}
 * @param sourceTimeField the field carrying the source timestamp (for end-to-end latency); null means the
 *     event time
 */
public record StreamDef(
        String name,
        Path schemaFile,
        JsonNode schema,
        String idField,
        String timeField,
        String keyField,
        int partitions,
        Duration retention,
        Duration dedupHorizon,
        String schemaType,
        String schemaText,
        String subject,
        String sourceTimeField) {

    /** A JSON Schema stream under the default subject. */
    public StreamDef(
            String name,
            Path schemaFile,
            JsonNode schema,
            String idField,
            String timeField,
            String keyField,
            int partitions,
            Duration retention,
            Duration dedupHorizon) {
        this(
                name,
                schemaFile,
                schema,
                idField,
                timeField,
                keyField,
                partitions,
                retention,
                dedupHorizon,
                "JSON",
                schema == null ? null : schema.toString(),
                null,
                null);
    }

    public boolean avro() {
        return "AVRO".equals(schemaType);
    }

    public static final int DEFAULT_PARTITIONS = 1;
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    public static final Duration DEFAULT_DEDUP_HORIZON = Duration.ofHours(24);
}
