package dev.sluice.sinks.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.sinks.SinkConsumer;
import dev.sluice.wire.EventTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a PostgreSQL table at the latest state of each entity of a stream (docs/pipeline.md, {@code type:
 * postgres}). Each poll's events, reduced to the newest per key, are upserted with {@code INSERT ... ON CONFLICT
 * (key) DO UPDATE ... WHERE} the stored version is not newer, and the next offsets go to {@code _sluice_offsets}
 * in the same transaction: a crash between write and commit leaves both as they were, and the sink resumes from
 * the offsets in the database, so every event is applied once. A failed write is retried with backoff from those
 * offsets, on a fresh connection, until {@link SinkConsumer.WriteFailures#MAX} in a row.
 */
public final class PostgresSink implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SinkDef.Postgres def;
    private final String topic;
    private final StreamDef stream;
    private final Map<String, Object> consumerConfig;
    private final ComponentMetrics metrics;
    private final List<String> columns = new ArrayList<>();
    private final Map<String, String> types = new LinkedHashMap<>();
    private final SinkConsumer positions = new SinkConsumer();
    private volatile boolean running = true;
    private volatile Throwable failure;
    private final SinkConsumer.WriteFailures failures;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

    public PostgresSink(
            Pipeline pipeline, SinkDef.Postgres def, Map<String, Object> consumerConfig, PipelineMetrics metrics) {
        this.def = def;
        this.stream = pipeline.stream(def.stream());
        this.topic = pipeline.streamTopic(def.stream());
        this.consumerConfig = consumerConfig;
        this.metrics = metrics.sink(def.name());
        this.failures = new SinkConsumer.WriteFailures("postgres sink '" + def.name() + "'", this.metrics);
        for (var p : stream.schema().path("properties").properties()) {
            columns.add(p.getKey());
            types.put(p.getKey(), sqlType(p.getKey(), p.getValue()));
        }
    }

    /** The column type of a schema property: the time field and date-times as timestamptz. */
    private String sqlType(String field, JsonNode prop) {
        String t = prop.path("type").asText("");
        if (field.equals(stream.timeField())
                || "date-time".equals(prop.path("format").asText())) {
            return "timestamptz";
        }
        return switch (t) {
            case "integer" -> "bigint";
            case "number" -> "double precision";
            case "boolean" -> "boolean";
            case "string" -> "text";
            default -> "jsonb";
        };
    }

    public boolean running() {
        return running && failure == null;
    }

    /** False while the last write failed (the sink is retrying). */
    public boolean writing() {
        return failures.none();
    }

    public Throwable failure() {
        return failure;
    }

    private static String q(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }

    private Connection connect() throws SQLException {
        Connection c = DriverManager.getConnection(def.url(), def.user(), def.password());
        c.setAutoCommit(false);
        return c;
    }

    private void createTables(Connection c) throws SQLException {
        StringBuilder cols = new StringBuilder();
        for (String col : columns) {
            cols.append(q(col)).append(' ').append(types.get(col));
            if (col.equals(def.key())) {
                cols.append(" PRIMARY KEY");
            }
            cols.append(", ");
        }
        cols.append("\"_sluice_event_id\" text, \"_sluice_updated_at\" timestamptz");
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + q(def.table()) + " (" + cols + ")");
            s.execute("CREATE TABLE IF NOT EXISTS _sluice_offsets (sink text, topic text, part integer,"
                    + " next_offset bigint NOT NULL, PRIMARY KEY (sink, topic, part))");
        }
        c.commit();
    }

    /** Assigns every partition of the stream's topic and seeks to the offsets the database holds. */
    private void assign(KafkaConsumer<byte[], byte[]> k, Connection c) throws SQLException {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : k.partitionsFor(topic, Duration.ofSeconds(30))) {
            parts.add(new TopicPartition(topic, p.partition()));
        }
        k.assign(parts);
        Map<Integer, Long> stored = new HashMap<>();
        try (PreparedStatement ps =
                c.prepareStatement("SELECT part, next_offset FROM _sluice_offsets WHERE sink = ? AND topic = ?")) {
            ps.setString(1, def.name());
            ps.setString(2, topic);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(rs.getInt(1), rs.getLong(2));
                }
            }
        }
        c.commit();
        List<TopicPartition> fresh = new ArrayList<>();
        for (TopicPartition tp : parts) {
            Long next = stored.get(tp.partition());
            if (next == null) {
                fresh.add(tp);
            } else {
                k.seek(tp, next);
            }
        }
        if (!fresh.isEmpty()) {
            k.seekToBeginning(fresh); // an empty collection would mean every assigned partition: whole topics again
        }
    }

    @Override
    public void run() {
        Connection conn = null;
        try (KafkaConsumer<byte[], byte[]> k =
                new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer = k;
            conn = open(k, null, null);
            while (running) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = k.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    break;
                }
                if (records.isEmpty()) {
                    positions.commitPositions(k);
                    continue;
                }
                try {
                    write(conn, records);
                    failures.succeeded();
                } catch (SQLException | RuntimeException e) {
                    conn = open(k, conn, e);
                    continue;
                }
                long bytes = 0;
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    bytes += r.value() == null ? 0 : r.value().length;
                }
                metrics.received(records.count(), bytes);
                positions.commitPositions(k);
            }
        } catch (Throwable t) {
            if (running) {
                failure = t;
                metrics.error(ComponentMetrics.WRITE);
                LOG.error("postgres sink {} stopped", def.name(), t);
            }
        } finally {
            if (conn != null) {
                try {
                    conn.close();
                } catch (SQLException e) {
                    LOG.debug("closing: {}", e.toString());
                }
            }
            stopped.countDown();
        }
    }

    /**
     * (Re)connects, creates the tables and seeks to the stored offsets; after a failure ({@code cause}), first
     * counts it and backs off. Retries until it works, the sink stops, or {@link SinkConsumer.WriteFailures#MAX} in a row.
     */
    private Connection open(KafkaConsumer<byte[], byte[]> k, Connection old, Exception cause) throws Exception {
        while (true) {
            if (cause != null) {
                failures.backOff(cause, () -> running);
                if (!running) {
                    return old;
                }
            }
            if (old != null) {
                try {
                    old.close();
                } catch (SQLException ignored) {
                    // a broken connection may not close cleanly
                }
                old = null;
            }
            try {
                Connection c = connect();
                createTables(c);
                assign(k, c);
                positions.commitPositions(k);
                return c;
            } catch (SQLException | RuntimeException e) {
                cause = e;
            }
        }
    }

    /** One transaction: the newest event per key upserted, and the next offsets. */
    private void write(Connection c, ConsumerRecords<byte[], byte[]> records) throws SQLException {
        Map<String, JsonNode> latest = new LinkedHashMap<>();
        Map<String, Long> latestVersion = new HashMap<>();
        Map<TopicPartition, Long> next = new HashMap<>();
        long invalid = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
            JsonNode e;
            try {
                e = JSON.readTree(r.value());
            } catch (Exception ex) {
                invalid++;
                continue;
            }
            JsonNode key = e.get(def.key());
            if (key == null || key.isNull()) {
                invalid++;
                continue;
            }
            long v = version(e);
            String k = key.asText();
            Long have = latestVersion.get(k);
            if (have == null || v >= have) {
                latest.put(k, e);
                latestVersion.put(k, v);
            }
        }
        if (invalid > 0) {
            metrics.discarded(ComponentMetrics.INVALID, invalid);
        }
        try {
            if (!latest.isEmpty()) {
                upsert(c, latest.values());
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO _sluice_offsets VALUES (?, ?, ?, ?)"
                    + " ON CONFLICT (sink, topic, part) DO UPDATE SET next_offset = excluded.next_offset")) {
                for (var e : next.entrySet()) {
                    ps.setString(1, def.name());
                    ps.setString(2, e.getKey().topic());
                    ps.setInt(3, e.getKey().partition());
                    ps.setLong(4, e.getValue());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection is gone; the transaction with it
            }
            throw e;
        }
        metrics.emitted(latest.size());
    }

    /** The event's version: its {@code version} field as epoch ms (a time) or a number; 0 when absent. */
    private long version(JsonNode e) {
        JsonNode v = e.get(def.version());
        if (v == null || v.isNull()) {
            return 0;
        }
        if (v.isNumber()) {
            return v.asLong();
        }
        try {
            return EventTime.of(e, def.version());
        } catch (RuntimeException ex) {
            return 0;
        }
    }

    private void upsert(Connection c, java.util.Collection<JsonNode> events) throws SQLException {
        List<String> all = new ArrayList<>(columns);
        all.add("_sluice_event_id");
        all.add("_sluice_updated_at");
        StringBuilder sql =
                new StringBuilder("INSERT INTO ").append(q(def.table())).append(" AS t (");
        StringBuilder marks = new StringBuilder();
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < all.size(); i++) {
            String col = all.get(i);
            sql.append(i == 0 ? "" : ", ").append(q(col));
            String type = types.getOrDefault(col, col.equals("_sluice_updated_at") ? "timestamptz" : "text");
            marks.append(i == 0 ? "" : ", ").append(type.equals("jsonb") ? "CAST(? AS jsonb)" : "?");
            if (!col.equals(def.key())) {
                set.append(set.isEmpty() ? "" : ", ")
                        .append(q(col))
                        .append(" = excluded.")
                        .append(q(col));
            }
        }
        sql.append(") VALUES (")
                .append(marks)
                .append(") ON CONFLICT (")
                .append(q(def.key()))
                .append(") DO UPDATE SET ")
                .append(set);
        String versionType = types.get(def.version());
        if (versionType != null) {
            // an older event (out of order, or replayed) never replaces a newer state
            sql.append(" WHERE t.")
                    .append(q(def.version()))
                    .append(" IS NULL OR t.")
                    .append(q(def.version()))
                    .append(" <= excluded.")
                    .append(q(def.version()));
        }
        Timestamp now = Timestamp.from(Instant.now());
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (JsonNode e : events) {
                int i = 1;
                for (String col : columns) {
                    bind(ps, i++, types.get(col), e.get(col), col);
                }
                JsonNode id = e.get(stream.idField());
                ps.setString(i++, id == null ? null : id.asText());
                ps.setTimestamp(i, now);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void bind(PreparedStatement ps, int i, String type, JsonNode v, String col) throws SQLException {
        if (v == null || v.isNull()) {
            ps.setNull(i, Types.NULL);
            return;
        }
        switch (type) {
            case "timestamptz" -> {
                ObjectMapper m = JSON;
                long ms = v.isNumber()
                        ? v.asLong()
                        : EventTime.of(m.createObjectNode().set(col, v), col);
                ps.setTimestamp(i, new Timestamp(ms));
            }
            case "bigint" -> ps.setLong(i, v.asLong());
            case "double precision" -> ps.setDouble(i, v.asDouble());
            case "boolean" -> ps.setBoolean(i, v.asBoolean());
            case "text" -> ps.setString(i, v.isTextual() ? v.textValue() : v.toString());
            default -> ps.setString(i, v.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<byte[], byte[]> k = consumer;
        if (k != null) {
            k.wakeup();
        }
        try {
            stopped.await(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
