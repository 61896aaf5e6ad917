package dev.sluice.sinks.duckdb;

import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.wire.EventTime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.duckdb.DuckDBConnection;

/**
 * The embedded DuckDB database of a pipeline: owns the file, creates the tables, and answers
 * queries. Writes go through {@link DuckDbSink}, on a connection of its own.
 *
 * <p>Tables: one per stream (raw events: those the processor accepted, so without a key index), one per view (primary key
 * window start and group, with the row's version and mergeable state), and two bookkeeping tables:
 * {@code _sluice_offsets} (the next Kafka offset per topic partition, committed in the same
 * transaction as the rows it produced) and {@code _sluice_late} (late events already merged into a
 * view row, so a redelivered one is not counted twice).
 */
public final class DuckDbStore implements dev.sluice.sinks.ViewStore, AutoCloseable {
    private final Pipeline pipeline;
    private final Path file;
    private final DuckDBConnection root;
    private final java.util.Set<String> rawKeyed = new java.util.HashSet<>();

    private DuckDbStore(Pipeline pipeline, Path file, DuckDBConnection root) {
        this.pipeline = pipeline;
        this.file = file;
        this.root = root;
    }

    /**
     * How much the database may use: DuckDB's {@code memory_limit} (its buffer pool: table data, indexes,
     * intermediate results; beyond it DuckDB spills to {@code <file>.tmp} or fails the query) and {@code threads}.
     * DuckDB's own defaults are 80 % of the machine's memory and one thread per core: right for a database that has
     * the machine to itself, not for one sharing a process with a broker and a processor.
     *
     * <p>The default limit is 1 GB. The limit is a ceiling, not a reservation: DuckDB takes memory up to it as it
     * needs. Raw tables have no key index (which DuckDB would hold whole in memory, 100–130 bytes per row), so what
     * grows with the rows stored is only the views' key index, one entry per row of a view.
     */
    public record Settings(long memoryLimitBytes, int threads) {
        public static final long DEFAULT_MEMORY_LIMIT_BYTES = 1024L * 1024 * 1024;
        public static final int DEFAULT_THREADS = 2;

