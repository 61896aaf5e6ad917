package dev.sluice.sinks.clickhouse;

import static dev.sluice.sinks.clickhouse.ClickHouseHttp.ident;
import static dev.sluice.sinks.clickhouse.ClickHouseHttp.literal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.ViewStore;
import dev.sluice.wire.EventTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pipeline's tables in ClickHouse: creates them, and answers the query API, dashboard snapshots and recompute the
 * way {@link dev.sluice.sinks.duckdb.DuckDbStore} does, from the deduplicated rows ({@code FINAL}).
 *
 * <p>Tables: one per stream (raw events; ReplacingMergeTree ordered by the event id, partitioned by month of the
 * event time; the time as {@code DateTime} plus its milliseconds in {@code _time_ms}), one per view
 * (ReplacingMergeTree on {@code version}, ordered by window start and group; the mergeable state in {@code _state},
 * and the Kafka partition and offset of the record that last set the row in {@code _kafka_partition}, {@code _kafka_offset}), and
 * {@code _sluice_progress}, the sink's confirmed and pending offsets per partition.
 */
public final class ClickHouseStore implements ViewStore {
    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How a value is written and read back. */
    enum Type {
        INT,
        FLOAT,
        BOOL,
        STRING,
        TIME
    }

    record Column(String name, Type type, boolean nullable) {
        String ddl() {
            String t =
                    switch (type) {
                        case INT -> "Int64";
                        case FLOAT -> "Float64";
                        case BOOL -> "UInt8";
                        case STRING -> "String";
                        case TIME -> "DateTime('UTC')";
                    };
            return ident(name) + " " + (nullable ? "Nullable(" + t + ")" : t);
        }
    }

    /** A server version, for the features that depend on it. */
    public record Version(int major, int minor) {
        public static Version parse(String v) {
            String[] p = v.strip().split("\\.");
            return new Version(Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 0);
        }

        boolean atLeast(int maj, int min) {
            return major > maj || (major == maj && minor >= min);
        }

        /** Table TTL came in 19.6. */
        public boolean hasTtl() {
            return atLeast(19, 6);
        }

        @Override
        public String toString() {
            return major + "." + minor;
        }
    }

    private final Pipeline pipeline;
    private final SinkDef.ClickHouse def;
    private final ClickHouseHttp http;
    private volatile Version version;

    public ClickHouseStore(Pipeline pipeline, SinkDef.ClickHouse def) {
        this.pipeline = pipeline;
        this.def = def;
        this.http = new ClickHouseHttp(def.url(), def.database(), def.user(), def.password());
        for (ViewDef v : pipeline.views().values()) {
            if (v.window() != null
                    && (v.window().size().toMillis() % 1000 != 0
                            || v.window().advance().toMillis() % 1000 != 0)) {
                throw new IllegalArgumentException("view '" + v.name() + "': ClickHouse stores window starts in"
                        + " whole seconds; its window size and advance must be whole seconds");
            }
        }
    }

    ClickHouseHttp http() {
        return http;
    }

    public SinkDef.ClickHouse def() {
        return def;
    }

    @Override
    public String kind() {
        return "clickhouse";
    }

    /** The server's version (asked once). */
    public Version version() throws IOException {
        Version v = version;
        if (v == null) {
            v = Version.parse(http.query("SELECT version()"));
            version = v;
        }
        return v;
    }

    /** Creates the database and the tables when missing. */
    public void createTables() throws IOException {
        new ClickHouseHttp(def.url(), null, def.user(), def.password())
                .query("CREATE DATABASE IF NOT EXISTS " + ident(def.database()));
        Version v = version();
        if (!v.hasTtl() && (def.rawTtl() != null || def.viewTtl() != null)) {
            LOG.warn(
                    "ClickHouse {} has no table TTL (19.6 and later have): sink '{}' keeps rows forever;"
                            + " drop old partitions by hand (ALTER TABLE ... DROP PARTITION)",
                    v,
                    def.name());
        }
        for (String ddl : ddl(pipeline, def, v)) {
            http.query(ddl);
        }
        for (ViewDef view : rollupViews(pipeline, def)) {
            for (Duration size : view.rollup()) {
                createRollup(view, size, v);
            }
        }
    }

    /** The views this sink keeps rollups for: listed with {@code rollup:}, with their stream's raw table here. */
    static List<ViewDef> rollupViews(Pipeline pipeline, SinkDef.ClickHouse def) {
        return pipeline.views().values().stream()
                .filter(v -> !v.rollup().isEmpty() && writes(def, v.name()) && writes(def, v.from()))
                .toList();
    }

