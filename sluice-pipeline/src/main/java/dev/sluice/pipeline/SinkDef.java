package dev.sluice.pipeline;

import java.util.List;

/** Where streams and views land. */
public sealed interface SinkDef {

    String name();

    /** Streams (raw events) and views written by this sink; empty means all of them. */
    List<String> inputs();

    /**
     * An embedded DuckDB database.
     *
     * @param path the database file; null means {@code sluice.duckdb} in the data directory
     */
    record DuckDb(String name, String path, List<String> inputs) implements SinkDef {}

    /**
     * A Kafka topic receiving a stream's accepted events for downstream consumers.
     *
     * @param format {@code confluent}: the Confluent wire format with the stream's registered schema id (Avro
     *     binary for an Avro stream, JSON for a JSON Schema stream); {@code json}: plain JSON
     */
    record Kafka(String name, String topic, String format, List<String> inputs) implements SinkDef {}
}
