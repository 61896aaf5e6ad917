package dev.sluice.pipeline;

import java.time.Duration;
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
     * @param batchRows a batch is written once it holds this many records
     * @param batchInterval ... or once its first record is this old
     */
    record DuckDb(String name, String path, List<String> inputs, long batchRows, Duration batchInterval)
            implements SinkDef {
        /** The defaults of {@code batch_rows} and {@code batch_interval} (docs/stores.md says why). */
        public static final long BATCH_ROWS = 50_000;

        public static final Duration BATCH_INTERVAL = Duration.ofMillis(200);

        /** With the default batches. */
        public DuckDb(String name, String path, List<String> inputs) {
            this(name, path, inputs, BATCH_ROWS, BATCH_INTERVAL);
        }
    }

    /**
     * A Kafka topic receiving a stream's accepted events for downstream consumers.
     *
     * @param format {@code confluent}: the Confluent wire format with the stream's registered schema id (Avro
     *     binary for an Avro stream, JSON for a JSON Schema stream); {@code json}: plain JSON
     */
    record Kafka(String name, String topic, String format, List<String> inputs) implements SinkDef {}

    /**
     * A PostgreSQL table holding the latest state of each entity of a stream (the transactional side of a
     * dual write): one row per {@code key}, upserted, with the consumer's progress in the same transaction.
     *
     * @param url the JDBC URL
     * @param table the table; the stream's name when absent
     * @param key the field identifying the entity: the table's primary key
     * @param version the field ordering an entity's events: an event older than the row does not replace it;
     *     the stream's time field when absent
     * @param batchRows a batch is written once it holds this many records
     * @param batchInterval ... or once its first record is this old
     */
    record Postgres(
            String name,
            String url,
            String user,
            String password,
            String stream,
            String table,
            String key,
            String version,
            long batchRows,
            Duration batchInterval)
            implements SinkDef {
        /** The defaults of {@code batch_rows} and {@code batch_interval} (docs/stores.md says why). */
        public static final long BATCH_ROWS = 50_000;

        public static final Duration BATCH_INTERVAL = Duration.ofMillis(200);

        /** With the default batches. */
        public Postgres(
                String name,
                String url,
                String user,
                String password,
                String stream,
                String table,
                String key,
                String version) {
            this(name, url, user, password, stream, table, key, version, BATCH_ROWS, BATCH_INTERVAL);
        }

        @Override
        public List<String> inputs() {
            return List.of(stream);
        }
    }

    /**
     * A ClickHouse server, over its HTTP interface: one table per stream (raw events) and per view
     * (ReplacingMergeTree on the row's version), written in batches.
     *
     * @param url the HTTP interface, {@code http://host:8123}
     * @param batchRows a batch is written once it holds this many records
     * @param batchInterval ... or once its first record is this old
     * @param rawTtl how long raw rows are kept (TTL, on servers that have it); null: forever
     * @param viewTtl how long view rows are kept (TTL, on servers that have it); null: forever
     */
    record ClickHouse(
            String name,
            String url,
            String database,
            String user,
            String password,
            List<String> inputs,
            long batchRows,
            Duration batchInterval,
            Duration rawTtl,
            Duration viewTtl)
            implements SinkDef {
        /** The defaults of {@code batch_rows} and {@code batch_interval} (docs/stores.md says why). */
        public static final long BATCH_ROWS = 100_000;

        public static final Duration BATCH_INTERVAL = Duration.ofSeconds(1);
    }

    /**
     * Redis holding each listed view's latest windows, refreshed from the pipeline's store, for many readers.
     *
     * @param url {@code redis://host:port}
     * @param windows how many of the latest windows are cached per view
     * @param refresh how often the cache is rewritten
     * @param serve true: the query API answers from the cache when it covers the request
     */
    record Redis(String name, String url, List<String> inputs, long windows, java.time.Duration refresh, boolean serve)
            implements SinkDef {}
}