    /** The rollup table of a view: {@code <view>_<size>}, e.g. {@code gmv_by_country_1h}. */
    static String rollupTable(ViewDef view, Duration size) {
        return view.name() + "_" + ViewDef.rollupLabel(size);
    }

    /**
     * Creates a rollup: an AggregatingMergeTree table, filled from the raw events stored so far, then a materialized
     * view that adds every raw insert to it. Both happen before the sink writes (it is the only writer), so no insert
     * falls between. A rollup whose materialized view is missing (new, or a start that stopped half-way) is rebuilt.
     */
    private void createRollup(ViewDef view, Duration size, Version v) throws IOException {
        String table = rollupTable(view, size);
        String mv = table + "_mv";
        if (http.query("EXISTS TABLE " + ident(mv)).strip().equals("1")) {
            return;
        }
        http.query("DROP TABLE IF EXISTS " + ident(table));
        http.query(rollupDdl(pipeline, view, size, v, def.viewTtl()));
        http.query("INSERT INTO " + ident(table) + " " + rollupSelect(pipeline, view, size, true));
        http.query("CREATE MATERIALIZED VIEW " + ident(mv) + " TO " + ident(table) + " AS "
                + rollupSelect(pipeline, view, size, false));
        LOG.info("clickhouse: rollup {} of view '{}' created", table, view.name());
    }

    /** The rollup table: window start, the group fields (null read as '' or 0) and one aggregate state per measure. */
    public static String rollupDdl(Pipeline pipeline, ViewDef view, Duration size, Version v, Duration ttl) {
        StreamDef st = pipeline.stream(view.from());
        List<String> cols = new ArrayList<>();
        cols.add("window_start DateTime('UTC')");
        for (String g : view.groupBy()) {
            cols.add(new Column(g, groupType(st, g), false).ddl());
        }
        for (MeasureDef m : view.measures()) {
            String state =
                    switch (m.kind()) {
                        case COUNT -> "AggregateFunction(count)";
                        case SUM -> "AggregateFunction(sum, Float64)";
                        case MIN -> "AggregateFunction(min, Float64)";
                        case MAX -> "AggregateFunction(max, Float64)";
                        case AVG -> "AggregateFunction(avg, Float64)";
                        case COUNT_DISTINCT -> "AggregateFunction(uniqHLL12, String)";
                        case P50, P95, P99 ->
                            "AggregateFunction(quantile(" + m.kind().quantileRank() + "), Float64)";
                    };
            cols.add(ident(m.name()) + " " + state);
            if (needsCount(m)) {
                cols.add(ident("_n_" + m.name()) + " AggregateFunction(count, Float64)");
            }
        }
        String order = "window_start"
                + view.groupBy().stream().map(g -> ", " + ident(g)).collect(Collectors.joining());
        return "CREATE TABLE IF NOT EXISTS " + ident(rollupTable(view, size)) + " (" + String.join(", ", cols)
                + ") ENGINE = AggregatingMergeTree PARTITION BY toYYYYMM(window_start) ORDER BY (" + order + ")"
                + ttl(v, "window_start", ttl);
    }

    private static boolean needsCount(MeasureDef m) {
        return switch (m.kind()) {
            case MIN, MAX, AVG, P50, P95, P99 -> true;
            default -> false;
        };
    }

    /** The rollup's SELECT over the raw table: the view's filter, groups and measures, per window of {@code size}. */
    static String rollupSelect(Pipeline pipeline, ViewDef view, Duration size, boolean finalRows) {
        StreamDef st = pipeline.stream(view.from());
        long secs = size.toSeconds();
        List<String> select = new ArrayList<>();
        select.add("toDateTime(intDiv(toUInt32(" + ident(st.timeField()) + "), " + secs + ") * " + secs
                + ") AS window_start");
        for (String g : view.groupBy()) {
            String empty = groupType(st, g) == Type.STRING ? "''" : "0";
            select.add("ifNull(" + ident(g) + ", " + empty + ") AS " + ident(g));
        }
        for (MeasureDef m : view.measures()) {
            String f = m.field() == null ? null : "toFloat64(" + ident(m.field()) + ")";
            String state =
                    switch (m.kind()) {
                        case COUNT -> "countState()";
                        case SUM -> "sumState(" + f + ")";
                        case MIN -> "minState(" + f + ")";
                        case MAX -> "maxState(" + f + ")";
                        case AVG -> "avgState(" + f + ")";
                        case COUNT_DISTINCT -> "uniqHLL12State(toString(" + ident(m.field()) + "))";
                        case P50, P95, P99 -> "quantileState(" + m.kind().quantileRank() + ")(" + f + ")";
                    };
            select.add(state + " AS " + ident(m.name()));
            if (needsCount(m)) {
                select.add("countState(" + f + ") AS " + ident("_n_" + m.name()));
            }
        }
        String where = view.filter() instanceof dev.sluice.pipeline.Expressions.Compiled c
                ? " WHERE " + dev.sluice.pipeline.SqlFilter.toSql(c, rawFieldNames(st), ClickHouseHttp::ident)
                : "";
        String group = "window_start"
                + view.groupBy().stream().map(g -> ", " + ident(g)).collect(Collectors.joining());
        return "SELECT " + String.join(", ", select) + " FROM " + ident(st.name()) + (finalRows ? " FINAL" : "") + where
                + " GROUP BY " + group;
    }

