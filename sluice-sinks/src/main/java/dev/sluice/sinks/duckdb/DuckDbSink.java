package dev.sluice.sinks.duckdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.SinkConsumer;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.EventTime;
import dev.sluice.wire.ViewRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes streams (raw events) and views (versioned rows) from Kafka into DuckDB, exactly once.
 *
 * <p>Each poll becomes one DuckDB transaction holding the batch's rows and the next offset of
 * every partition it read; on start the sink seeks to the offsets stored in the database. So a
 * crash at any moment either keeps a whole batch and its offsets or neither, and a redelivered
 * record is never applied twice. On top of that every write is idempotent on its own: raw rows are
 * inserted only when their id is new, a view row is replaced only by a higher version, and a late
 * event is merged into its row only once (tracked in {@code _sluice_late}).
 *
 * <p>Rows are appended in bulk to a staging table with DuckDB's appender, then moved with one
 * {@code INSERT … ON CONFLICT} statement per table.
 */
public final class DuckDbSink implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DuckDbSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pipeline pipeline;
    private final DuckDbStore store;
    private final Map<String, Object> consumerConfig;
    private final Clock clock;
    private final Map<String, StreamDef> rawTopics = new HashMap<>();
    private final Map<String, ViewDef> viewTopics = new HashMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong rowsWritten = new AtomicLong();
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean running = true;
    private volatile Throwable failure;
    private final SinkConsumer.WriteFailures failures;
    private final ComponentMetrics metrics;
    private final SinkConsumer positions = new SinkConsumer();

    public DuckDbSink(
            Pipeline pipeline,
            SinkDef.DuckDb sink,
            DuckDbStore store,
            Map<String, Object> consumerConfig,
            Clock clock) {
        this(pipeline, sink, store, consumerConfig, clock, PipelineMetrics.none());
    }

    public DuckDbSink(
            Pipeline pipeline,
            SinkDef.DuckDb sink,
            DuckDbStore store,
            Map<String, Object> consumerConfig,
            Clock clock,
            PipelineMetrics metrics) {
        this.metrics = metrics.sink(sink.name());
        this.failures = new SinkConsumer.WriteFailures("duckdb sink '" + sink.name() + "'", this.metrics);
        this.pipeline = pipeline;
        this.store = store;
        this.consumerConfig = consumerConfig;
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
    }

    /** Rows written so far (raw and view), for metrics and tests. */
    public long rowsWritten() {
        return rowsWritten.get();
    }

    /** Null while healthy; the error that stopped the sink otherwise. */
    public Throwable failure() {
        return failure;
    }

    public boolean running() {
        return running && failure == null;
    }

    @Override
    public void run() {
        Connection conn = null;
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer = c;
            conn = store.connect();
            conn.setAutoCommit(false);
            assign(c, conn);
            positions.commitPositions(c); // the group shows its position (and lag) from the start
            while (running) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = c.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    break;
                }
                if (records.isEmpty()) {
                    positions.commitPositions(c); // the position may have moved past a transaction marker
                    continue;
                }
                try {
                    write(conn, records);
                    failures.succeeded();
                } catch (SQLException | RuntimeException e) {
                    // nothing of the batch is committed (same transaction as the offsets): back off, then
                    // read again from the offsets DuckDB holds, so the batch is neither lost nor written twice
                    conn = retry(c, conn, e);
                    continue;
                }
                long bytes = 0;
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    bytes += r.value() == null ? 0 : r.value().length;
                }
                metrics.received(records.count(), bytes);
                positions.commitPositions(c);
            }
        } catch (Throwable t) {
            if (running) {
                failure = t;
                metrics.error(ComponentMetrics.WRITE);
                LOG.error("duckdb sink stopped", t);
            }
        } finally {
            if (conn != null) {
                try {
                    conn.close();
                } catch (SQLException e) {
                    LOG.debug("closing the sink's connection: {}", e.toString());
                }
            }
            stopped.countDown();
        }
    }

    /**
     * After a failed write: counts it, backs off, opens a fresh connection (a failed one may be unusable) and
     * seeks back to the offsets DuckDB committed; gives up after {@link SinkConsumer.WriteFailures#MAX} in a row.
     */
    private Connection retry(KafkaConsumer<byte[], byte[]> c, Connection conn, Exception cause) throws Exception {
        while (true) {
            failures.backOff(cause, () -> running);
            if (!running) {
                return conn;
            }
            try {
                conn.close();
            } catch (SQLException ignored) {
                // a broken connection may not close cleanly
            }
            try {
                conn = store.connect();
                conn.setAutoCommit(false);
                assign(c, conn);
                return conn;
            } catch (SQLException | RuntimeException e) {
                cause = e;
            }
        }
    }

    /** False while the last write failed (the sink is retrying). */
    public boolean writing() {
        return failures.none();
    }

    private void assign(KafkaConsumer<byte[], byte[]> c, Connection conn) throws SQLException {
        List<TopicPartition> parts = new ArrayList<>();
        for (String topic : concat(rawTopics.keySet(), viewTopics.keySet())) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
            for (PartitionInfo p : infos) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
        }
        c.assign(parts);
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (Statement s = conn.createStatement();
                ResultSet rs = s.executeQuery("SELECT topic, part, next_offset FROM _sluice_offsets")) {
            while (rs.next()) {
                stored.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
            }
        }
        conn.commit();
        List<TopicPartition> fresh = new ArrayList<>();
        for (TopicPartition tp : parts) {
            Long next = stored.get(tp);
            if (next == null) {
                fresh.add(tp);
            } else {
                c.seek(tp, next);
            }
        }
        if (!fresh.isEmpty()) {
            // an empty collection would mean every assigned partition: a restart would re-read whole topics, and a
            // re-read update older than the stored row would take in late deltas merged after it as lost
            c.seekToBeginning(fresh);
        }
    }

    private static List<String> concat(Set<String> a, Set<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * Writes one batch of records as a poll would deliver them, in one transaction with their offsets, on a
     * connection of its own. {@code sluice test} feeds the sink this way, without a broker.
     */
    public void writeBatch(ConsumerRecords<byte[], byte[]> records) throws SQLException {
        try (Connection conn = store.connect()) {
            conn.setAutoCommit(false);
            write(conn, records);
        }
    }

    /** A view row as it will be written. */
    private record Row(
            ViewDef view, long windowStart, long windowEnd, List<Object> group, long watermark, Accumulator state) {
        String groupKey() {
            return ViewRecord.groupKey(group);
        }
    }

    private void write(Connection conn, ConsumerRecords<byte[], byte[]> records) throws SQLException {
        Map<StreamDef, Map<String, JsonNode>> raw = new LinkedHashMap<>();
        Map<String, Row> rows = new LinkedHashMap<>(); // view|window|group -> latest row
        Set<String> lateSeen = new HashSet<>();
        List<Object[]> lateApplied = new ArrayList<>();
        Map<TopicPartition, Long> next = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
            StreamDef st = rawTopics.get(r.topic());
            if (st != null) {
                addRaw(raw, st, r);
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
        try {
            for (Map.Entry<StreamDef, Map<String, JsonNode>> e : raw.entrySet()) {
                writeRaw(conn, e.getKey(), e.getValue().values());
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
                for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
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
        long written = raw.values().stream().mapToLong(Map::size).sum() + rows.size();
        rowsWritten.addAndGet(written);
        metrics.emitted(written);
    }

    private void addRaw(Map<StreamDef, Map<String, JsonNode>> raw, StreamDef st, ConsumerRecord<byte[], byte[]> r) {
        try {
            JsonNode e = JSON.readTree(r.value());
            JsonNode id = e.get(st.idField());
            // a record written to the stream topic around the sources can lack a readable time; writeRaw would
            // fail on it, and with it every retry of the batch: skip it as unreadable (the processor
            // dead-letters it)
            EventTime.of(e, st.timeField());
            if (id != null && !id.isNull()) {
                raw.computeIfAbsent(st, x -> new LinkedHashMap<>()).putIfAbsent(id.asText(), e);
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

    private void writeRaw(Connection conn, StreamDef st, java.util.Collection<JsonNode> events) throws SQLException {
        List<Columns.Column> cols = Columns.raw(st);
        String stage = "_stage_" + st.name();
        try (DuckDBAppender app = ((DuckDBConnection) conn).createAppender(DuckDBConnection.DEFAULT_SCHEMA, stage)) {
            for (JsonNode e : events) {
                app.beginRow();
                for (Columns.Column c : cols) {
                    JsonNode v = e.get(c.name());
                    if (v == null || v.isNull()) {
                        app.appendNull();
                    } else if (c.name().equals(st.timeField())) {
                        app.appendEpochMicros(Math.multiplyExact(EventTime.of(e, st.timeField()), 1000L));
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
            s.execute("INSERT OR IGNORE INTO " + Columns.quote(st.name()) + " SELECT * FROM " + Columns.quote(stage));
            s.execute("DELETE FROM " + Columns.quote(stage));
        }
    }

    private void writeView(Connection conn, ViewDef v, List<Row> rows) throws SQLException {
        String stage = "_stage_" + v.name();
        long now = clock.millis();
        try (DuckDBAppender app = ((DuckDBConnection) conn).createAppender(DuckDBConnection.DEFAULT_SCHEMA, stage)) {
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
            s.execute("INSERT INTO " + table + " SELECT * FROM " + Columns.quote(stage)
                    + " ON CONFLICT (window_start, _group_key) DO UPDATE SET " + updates
                    + " WHERE excluded.version > " + table + ".version");
            s.execute("DELETE FROM " + Columns.quote(stage));
        }
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

    /** Stops polling and waits for the current batch to commit. */
    @Override
    public void close() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            stopped.await(
                    java.util.concurrent.TimeUnit.SECONDS.toMillis(30), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
