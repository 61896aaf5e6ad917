package dev.sluice.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A loaded, validated pipeline: the one file that says where events come from, what contract they
 * obey, what is computed from them and where results land. Instances are only made by
 * {@link PipelineLoader}, which refuses a file with problems, so every reference in here resolves
 * (a view's stream exists, its group fields are in the schema, and so on).
 *
 * <p>Maps keep the order of the file.
 */
public record Pipeline(
        String name,
        Path file,
        Map<String, StreamDef> streams,
        Map<String, SourceDef> sources,
        Map<String, ViewDef> views,
        Map<String, SinkDef> sinks,
        Map<String, TableDef> tables) {

    /** A pipeline without tables. */
    public Pipeline(
            String name,
            Path file,
            Map<String, StreamDef> streams,
            Map<String, SourceDef> sources,
            Map<String, ViewDef> views,
            Map<String, SinkDef> sinks) {
        this(name, file, streams, sources, views, sinks, Map.of());
    }

    /** Kafka topic (compacted) holding the latest row per key of a table. */
    public String tableTopic(String table) {
        return name + ".table." + table;
    }

    /** Kafka topic holding the raw, validated events of a stream. */
    public String streamTopic(String stream) {
        return name + "." + stream;
    }

    /** Kafka topic receiving the events of a stream that arrived after their window's grace. */
    public String lateTopic(String stream) {
        return name + "." + stream + ".late";
    }

    /**
     * Kafka topic saying which records of a stream's topic the processor accepted: per partition and commit, the
     * offsets it judged and those it dropped (duplicates, unreadable). Sinks store the accepted ones raw.
     */
    public String acceptedTopic(String stream) {
        return name + "." + stream + ".accepted";
    }

    /**
     * The DuckDB sink the pipeline runs: the one it declares, else the default store (every stream and view) unless
     * it declares a ClickHouse sink, which then takes its place.
     */
    public java.util.Optional<SinkDef.DuckDb> duckDbSink() {
        java.util.Optional<SinkDef.DuckDb> declared = sinks.values().stream()
                .filter(SinkDef.DuckDb.class::isInstance)
                .map(SinkDef.DuckDb.class::cast)
                .findFirst();
        if (declared.isPresent() || sinks.values().stream().noneMatch(SinkDef.ClickHouse.class::isInstance)) {
            return java.util.Optional.of(declared.orElse(new SinkDef.DuckDb("duckdb", null, List.of())));
        }
        return java.util.Optional.empty();
    }

    /** Whether the pipeline's DuckDB sink stores the stream's events raw. */
    public boolean storedRawInDuckDb(String stream) {
        return duckDbSink()
                .map(d -> d.inputs().isEmpty() || d.inputs().contains(stream))
                .orElse(false);
    }

    /** Kafka topic receiving poison events (failed validation or processing), reason in headers. */
    public String dlqTopic() {
        return name + ".dlq";
    }

    /** Kafka topic carrying the versioned updates of a view. */
    public String viewTopic(String view) {
        return name + ".view." + view;
    }

    /**
     * The schema registry subject of a stream's schema: the stream's {@code subject}, else
     * {@code <stream topic>-value}, as Confluent's TopicNameStrategy names the value schema of a topic.
     */
    public String subject(String stream) {
        StreamDef s = stream(stream);
        return s.subject() != null ? s.subject() : streamTopic(stream) + "-value";
    }

    /** The Kafka Streams application id (and consumer group prefix) of this pipeline. */
    public String applicationId() {
        return "sluice-" + name;
    }

    public StreamDef stream(String stream) {
        StreamDef s = streams.get(stream);
        if (s == null) {
            throw new IllegalArgumentException("unknown stream '" + stream + "'");
        }
        return s;
    }

    public List<ViewDef> viewsOf(String stream) {
        return views.values().stream().filter(v -> v.from().equals(stream)).toList();
    }
}
