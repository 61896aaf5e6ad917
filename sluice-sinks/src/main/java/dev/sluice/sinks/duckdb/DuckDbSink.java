package dev.sluice.sinks.duckdb;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.AcceptedGate;
import dev.sluice.sinks.SinkBatch;
import dev.sluice.sinks.SinkConsumer;
import dev.sluice.sinks.SinkWriter;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.EventTime;
import dev.sluice.wire.ViewRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes streams (raw events) and views (versioned rows) from Kafka into DuckDB, exactly once: the {@link
 * SinkWriter} of a {@link dev.sluice.sinks.SinkLoop}, which reads and batches the records.
 *
 * <p>Each batch becomes one DuckDB transaction holding the batch's rows and the next offset of every partition it
 * read; on start the loop seeks to the offsets stored in the database. So a crash at any moment either keeps a
 * whole batch and its offsets or neither, and a redelivered record is never applied twice. View writes are
 * idempotent on their own as well: a view row is replaced only by a higher version, and a late event is merged
 * into its row only once (tracked in {@code _sluice_late}).
 *
 * <p>Raw events are the records of the stream topic that the processor accepted: the sink reads the stream's
 * accepted-records topic beside it and stores what its verdicts let through ({@link AcceptedGate}), so the raw
 * table drops exactly the duplicates the views dropped, and needs no key index (one on the event id costs more
 * with every row stored, and must fit in memory whole).
 *
 * <p>Rows are appended in bulk to a staging table with DuckDB's appender (a temporary table of the sink's
 * connection), then moved with one {@code INSERT} statement per table.
 */