    private static java.util.Set<String> rawFieldNames(StreamDef st) {
        return rawColumns(st).stream().map(Column::name).collect(Collectors.toSet());
    }

    @Override
    public List<Map<String, Object>> queryRollup(
            ViewDef view, Duration size, Long from, Long to, Map<String, String> where) throws IOException {
        RollupQuery q = rollupQuery(view, size, from, to, where);
        List<String> names = q.names();
        List<Type> types = q.types();
        long step = size.toMillis();
        List<Map<String, Object>> rows = new ArrayList<>();
        http.queryLines(q.sql() + " FORMAT JSONEachRow", line -> {
            JsonNode n = parse(line);
            Map<String, Object> row = new LinkedHashMap<>();
            long start = n.get("_c0").asLong() * 1000;
            row.put("window_start", EventTime.format(start));
            row.put("window_end", EventTime.format(start + step));
            for (int i = 1; i < names.size(); i++) {
                JsonNode v = n.get("_c" + i);
                row.put(
                        names.get(i),
                        v != null && v.isNumber() && Double.isNaN(v.asDouble()) ? null : value(types.get(i), v));
            }
            rows.add(row);
        });
        return rows;
    }

    /** The SQL a rollup query runs (without FORMAT), for benchmarks and inspection. */
    public String rollupSql(ViewDef view, Duration size, Long from, Long to, Map<String, String> where) {
        return rollupQuery(view, size, from, to, where).sql();
    }

    private record RollupQuery(String sql, List<String> names, List<Type> types) {}

    private RollupQuery rollupQuery(ViewDef view, Duration size, Long from, Long to, Map<String, String> where) {
        StreamDef st = pipeline.stream(view.from());
        List<String> names = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        List<String> select = new ArrayList<>();
        select.add("toUnixTimestamp(window_start) AS _c0");
        names.add("window_start");
        types.add(Type.TIME);
        for (String g : view.groupBy()) {
            select.add(ident(g) + " AS _c" + names.size());
            names.add(g);
            types.add(groupType(st, g));
        }
        for (MeasureDef m : view.measures()) {
            String merge =
                    switch (m.kind()) {
                        case COUNT -> "countMerge";
                        case SUM -> "sumMerge";
                        case MIN -> "minMerge";
                        case MAX -> "maxMerge";
                        case AVG -> "avgMerge";
                        case COUNT_DISTINCT -> "uniqHLL12Merge";
                        case P50, P95, P99 -> "quantileMerge(" + m.kind().quantileRank() + ")";
                    };
            String e = merge + "(" + ident(m.name()) + ")";
            if (needsCount(m)) {
                e = "if(countMerge(" + ident("_n_" + m.name()) + ") = 0, NULL, " + e + ")";
            }
            select.add(e + " AS _c" + names.size());
            names.add(m.name());
            types.add(measureType(m));
        }
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(String.join(", ", select))
                .append(" FROM ")
                .append(ident(rollupTable(view, size)))
                .append(" WHERE 1 = 1");
        bounds(sql, st, from, to, where);
        String group = "window_start"
                + view.groupBy().stream().map(g -> ", " + ident(g)).collect(Collectors.joining());
        sql.append(" GROUP BY ").append(group).append(" ORDER BY ").append(group);
        return new RollupQuery(sql.toString(), names, types);
    }