        public Settings {
            if (memoryLimitBytes <= 0 || threads <= 0) {
                throw new IllegalArgumentException(
                        "DuckDB memory limit and threads must be positive: " + memoryLimitBytes + ", " + threads);
            }
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_MEMORY_LIMIT_BYTES, DEFAULT_THREADS);
        }
    }

    /** Opens (or creates) the database with the {@linkplain Settings#defaults default settings}. */
    public static DuckDbStore open(Pipeline pipeline, Path file) throws SQLException {
        return open(pipeline, file, Settings.defaults());
    }

    public static DuckDbStore open(Pipeline pipeline, Path file, Settings settings) throws SQLException {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new SQLException("cannot create directory for " + file, e);
        }
        Properties config = new Properties();
        // database-wide: every connection duplicated from this one shares the instance and its limits
        config.setProperty("memory_limit", (settings.memoryLimitBytes() >> 10) + "KiB");
        config.setProperty("threads", Integer.toString(settings.threads()));
        DuckDBConnection c =
                (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file.toAbsolutePath(), config);
        DuckDbStore store = new DuckDbStore(pipeline, file, c);
        store.createTables();
        return store;
    }

    public Path file() {
        return file;
    }

    @Override
    public String kind() {
        return "duckdb";
    }

    @Override
    public Long latestWindow(ViewDef view) throws SQLException {
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT epoch_ms(max(window_start)) FROM " + Columns.quote(view.name()))) {
            rs.next();
            long v = rs.getLong(1);
            return rs.wasNull() ? null : v;
        }
    }

    /** The memory DuckDB holds (its buffer pool: {@code duckdb_memory()}), bytes; -1 when it cannot be read. */
    public long memoryUsed() {
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()")) {
            return rs.next() ? rs.getLong(1) : -1;
        } catch (SQLException e) {
            return -1;
        }
    }

    /** Whether a stream's raw table has a key on the event id (made by an earlier Sluice; new ones have none). */
    public boolean rawKeyed(String stream) {
        return rawKeyed.contains(stream);
    }

    /** A new connection to the same database, for one thread's use. */
    public Connection connect() throws SQLException {
        return root.duplicate();
    }

    private void createTables() throws SQLException {
        try (Statement s = root.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS _sluice_offsets (topic VARCHAR, part INTEGER, next_offset BIGINT, "
                    + "PRIMARY KEY (topic, part))");
            s.execute(
                    "CREATE TABLE IF NOT EXISTS _sluice_late (view VARCHAR, event_id VARCHAR, window_start TIMESTAMP, "
                            + "_group_key VARCHAR, PRIMARY KEY (view, event_id, window_start, _group_key))");
            for (StreamDef st : pipeline.streams().values()) {
                String cols = Columns.raw(st).stream()
                        .map(c -> Columns.quote(c.name()) + " " + c.type())
                        .collect(Collectors.joining(", "));
                s.execute("CREATE TABLE IF NOT EXISTS " + Columns.quote(st.name()) + " (" + cols + ")");
                try (java.sql.PreparedStatement ps = root.prepareStatement("SELECT count(*) FROM duckdb_constraints() "
                        + "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'")) {
                    ps.setString(1, st.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next() && rs.getLong(1) > 0) {
                            rawKeyed.add(st.name()); // made by a Sluice before the accepted-records verdicts
                        }
                    }
                }
                // the sink stages rows in temporary tables now; these are what earlier versions left in the file
                s.execute("DROP TABLE IF EXISTS " + Columns.quote("_stage_" + st.name()));
            }
            for (ViewDef v : pipeline.views().values()) {
                StreamDef st = pipeline.stream(v.from());
                StringBuilder cols =
                        new StringBuilder("window_start TIMESTAMP NOT NULL, window_end TIMESTAMP NOT NULL");
                for (String g : v.groupBy()) {
                    cols.append(", ").append(Columns.quote(g)).append(' ').append(Columns.groupType(st, g));
                }
                for (MeasureDef m : v.measures()) {
                    cols.append(", ")
                            .append(Columns.quote(m.name()))
                            .append(' ')
                            .append(Columns.measureType(m));
                }
                cols.append(", version BIGINT NOT NULL, watermark TIMESTAMP, updated_at TIMESTAMP, "
                        + "_group_key VARCHAR NOT NULL, _state BLOB");
                s.execute("CREATE TABLE IF NOT EXISTS " + Columns.quote(v.name()) + " (" + cols
                        + ", PRIMARY KEY (window_start, _group_key))");
                s.execute("DROP TABLE IF EXISTS " + Columns.quote("_stage_" + v.name()));
            }
        }
    }

    /**
     * Rows of a view, oldest window first.
     *
     * @param from inclusive lower bound on window_start, epoch ms, or null
     * @param to exclusive upper bound on window_start, epoch ms, or null
     * @param where equality filters on group fields (values as text, cast to the column's type)
     */
    @Override
    public List<Map<String, Object>> queryView(ViewDef view, Long from, Long to, Map<String, String> where)
            throws SQLException {
        StreamDef st = pipeline.stream(view.from());
        List<String> select = new ArrayList<>(List.of("window_start", "window_end"));
        view.groupBy().forEach(select::add);
        view.measures().forEach(m -> select.add(m.name()));
        select.add("version");
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(select.stream().map(Columns::quote).collect(Collectors.joining(", ")))
                .append(" FROM ")
                .append(Columns.quote(view.name()))
                .append(" WHERE 1=1");
        List<Object> params = bounds(sql, st, from, to, where);
        sql.append(" ORDER BY window_start");
        for (String g : view.groupBy()) {
            sql.append(", ").append(Columns.quote(g));
        }
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (String col : select) {
                        Object v = rs.getObject(col);
                        if (v instanceof Timestamp t) {
                            v = EventTime.format(t.toLocalDateTime()
                                    .toInstant(ZoneOffset.UTC)
                                    .toEpochMilli());
                        } else if (v instanceof java.time.LocalDateTime t) {
                            v = EventTime.format(t.toInstant(ZoneOffset.UTC).toEpochMilli());
                        }
                        row.put(col, v);
                    }
                    rows.add(row);
                }
            }
            return rows;
        }
    }

    /**
     * A rollup, computed here by merging the view's rows (their mergeable states) into windows of {@code size}.
     * ClickHouse keeps the same as a materialized view; a group value that is null reads as {@code ""} or 0, as
     * there.
     */
    @Override
    public List<Map<String, Object>> queryRollup(
            ViewDef view, java.time.Duration size, Long from, Long to, Map<String, String> where) throws SQLException {
        long step = size.toMillis();
        StreamDef st = pipeline.stream(view.from());
        StringBuilder sql = new StringBuilder("SELECT epoch_ms(window_start)");
        for (String g : view.groupBy()) {
            sql.append(", ").append(Columns.quote(g));
        }
        sql.append(", _state FROM ").append(Columns.quote(view.name())).append(" WHERE 1=1");
        // a rollup window [b, b + step) is asked for when from <= b < to: the view rows from the first such b
        List<Object> params = bounds(
                sql,
                st,
                from == null ? null : Math.floorDiv(from + step - 1, step) * step,
                to == null ? null : Math.floorDiv(to + step - 1, step) * step,
                where);
        record Bucket(long start, List<Object> group, dev.sluice.wire.Accumulator acc) {}
        Map<String, Bucket> buckets = new java.util.HashMap<>();
        try (Connection c = connect();
                PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long start = Math.floorDiv(rs.getLong(1), step) * step;
                    List<Object> group = new ArrayList<>();
                    for (int i = 0; i < view.groupBy().size(); i++) {
                        Object v = rs.getObject(2 + i);
                        if (v == null) {
                            v = Columns.groupType(st, view.groupBy().get(i)).equals("VARCHAR") ? "" : 0L;
                        }
                        group.add(v);
                    }
                    var acc = dev.sluice.wire.Accumulator.fromBytes(
                            view.measures(), rs.getBytes(2 + view.groupBy().size()));
                    String key = start + "|" + group;
                    Bucket b = buckets.get(key);
                    if (b == null) {
                        buckets.put(key, new Bucket(start, group, acc));
                    } else {
                        b.acc().merge(acc);
                    }
                }
            }
        }
        List<Bucket> sorted = new ArrayList<>(buckets.values());
        sorted.sort((a, b) -> {
            int c = Long.compare(a.start(), b.start());
            for (int i = 0; c == 0 && i < a.group().size(); i++) {
                c = compareValues(a.group().get(i), b.group().get(i));
            }
            return c;
        });
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Bucket b : sorted) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("window_start", EventTime.format(b.start()));
            row.put("window_end", EventTime.format(b.start() + step));
            for (int i = 0; i < view.groupBy().size(); i++) {
                row.put(view.groupBy().get(i), b.group().get(i));
            }
            row.putAll(b.acc().results());
            rows.add(row);
        }
        return rows;
    }

    /** Appends window_start in [from, to) and group equalities; returns the statement's parameters. */
    private static List<Object> bounds(StringBuilder sql, StreamDef st, Long from, Long to, Map<String, String> where) {
        List<Object> params = new ArrayList<>();
        if (from != null) {
            sql.append(" AND window_start >= ?");
            params.add(ts(from));
        }
        if (to != null) {
            sql.append(" AND window_start < ?");
            params.add(ts(to));
        }
        for (Map.Entry<String, String> w : where.entrySet()) {
            sql.append(" AND ")
                    .append(Columns.quote(w.getKey()))
                    .append(" = CAST(? AS ")
                    .append(Columns.groupType(st, w.getKey()))
                    .append(')');
            params.add(w.getValue());
        }
        return params;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int compareValues(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof String x && b instanceof String y) {
            return java.util.Arrays.compareUnsigned(
                    x.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    y.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return ((Comparable) a).compareTo(b);
    }

    /**
     * Every raw event stored for a stream, as JSON (timestamps as RFC 3339 text, absent fields left out), in no
     * particular order.
     */
    @Override
    public void forEachRaw(
            String stream, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> each)
            throws SQLException {
        var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT * FROM " + Columns.quote(stream))) {
            var md = rs.getMetaData();
            while (rs.next()) {
                var o = f.objectNode();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    Object v = rs.getObject(i);
                    String col = md.getColumnLabel(i);
                    switch (v) {
                        case null -> {}
                        case Timestamp t ->
                            o.put(
                                    col,
                                    EventTime.format(t.toLocalDateTime()
                                            .toInstant(ZoneOffset.UTC)
                                            .toEpochMilli()));
                        case java.time.LocalDateTime t ->
                            o.put(
                                    col,
                                    EventTime.format(t.toInstant(ZoneOffset.UTC).toEpochMilli()));
                        case java.time.OffsetDateTime t ->
                            o.put(col, EventTime.format(t.toInstant().toEpochMilli()));
                        case Long n -> o.put(col, n);
                        case Integer n -> o.put(col, n);
                        case Double n -> o.put(col, n);
                        case Float n -> o.put(col, n);
                        case java.math.BigDecimal n -> o.put(col, n);
                        case Boolean b -> o.put(col, b);
                        default -> o.put(col, v.toString());
                    }
                }
                each.accept(o);
            }
        }
    }

    /** Raw events stored for a stream. */
    @Override
    public long countRaw(String stream) throws SQLException {
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + Columns.quote(stream))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** True when the database answers a trivial query. */
    @Override
    public boolean healthy() {
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1")) {
            return rs.next();
        } catch (SQLException e) {
            return false;
        }
    }

    static java.time.LocalDateTime ts(long epochMillis) {
        return java.time.LocalDateTime.ofEpochSecond(
                Math.floorDiv(epochMillis, 1000), Math.floorMod(epochMillis, 1000) * 1_000_000, ZoneOffset.UTC);
    }

    @Override
    public void close() throws SQLException {
        root.close();
    }
}