public final class DuckDbSink implements SinkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(DuckDbSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pipeline pipeline;
    private final String name;
    private final DuckDbStore store;
    private final Clock clock;
    private final Map<String, StreamDef> rawTopics = new HashMap<>();
    private final Map<String, ViewDef> viewTopics = new HashMap<>();
    private final AtomicLong rowsWritten = new AtomicLong();
    private final ComponentMetrics metrics;
    private final AcceptedGate gate;
    private Connection conn;

    public DuckDbSink(Pipeline pipeline, SinkDef.DuckDb sink, DuckDbStore store, Clock clock) {
        this(pipeline, sink, store, clock, PipelineMetrics.none());
    }

    public DuckDbSink(Pipeline pipeline, SinkDef.DuckDb sink, DuckDbStore store, Clock clock, PipelineMetrics metrics) {
        this.metrics = metrics.sink(sink.name());
        this.name = sink.name();
        this.pipeline = pipeline;
        this.store = store;
        this.clock = clock;
        List<String> inputs = sink.inputs();
        for (StreamDef s : pipeline.streams().values()) {
            if (inputs.isEmpty() || inputs.contains(s.name())) {
                rawTopics.put(pipeline.streamTopic(s.name()), s);
            }
        }
        for (ViewDef v : pipeline.views().values()) {
            if (inputs.isEmpty() || inputs.contains(v.name())) {
                viewTopics.put(pipeline.viewTopic(v.name()), v);
            }
        }
        Map<String, String> accepted = new HashMap<>();
        rawTopics
                .values()
                .forEach(st -> accepted.put(pipeline.streamTopic(st.name()), pipeline.acceptedTopic(st.name())));
        gate = new AcceptedGate(accepted);
    }

    /** Rows written so far (raw and view), for metrics and tests. */
    public long rowsWritten() {
        return rowsWritten.get();
    }

    @Override
    public String describe() {
        return "duckdb sink '" + name + "'";
    }

    @Override
    public ComponentMetrics metrics() {
        return metrics;
    }

    @Override
    public List<String> topics() {
        List<String> out = new ArrayList<>(rawTopics.keySet());
        out.addAll(gate.acceptedTopics());
        out.addAll(viewTopics.keySet());
        return out;
    }

    @Override
    public boolean bookkeeping(String topic) {
        return gate.acceptedTopics().contains(topic);
    }

    @Override
    public Map<TopicPartition, Long> heldFrom() {
        return gate.heldFrom();
    }

    @Override
    public java.util.Collection<TopicPartition> paused() {
        return gate.full();
    }

    /** A fresh connection (a failed one may be unusable), and the offsets DuckDB committed. */
    @Override
    public Map<TopicPartition, Long> open(List<TopicPartition> partitions) throws SQLException {
        close();
        conn = connectForWrites();
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (Statement s = conn.createStatement();
                ResultSet rs = s.executeQuery("SELECT topic, part, next_offset FROM _sluice_offsets")) {
            while (rs.next()) {
                stored.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
            }
        }
        conn.commit();
        gate.open(stored);
        return stored;
    }

    @Override
    public void write(SinkBatch batch) throws SQLException {
        write(conn, batch);
    }

    @Override
    public void close() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException e) {
                LOG.debug("closing the sink's connection: {}", e.toString()); // a broken one may not close cleanly
            }
            conn = null;
        }
    }

    /**
     * Writes one batch of records as a poll would deliver them, in one transaction with their offsets, on a
     * connection of its own. {@code sluice test} feeds the sink this way, without a broker.
     */
    public void writeBatch(Iterable<ConsumerRecord<byte[], byte[]>> records) throws SQLException {
        try (Connection c = connectForWrites()) {
            write(c, SinkBatch.of(records));
        }
    }

    /**
     * A connection of its own, in manual commit, with the staging tables the appender fills: temporary tables of
     * the connection, so the staged rows stay in memory and never reach the write-ahead log, which then holds each
     * row once (the checkpoints it triggers are most of a batch's cost).
     */
    private Connection connectForWrites() throws SQLException {
        Connection c = store.connect();
        try (Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            rawTopics.values().forEach(st -> tables.add(st.name()));
            viewTopics.values().forEach(v -> tables.add(v.name()));
            for (String t : tables) {
                s.execute("CREATE TEMP TABLE " + stage(t) + " AS SELECT * FROM " + Columns.quote(t) + " LIMIT 0");
            }
            c.setAutoCommit(false);
            return c;
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** A table's staging table, in the connection's temporary catalog. */
    private static String stage(String table) {
        return "temp.main." + Columns.quote("_stage_" + table);
    }

    /** A view row as it will be written. */
    private record Row(
            ViewDef view, long windowStart, long windowEnd, List<Object> group, long watermark, Accumulator state) {
        String groupKey() {
            return ViewRecord.groupKey(group);
        }
    }

    private void write(Connection conn, SinkBatch batch) throws SQLException {
        Map<String, List<Raw>> raw = new LinkedHashMap<>(); // by stream name
        Map<String, Row> rows = new LinkedHashMap<>(); // view|window|group -> latest row
        Set<String> lateSeen = new HashSet<>();
        List<Object[]> lateApplied = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
            if (gate.handles(r.topic())) {
                gate.add(r);
                continue;
            }
            ViewDef v = viewTopics.get(r.topic());
            if (v == null) {
                continue;
            }
            ViewRecord vr = SinkConsumer.decodeView(v, r, metrics);
            if (vr == null) {
                continue;
            }
            String k = v.name() + "|" + vr.windowStart() + "|" + vr.groupKey();
            if (vr.kind() == ViewRecord.Kind.UPDATE) {
                Row cur = rows.get(k);
                if (cur == null || vr.version() > cur.state().version()) {
                    rows.put(k, new Row(v, vr.windowStart(), vr.windowEnd(), vr.group(), vr.watermark(), vr.state()));
                }
            } else {
                String lateKey = k + "|" + vr.eventId();
                if (!lateSeen.add(lateKey) || lateAlreadyApplied(conn, v, vr)) {
                    continue;
                }
                Row cur = rows.get(k);
                if (cur == null) {
                    cur = loadRow(conn, v, vr);
                }
                cur.state().merge(vr.state());
                rows.put(k, cur);
                lateApplied.add(new Object[] {v.name(), vr.eventId(), DuckDbStore.ts(vr.windowStart()), vr.groupKey()});
            }
        }
        AcceptedGate.Released accepted = gate.release();
        for (ConsumerRecord<byte[], byte[]> r : accepted.records()) {
            addRaw(raw, rawTopics.get(r.topic()), r);
        }
        Map<TopicPartition, Long> nextOffsets = new HashMap<>(batch.nextOffsets());
        nextOffsets.keySet().removeIf(tp -> gate.handles(tp.topic())); // only up to the last verdict applied
        nextOffsets.putAll(accepted.nextOffsets());
        try {
            for (Map.Entry<String, List<Raw>> e : raw.entrySet()) {
                writeRaw(conn, pipeline.stream(e.getKey()), e.getValue());
            }
            Map<ViewDef, List<Row>> byView = rows.values().stream()
                    .collect(Collectors.groupingBy(Row::view, LinkedHashMap::new, Collectors.toList()));
            for (Map.Entry<ViewDef, List<Row>> e : byView.entrySet()) {
                writeView(conn, e.getKey(), e.getValue());
            }
            if (!lateApplied.isEmpty()) {
                try (PreparedStatement ps =
                        conn.prepareStatement("INSERT OR IGNORE INTO _sluice_late VALUES (?, ?, ?, ?)")) {
                    for (Object[] l : lateApplied) {
                        for (int i = 0; i < l.length; i++) {
                            ps.setObject(i + 1, l[i]);
                        }
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
            }
            try (PreparedStatement ps = conn.prepareStatement(
                    "INSERT INTO _sluice_offsets VALUES (?, ?, ?) ON CONFLICT (topic, part) DO UPDATE SET next_offset = excluded.next_offset")) {
                for (Map.Entry<TopicPartition, Long> e : nextOffsets.entrySet()) {
                    ps.setString(1, e.getKey().topic());
                    ps.setInt(2, e.getKey().partition());
                    ps.setLong(3, e.getValue());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            conn.commit();
        } catch (SQLException | RuntimeException e) {
            conn.rollback();
            throw e;
        }
        long written = raw.values().stream().mapToLong(List::size).sum() + rows.size();
        rowsWritten.addAndGet(written);
        metrics.emitted(written);
    }

    /** A raw event as it will be written: the value of each raw column (null when absent), and its event time. */
    private record Raw(JsonNode[] values, long time) {}

    /** A stream's raw columns, by name, with their position. */
    private final Map<String, Map<String, Integer>> rawColumns = new HashMap<>();

    /**
     * Reads the event's raw columns with Jackson's streaming parser: only the columns' values become nodes (no tree
     * of the whole event, no map of its fields), then each is converted as a tree's value would be.
     */
    private void addRaw(Map<String, List<Raw>> raw, StreamDef st, ConsumerRecord<byte[], byte[]> r) {
        Map<String, Integer> index = rawColumns.computeIfAbsent(st.name(), n -> {
            Map<String, Integer> m = new HashMap<>();
            List<Columns.Column> cols = Columns.raw(st);
            for (int i = 0; i < cols.size(); i++) {
                m.put(cols.get(i).name(), i);
            }
            return m;
        });
        try (JsonParser p = JSON.createParser(r.value())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            JsonNode[] values = new JsonNode[index.size()];
            JsonNode timeValue = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                Integer i = index.get(name);
                p.nextToken();
                boolean isTime = name.equals(st.timeField());
                if (i == null && !isTime) {
                    p.skipChildren();
                    continue;
                }
                JsonNode v = p.readValueAsTree();
                if (i != null) {
                    values[i] = v;
                }
                if (isTime) {
                    timeValue = v;
                }
            }
            // a record written to the stream topic around the sources can lack a readable time; writeRaw would
            // fail on it, and with it every retry of the batch: skip it as unreadable (the processor
            // dead-letters it)
            long time = EventTime.ofValue(timeValue, st.timeField());
            JsonNode id = values[index.get(st.idField())];
            if (id != null && !id.isNull()) {
                raw.computeIfAbsent(st.name(), x -> new ArrayList<>()).add(new Raw(values, time));
            }
        } catch (Exception ex) {
            LOG.warn("skipping unreadable raw event {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), ex.toString());
        }
    }

    private boolean lateAlreadyApplied(Connection conn, ViewDef v, ViewRecord vr) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT 1 FROM _sluice_late WHERE view = ? AND event_id = ? AND window_start = ? AND _group_key = ?")) {
            ps.setString(1, v.name());
            ps.setString(2, vr.eventId());
            ps.setObject(3, DuckDbStore.ts(vr.windowStart()));
            ps.setString(4, vr.groupKey());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private Row loadRow(Connection conn, ViewDef v, ViewRecord vr) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT _state, watermark FROM " + Columns.quote(v.name())
                + " WHERE window_start = ? AND _group_key = ?")) {
            ps.setObject(1, DuckDbStore.ts(vr.windowStart()));
            ps.setString(2, vr.groupKey());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    Accumulator acc = Accumulator.fromBytes(v.measures(), rs.getBytes(1));
                    return new Row(v, vr.windowStart(), vr.windowEnd(), vr.group(), vr.watermark(), acc);
                }
            }
        }
        return new Row(v, vr.windowStart(), vr.windowEnd(), vr.group(), vr.watermark(), new Accumulator(v.measures()));
    }

    private void writeRaw(Connection conn, StreamDef st, java.util.Collection<Raw> events) throws SQLException {
        List<Columns.Column> cols = Columns.raw(st);
        try (DuckDBAppender app = appender(conn, st.name())) {
            for (Raw raw : events) {
                app.beginRow();
                for (int i = 0; i < cols.size(); i++) {
                    Columns.Column c = cols.get(i);
                    JsonNode v = raw.values()[i];
                    if (v == null || v.isNull()) {
                        app.appendNull();
                    } else if (c.name().equals(st.timeField())) {
                        app.appendEpochMicros(Math.multiplyExact(raw.time(), 1000L));
                    } else {
                        switch (c.type()) {
                            case "BIGINT" -> app.append(v.asLong());
                            case "DOUBLE" -> app.append(v.asDouble());
                            case "BOOLEAN" -> app.append(v.asBoolean());
                            default -> app.append(v.isTextual() ? v.textValue() : v.toString());
                        }
                    }
                }
                app.endRow();
            }
            app.flush();
        }
        try (Statement s = conn.createStatement()) {
            // a raw table made before the accepted-records verdicts has a key on the id: keep honouring it
            s.execute((store.rawKeyed(st.name()) ? "INSERT OR IGNORE INTO " : "INSERT INTO ") + Columns.quote(st.name())
                    + " SELECT * FROM " + stage(st.name()));
            s.execute("DELETE FROM " + stage(st.name()));
        }
    }

    private void writeView(Connection conn, ViewDef v, List<Row> rows) throws SQLException {
        long now = clock.millis();
        try (DuckDBAppender app = appender(conn, v.name())) {
            for (Row r : rows) {
                app.beginRow();
                app.appendEpochMicros(Math.multiplyExact(r.windowStart(), 1000L));
                app.appendEpochMicros(Math.multiplyExact(r.windowEnd(), 1000L));
                StreamDef st = pipeline.stream(v.from());
                for (int i = 0; i < v.groupBy().size(); i++) {
                    appendValue(
                            app,
                            Columns.groupType(st, v.groupBy().get(i)),
                            r.group().get(i));
                }
                for (int i = 0; i < v.measures().size(); i++) {
                    Object m = r.state().result(i);
                    appendValue(app, Columns.measureType(v.measures().get(i)), m);
                }
                app.append(r.state().version());
                app.appendEpochMicros(Math.multiplyExact(r.watermark(), 1000L));
                app.appendEpochMicros(Math.multiplyExact(now, 1000L));
                app.append(r.groupKey());
                app.append(r.state().toBytes());
                app.endRow();
            }
            app.flush();
        }
        List<String> cols = Columns.viewColumnNames(v);
        String updates = cols.stream()
                .filter(c -> !c.equals("window_start") && !c.equals("_group_key"))
                .map(c -> Columns.quote(c) + " = excluded." + Columns.quote(c))
                .collect(Collectors.joining(", "));
        String table = Columns.quote(v.name());
        try (Statement s = conn.createStatement()) {
            s.execute("INSERT INTO " + table + " SELECT * FROM " + stage(v.name())
                    + " ON CONFLICT (window_start, _group_key) DO UPDATE SET " + updates
                    + " WHERE excluded.version > " + table + ".version");
            s.execute("DELETE FROM " + stage(v.name()));
        }
    }

    /** DuckDB's appender into a table's staging table. */
    private static DuckDBAppender appender(Connection conn, String table) throws SQLException {
        return ((DuckDBConnection) conn).createAppender("temp", "main", "_stage_" + table);
    }

    private static void appendValue(DuckDBAppender app, String type, Object v) throws SQLException {
        if (v == null) {
            app.appendNull();
            return;
        }
        switch (type) {
            case "BIGINT" -> app.append(((Number) v).longValue());
            case "DOUBLE" -> app.append(((Number) v).doubleValue());
            case "BOOLEAN" -> app.append((Boolean) v);
            default -> app.append(v.toString());
        }
    }
}