    /** The CREATE TABLE statements for a server version. */
    public static List<String> ddl(Pipeline pipeline, SinkDef.ClickHouse def, Version v) {
        List<String> out = new ArrayList<>();
        out.add("CREATE TABLE IF NOT EXISTS _sluice_progress (sink String, topic String, part Int32, state String,"
                + " next_offset UInt64, at DateTime('UTC')) ENGINE = ReplacingMergeTree(next_offset)"
                + " ORDER BY (sink, topic, part, state)");
        for (StreamDef st : pipeline.streams().values()) {
            if (!writes(def, st.name())) {
                continue;
            }
            String cols = rawColumns(st).stream().map(Column::ddl).collect(Collectors.joining(", "));
            out.add("CREATE TABLE IF NOT EXISTS " + ident(st.name()) + " (" + cols + ", _time_ms Int64)"
                    + " ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(" + ident(st.timeField()) + ")"
                    + " ORDER BY " + ident(st.idField()) + ttl(v, st.timeField(), def.rawTtl()));
        }
        for (ViewDef view : pipeline.views().values()) {
            if (!writes(def, view.name())) {
                continue;
            }
            String cols = viewColumns(pipeline, view).stream().map(Column::ddl).collect(Collectors.joining(", "));
            out.add("CREATE TABLE IF NOT EXISTS " + ident(view.name()) + " (" + cols + ", version UInt64,"
                    + " watermark Int64, updated_at DateTime('UTC'), _group_key String, _state String, _kafka_partition Int32,"
                    + " _kafka_offset Int64) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(window_start)"
                    + " ORDER BY (window_start, _group_key)" + ttl(v, "window_start", def.viewTtl()));
        }
        return out;
    }

    private static String ttl(Version v, String column, Duration ttl) {
        if (ttl == null || !v.hasTtl()) {
            return "";
        }
        return " TTL " + ident(column) + " + INTERVAL " + Math.max(1, ttl.toSeconds()) + " SECOND";
    }

    static boolean writes(SinkDef.ClickHouse def, String name) {
        return def.inputs().isEmpty() || def.inputs().contains(name);
    }

