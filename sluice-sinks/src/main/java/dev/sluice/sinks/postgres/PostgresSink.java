package dev.sluice.sinks.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.sinks.SinkBatch;
import dev.sluice.sinks.SinkWriter;
import dev.sluice.wire.EventTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a PostgreSQL table at the latest state of each entity of a stream (docs/pipeline.md, {@code type:
 * postgres}): the {@link SinkWriter} of a {@link dev.sluice.sinks.SinkLoop}, which reads and batches the records.
 * Each batch's events, reduced to the newest per key, are upserted with {@code INSERT ... ON CONFLICT (key) DO
 * UPDATE ... WHERE} the stored version is not newer, and the next offsets go to {@code _sluice_offsets} in the same
 * transaction: a crash between write and commit leaves both as they were, and the sink resumes from the offsets in
 * the database, so every event is applied once.
 */
public final class PostgresSink implements SinkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SinkDef.Postgres def;
    private final String topic;
    private final StreamDef stream;
    private final ComponentMetrics metrics;
    private final List<String> columns = new ArrayList<>();
    private final Map<String, String> types = new LinkedHashMap<>();
    private Connection conn;

    public PostgresSink(Pipeline pipeline, SinkDef.Postgres def, PipelineMetrics metrics) {
        this.def = def;
        this.stream = pipeline.stream(def.stream());
        this.topic = pipeline.streamTopic(def.stream());
        this.metrics = metrics.sink(def.name());
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

    @Override
    public String describe() {
        return "postgres sink '" + def.name() + "'";
    }

    @Override
    public ComponentMetrics metrics() {
        return metrics;
    }

    @Override
    public List<String> topics() {
        return List.of(topic);
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

    /** A fresh connection (a failed one may be unusable), the tables, and the offsets the database holds. */
    @Override
    public Map<TopicPartition, Long> open(List<TopicPartition> partitions) throws SQLException {
        close();
        conn = connect();
        createTables(conn);
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (PreparedStatement ps =
                conn.prepareStatement("SELECT part, next_offset FROM _sluice_offsets WHERE sink = ? AND topic = ?")) {
            ps.setString(1, def.name());
            ps.setString(2, topic);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(new TopicPartition(topic, rs.getInt(1)), rs.getLong(2));
                }
            }
        }
        conn.commit();
        return stored;
    }

    @Override
    public void close() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException e) {
                LOG.debug("closing: {}", e.toString()); // a broken connection may not close cleanly
            }
            conn = null;
        }
    }

    /** One transaction: the newest event per key upserted, and the next offsets. */
    @Override
    public void write(SinkBatch batch) throws SQLException {
        Connection c = conn;
        Map<String, JsonNode> latest = new LinkedHashMap<>();
        Map<String, Long> latestVersion = new HashMap<>();
        long invalid = 0;
        for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
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
                for (var e : batch.nextOffsets().entrySet()) {
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

    /**
     * One statement for the whole batch: each column's values bound as one text array, unnested into rows and cast
     * to the column's type, so a batch costs one round trip and one plan however many rows it has.
     */
    private void upsert(Connection c, java.util.Collection<JsonNode> events) throws SQLException {
        List<String> all = new ArrayList<>(columns);
        all.add("_sluice_event_id");
        StringBuilder names = new StringBuilder();
        StringBuilder values = new StringBuilder();
        StringBuilder arrays = new StringBuilder();
        StringBuilder aliases = new StringBuilder();
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < all.size(); i++) {
            String col = all.get(i);
            String sep = i == 0 ? "" : ", ";
            names.append(sep).append(q(col));
            String type = types.getOrDefault(col, "text");
            values.append(sep).append("u.c").append(i).append(type.equals("text") ? "" : "::" + type);
            arrays.append(sep).append("?::text[]");
            aliases.append(sep).append('c').append(i);
        }
        for (String col : all) {
            if (!col.equals(def.key())) {
                set.append(q(col)).append(" = excluded.").append(q(col)).append(", ");
            }
        }
        set.append("\"_sluice_updated_at\" = excluded.\"_sluice_updated_at\"");
        StringBuilder sql = new StringBuilder("INSERT INTO ")
                .append(q(def.table()))
                .append(" AS t (")
                .append(names)
                .append(", \"_sluice_updated_at\") SELECT ")
                .append(values)
                .append(", ?::timestamptz FROM unnest(")
                .append(arrays)
                .append(") AS u(")
                .append(aliases)
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
        String[][] cells = new String[all.size()][events.size()];
        int row = 0;
        for (JsonNode e : events) {
            for (int i = 0; i < columns.size(); i++) {
                String col = columns.get(i);
                cells[i][row] = text(types.get(col), e.get(col), col);
            }
            JsonNode id = e.get(stream.idField());
            cells[columns.size()][row] = id == null || id.isNull() ? null : id.asText();
            row++;
        }
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            ps.setString(1, Instant.now().toString()); // the SELECT list's, before unnest's
            for (int i = 0; i < all.size(); i++) {
                ps.setArray(i + 2, c.createArrayOf("text", cells[i]));
            }
            ps.executeUpdate();
        }
    }

    /** A value as the text its column's type reads exactly: times as RFC 3339 in UTC, doubles in full. */
    private static String text(String type, JsonNode v, String col) {
        if (v == null || v.isNull()) {
            return null;
        }
        return switch (type) {
            case "timestamptz" -> {
                long ms = v.isNumber()
                        ? v.asLong()
                        : EventTime.of(JSON.createObjectNode().set(col, v), col);
                yield Instant.ofEpochMilli(ms).toString();
            }
            case "bigint" -> Long.toString(v.asLong());
            case "double precision" -> Double.toString(v.asDouble());
            case "boolean" -> Boolean.toString(v.asBoolean());
            case "text" -> v.isTextual() ? v.textValue() : v.toString();
            default -> v.toString();
        };
    }
}