    /** A raw table's columns: one per schema property (the id and the time not null), without {@code _time_ms}. */
    static List<Column> rawColumns(StreamDef st) {
        List<Column> cols = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it =
                st.schema().path("properties").properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> p = it.next();
            String name = p.getKey();
            if (name.equals(st.timeField())) {
                cols.add(new Column(name, Type.TIME, false));
            } else if (name.equals(st.idField())) {
                cols.add(new Column(name, Type.STRING, false));
            } else {
                cols.add(new Column(name, type(p.getValue().path("type").asText("")), true));
            }
        }
        if (cols.stream().noneMatch(c -> c.name().equals(st.idField()))) {
            cols.add(0, new Column(st.idField(), Type.STRING, false));
        }
        if (cols.stream().noneMatch(c -> c.name().equals(st.timeField()))) {
            cols.add(new Column(st.timeField(), Type.TIME, false));
        }
        return cols;
    }

    static Type type(String jsonType) {
        return switch (jsonType) {
            case "integer" -> Type.INT;
            case "number" -> Type.FLOAT;
            case "boolean" -> Type.BOOL;
            default -> Type.STRING;
        };
    }

    static Type groupType(StreamDef st, String field) {
        JsonNode p = st.schema().path("properties").path(field);
        return p.isMissingNode() ? Type.STRING : type(p.path("type").asText(""));
    }

    static Type measureType(MeasureDef m) {
        return switch (m.kind()) {
            case COUNT, COUNT_DISTINCT -> Type.INT;
            default -> Type.FLOAT;
        };
    }

    /** A view table's answer columns: window start and end, group fields, measures (not version or internals). */
    static List<Column> viewColumns(Pipeline pipeline, ViewDef view) {
        StreamDef st = pipeline.stream(view.from());
        List<Column> cols = new ArrayList<>();
        cols.add(new Column("window_start", Type.TIME, false));
        cols.add(new Column("window_end", Type.TIME, false));
        for (String g : view.groupBy()) {
            cols.add(new Column(g, groupType(st, g), true));
        }
        for (MeasureDef m : view.measures()) {
            Type t = measureType(m);
            cols.add(new Column(m.name(), t, t != Type.INT));
        }
        return cols;
    }

    @Override
    public List<Map<String, Object>> queryView(ViewDef view, Long from, Long to, Map<String, String> where)
            throws IOException {
        StreamDef st = pipeline.stream(view.from());
        List<Column> cols = new ArrayList<>(viewColumns(pipeline, view));
        cols.add(new Column("version", Type.INT, false));
        List<String> select = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Column c = cols.get(i);
            String expr = c.type() == Type.TIME ? "toUnixTimestamp(" + ident(c.name()) + ")" : ident(c.name());
            select.add(expr + " AS _c" + i);
        }
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(String.join(", ", select))
                .append(" FROM ")
                .append(ident(view.name()))
                .append(" FINAL WHERE 1 = 1");
        bounds(sql, st, from, to, where);
        sql.append(" ORDER BY window_start");
        for (String g : view.groupBy()) {
            sql.append(", ").append(ident(g));
        }
        sql.append(" FORMAT JSONEachRow");
        List<Map<String, Object>> rows = new ArrayList<>();
        http.queryLines(sql.toString(), line -> {
            JsonNode n = parse(line);
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 0; i < cols.size(); i++) {
                Column c = cols.get(i);
                row.put(c.name(), value(c.type(), n.get("_c" + i)));
            }
            if (view.window() == null) {
                // one row per group over all time: its end is past what DateTime holds
                row.put("window_end", EventTime.format(dev.sluice.wire.ViewRecord.GLOBAL_END));
            }
            rows.add(row);
        });
        return rows;
    }

    /** The conditions of a view or rollup query: window_start in [from, to), group fields equal. */
    private static void bounds(StringBuilder sql, StreamDef st, Long from, Long to, Map<String, String> where) {
        if (from != null) {
            sql.append(" AND window_start >= toDateTime(")
                    .append(ceilSeconds(from))
                    .append(')');
        }
        if (to != null) {
            sql.append(" AND window_start < toDateTime(")
                    .append(ceilSeconds(to))
                    .append(')');
        }
        for (Map.Entry<String, String> w : where.entrySet()) {
            sql.append(" AND ")
                    .append(ident(w.getKey()))
                    .append(" = ")
                    .append(typedLiteral(groupType(st, w.getKey()), w.getKey(), w.getValue()));
        }
    }

    private static long ceilSeconds(long ms) {
        return Math.floorDiv(ms + 999, 1000);
    }

    private static String typedLiteral(Type t, String field, String v) {
        try {
            return switch (t) {
                case INT -> Long.toString(Long.parseLong(v.strip()));
                case FLOAT -> Double.toString(Double.parseDouble(v.strip()));
                case BOOL -> Boolean.parseBoolean(v.strip()) || v.strip().equals("1") ? "1" : "0";
                default -> literal(v);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("group field '" + field + "' is a number; '" + v + "' is not", e);
        }
    }

    /** A value from a JSONEachRow answer as the DuckDB store gives it (Long, Double, Boolean, String, time text). */
    static Object value(Type t, JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        return switch (t) {
            case INT -> n.asLong();
            case FLOAT -> n.asDouble();
            case BOOL -> n.asLong() != 0;
            case STRING -> n.asText();
            case TIME -> EventTime.format(n.asLong() * 1000);
        };
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable ClickHouse answer: " + line, e);
        }
    }

    @Override
    public Long latestWindow(ViewDef view) throws IOException {
        String[] r = http.query("SELECT count(), toUnixTimestamp(max(window_start)) FROM " + ident(view.name())
                        + " FORMAT TabSeparated")
                .strip()
                .split("\t");
        return Long.parseLong(r[0]) == 0 ? null : Long.parseLong(r[1]) * 1000;
    }

    @Override
    public void forEachRaw(String stream, Consumer<ObjectNode> each) throws IOException {
        StreamDef st = pipeline.stream(stream);
        List<Column> cols = rawColumns(st);
        List<String> select = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Column c = cols.get(i);
            select.add((c.type() == Type.TIME ? "_time_ms" : ident(c.name())) + " AS _c" + i);
        }
        http.queryLines(
                "SELECT " + String.join(", ", select) + " FROM " + ident(stream) + " FINAL FORMAT JSONEachRow",
                line -> {
                    JsonNode n = parse(line);
                    ObjectNode o = JsonNodeFactory.instance.objectNode();
                    for (int i = 0; i < cols.size(); i++) {
                        Column c = cols.get(i);
                        JsonNode v = n.get("_c" + i);
                        if (v == null || v.isNull()) {
                            continue;
                        }
                        switch (c.type()) {
                            case TIME -> o.put(c.name(), EventTime.format(v.asLong()));
                            case INT -> o.put(c.name(), v.asLong());
                            case FLOAT -> o.put(c.name(), v.asDouble());
                            case BOOL -> o.put(c.name(), v.asLong() != 0);
                            case STRING -> o.put(c.name(), v.asText());
                        }
                    }
                    each.accept(o);
                });
    }

    @Override
    public long countRaw(String stream) throws IOException {
        return Long.parseLong(
                http.query("SELECT count() FROM " + ident(stream) + " FINAL").strip());
    }

    @Override
    public boolean healthy() {
        try {
            return http.query("SELECT 1").strip().equals("1");
        } catch (IOException e) {
            return false;
        }
    }
}
