package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The examples' views computed without any Sluice code, as the oracle of the ITs that claim a view equals the
 * ground truth. The events {@code sluice loadgen --accepted} says the pipeline accepted (duplicates included) are
 * loaded into an in-memory DuckDB this class fills itself; duplicates are dropped by id here; each view is plain
 * SQL written below (windows by epoch arithmetic). The query API's rows must then be exactly these rows, with
 *
 * <ul>
 *   <li>counts and versions (the number of events in the row) equal;
 *   <li>min and max equal; sums (exact decimals here, doubles in the stores) and averages equal up to 1e-9
 *       relative, floating-point rounding, which is far below any one event's share of a row;
 *   <li>distinct counts within three standard errors of the views' HyperLogLog (lgK 12: 1.04 / 64 = 1.625 %);
 *   <li>quantiles between the row's min and max, and at a rank within twice KLL's rank error (k 200: 1.33 %) plus
 *       one value of the quantile asked for, from both sides.
 * </ul>
 */
final class SqlTruth implements AutoCloseable {
    /** A measure's kind, as far as the comparison cares. */
    sealed interface Kind {}

    record Exact() implements Kind {}

    record Distinct() implements Kind {}

    record Quantile(double p) implements Kind {}

    static final Kind EXACT = new Exact();
    static final Kind DISTINCT = new Distinct();

    /**
     * A view as SQL over the table {@code events} (one row per accepted id, every field as text): its columns are
     * {@code ws} (window start, epoch ms; 0 for a view without window), the group fields, {@code n} (events in
     * the row), and one per measure (a quantile's column: the row's values as a list).
     */
    record ViewSql(boolean windowed, List<String> groupBy, Map<String, Kind> measures, String sql) {}

    private static final double HLL_RSE = 1.04 / Math.sqrt(4096);
    private static final double KLL_RANK_ERROR = 0.0133;
    private static final double ROUNDING = 1e-9;

    private static String ms(String field) {
        return "epoch_ms(CAST(" + field + " AS TIMESTAMP))";
    }

    private static String tumbling(String field, long sizeMs) {
        return "(" + ms(field) + " // " + sizeMs + ") * " + sizeMs;
    }

    private static String dec(String field) {
        return "CAST(" + field + " AS DECIMAL(38, 10))";
    }

    private static String dbl(String field) {
        return "CAST(" + field + " AS DOUBLE)";
    }

    /** Every example's views (and the windowless one ClickHouseSinkIT adds), by view name. */
    static final Map<String, ViewSql> VIEWS = Map.of(
            "gmv_by_country",
            new ViewSql(
                    true,
                    List.of("country", "currency"),
                    Map.of("orders", EXACT, "gmv", EXACT, "buyers", DISTINCT),
                    "SELECT " + tumbling("created_at", 60_000) + " AS ws, country, currency, count(*) AS n,"
                            + " count(*) AS orders, sum(" + dec("amount") + ") AS gmv,"
                            + " count(DISTINCT user_id) AS buyers"
                            + " FROM events WHERE status = 'paid' GROUP BY ALL"),
            "by_status",
            new ViewSql(
                    false,
                    List.of("status"),
                    Map.of("orders", EXACT, "gmv", EXACT),
                    "SELECT 0 AS ws, status, count(*) AS n, count(*) AS orders, sum(" + dec("amount") + ") AS gmv"
                            + " FROM events GROUP BY ALL"),
            "vwap_by_symbol",
            new ViewSql(
                    true,
                    List.of("symbol"),
                    Map.of(
                            "trades", EXACT,
                            "volume", EXACT,
                            "notional", EXACT,
                            "low", EXACT,
                            "high", EXACT,
                            "avg_price", EXACT),
                    "SELECT " + tumbling("trade_time", 60_000) + " AS ws, symbol, count(*) AS n, count(*) AS trades,"
                            + " sum(" + dec("qty") + ") AS volume, sum(" + dec("price") + " * " + dec("qty")
                            + ") AS notional, min(" + dbl("price") + ") AS low, max(" + dbl("price") + ") AS high,"
                            + " avg(" + dbl("price") + ") AS avg_price FROM events GROUP BY ALL"),
            "volume_by_venue",
            new ViewSql(
                    true,
                    List.of("venue", "side"),
                    Map.of("trades", EXACT, "volume", EXACT, "notional", EXACT),
                    "SELECT " + tumbling("trade_time", 10_000) + " AS ws, venue, side, count(*) AS n,"
                            + " count(*) AS trades, sum(" + dec("qty") + ") AS volume,"
                            + " sum(" + dec("price") + " * " + dec("qty") + ") AS notional FROM events GROUP BY ALL"),
            "by_device",
            new ViewSql(
                    true,
                    List.of("device_id", "sensor"),
                    Map.of("readings", EXACT, "avg_value", EXACT, "min_value", EXACT, "max_value", EXACT),
                    "SELECT " + tumbling("read_at", 60_000) + " AS ws, device_id, sensor, count(*) AS n,"
                            + " count(*) AS readings, avg(" + dbl("value") + ") AS avg_value,"
                            + " min(" + dbl("value") + ") AS min_value, max(" + dbl("value") + ") AS max_value"
                            + " FROM events GROUP BY ALL"),
            "by_site",
            new ViewSql(
                    true,
                    List.of("site", "sensor"),
                    Map.of("readings", EXACT, "avg_value", EXACT, "p99_value", new Quantile(0.99)),
                    "SELECT " + tumbling("read_at", 300_000) + " AS ws, site, sensor, count(*) AS n,"
                            + " count(*) AS readings, avg(" + dbl("value") + ") AS avg_value,"
                            + " list(" + dbl("value") + ") AS p99_value FROM events GROUP BY ALL"),
            "stakes_by_account",
            new ViewSql(
                    true,
                    List.of("account_id"),
                    Map.of("bets", EXACT, "staked", EXACT, "max_stake", EXACT, "games", DISTINCT),
                    "SELECT " + tumbling("placed_at", 60_000) + " AS ws, account_id, count(*) AS n,"
                            + " count(*) AS bets, sum(" + dec("stake") + ") AS staked,"
                            + " max(" + dbl("stake") + ") AS max_stake, count(DISTINCT game) AS games"
                            + " FROM events GROUP BY ALL"),
            "stakes_by_game",
            new ViewSql(
                    true,
                    List.of("game"),
                    Map.of("bets", EXACT, "staked", EXACT, "p95_stake", new Quantile(0.95)),
                    // hopping, 5 minutes every minute: an event is in the five windows starting in the 5 minutes
                    // up to its time
                    "SELECT (" + ms("placed_at") + " // 60000 - back) * 60000 AS ws, game, count(*) AS n,"
                            + " count(*) AS bets, sum(" + dec("stake") + ") AS staked,"
                            + " list(" + dbl("stake") + ") AS p95_stake"
                            + " FROM events, range(0, 5) AS windows(back) GROUP BY ALL"));

    private final Connection db;
    private final String idField;

    private SqlTruth(Connection db, String idField) {
        this.db = db;
        this.idField = idField;
    }

    /** Loads the accepted events ({@code sluice loadgen --accepted}), keeping the first of each {@code idField}. */
    static SqlTruth load(Path acceptedNdjson, String idField) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        Set<String> fields = new LinkedHashSet<>();
        for (String line : Files.readAllLines(acceptedNdjson, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                JsonNode e = OrdersScenario.JSON.readTree(line);
                events.add(e);
                e.fieldNames().forEachRemaining(fields::add);
            }
        }
        Connection db = DriverManager.getConnection("jdbc:duckdb:");
        List<String> columns = new ArrayList<>(fields);
        try (Statement s = db.createStatement()) {
            StringBuilder ddl = new StringBuilder("CREATE TABLE accepted (seq BIGINT");
            columns.forEach(c -> ddl.append(", ").append(quote(c)).append(" VARCHAR"));
            s.execute(ddl.append(")").toString());
        }
        String insert = "INSERT INTO accepted VALUES (?" + ", ?".repeat(columns.size()) + ")";
        try (PreparedStatement ps = db.prepareStatement(insert)) {
            long seq = 0;
            for (JsonNode e : events) {
                ps.setLong(1, seq++);
                for (int i = 0; i < columns.size(); i++) {
                    JsonNode v = e.get(columns.get(i));
                    ps.setString(
                            i + 2,
                            v == null || v.isNull()
                                    ? null
                                    : v.isNumber() ? v.decimalValue().toPlainString() : v.asText());
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
        try (Statement s = db.createStatement()) {
            s.execute("CREATE VIEW events AS SELECT * FROM accepted QUALIFY row_number() OVER (PARTITION BY "
                    + quote(idField) + " ORDER BY seq) = 1");
        }
        return new SqlTruth(db, idField);
    }

    private static String quote(String column) {
        return '"' + column.replace("\"", "\"\"") + '"';
    }

    /** The accepted ids, each once. */
    Set<String> ids() throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Statement s = db.createStatement();
                ResultSet rs = s.executeQuery("SELECT " + quote(idField) + " FROM events")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    /** The expected rows of a view, keyed like {@link #key}. */
    Map<String, Map<String, Object>> rows(String view) throws SQLException {
        ViewSql v = VIEWS.get(view);
        if (v == null) {
            throw new IllegalArgumentException("no SQL for view " + view + " in SqlTruth.VIEWS");
        }
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        try (Statement s = db.createStatement();
                ResultSet rs = s.executeQuery(v.sql())) {
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("ws", rs.getLong("ws"));
                for (String g : v.groupBy()) {
                    row.put(g, rs.getString(g));
                }
                row.put("n", rs.getLong("n"));
                for (var m : v.measures().entrySet()) {
                    Object x = rs.getObject(m.getKey());
                    if (x instanceof Array a) {
                        Object[] items = (Object[]) a.getArray();
                        double[] sorted = new double[items.length];
                        for (int i = 0; i < items.length; i++) {
                            sorted[i] = ((Number) items[i]).doubleValue();
                        }
                        Arrays.sort(sorted);
                        x = sorted;
                    }
                    row.put(m.getKey(), x);
                }
                out.put(key(v, row.get("ws"), row), row);
            }
        }
        return out;
    }

    private static String key(ViewSql v, Object windowStartMs, Map<String, ?> row) {
        StringBuilder b = new StringBuilder(
                v.windowed()
                        ? Instant.ofEpochMilli(((Number) windowStartMs).longValue())
                                .toString()
                        : "-");
        for (String g : v.groupBy()) {
            b.append('|').append(row.get(g));
        }
        return b.toString();
    }

    /** How the query API's rows of {@code view} differ from the SQL's; empty when they are the same rows. */
    List<String> differences(String view, JsonNode apiRows) throws SQLException {
        ViewSql v = VIEWS.get(view);
        Map<String, Map<String, Object>> expected = rows(view);
        List<String> diffs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode r : apiRows) {
            Map<String, Object> got = new LinkedHashMap<>();
            for (String g : v.groupBy()) {
                got.put(g, r.path(g).asText());
            }
            long ws = v.windowed()
                    ? Instant.parse(r.path("window_start").asText()).toEpochMilli()
                    : 0;
            String k = key(v, ws, got);
            Map<String, Object> x = expected.get(k);
            if (!seen.add(k)) {
                diffs.add(view + " " + k + ": answered twice");
                continue;
            }
            if (x == null) {
                diffs.add(view + " " + k + ": answered, not expected: " + r);
                continue;
            }
            long n = (Long) x.get("n");
            if (r.path("version").asLong() != n) {
                diffs.add(view + " " + k + ": version " + r.path("version") + ", expected " + n + " (events)");
            }
            for (var m : v.measures().entrySet()) {
                String problem = check(m.getValue(), r.path(m.getKey()), x.get(m.getKey()));
                if (problem != null) {
                    diffs.add(view + " " + k + ": " + m.getKey() + " " + problem);
                }
            }
        }
        for (String k : expected.keySet()) {
            if (!seen.contains(k)) {
                diffs.add(view + " " + k + ": expected, not answered: " + summary(expected.get(k)));
            }
        }
        return diffs;
    }

    private static String summary(Map<String, Object> row) {
        Map<String, Object> s = new LinkedHashMap<>(row);
        s.replaceAll((k, o) -> o instanceof double[] d ? d.length + " values" : o);
        return s.toString();
    }

    /** Null when {@code got} is right for {@code exact}, else what is wrong. */
    static String check(Kind kind, JsonNode got, Object exact) {
        if (got.isMissingNode() || got.isNull()) {
            return exact == null ? null : "missing, expected " + exact;
        }
        return switch (kind) {
            case Exact e -> {
                if (exact instanceof Long l) {
                    yield got.isIntegralNumber() && got.asLong() == l ? null : got + ", expected " + l;
                }
                if (exact instanceof BigDecimal d) {
                    double diff =
                            Math.abs(new BigDecimal(got.asText()).subtract(d).doubleValue());
                    yield diff <= ROUNDING * Math.max(1, d.abs().doubleValue())
                            ? null
                            : got + ", expected " + d.toPlainString();
                }
                double d = ((Number) exact).doubleValue();
                yield Math.abs(got.asDouble() - d) <= ROUNDING * Math.max(1, Math.abs(d))
                        ? null
                        : got + ", expected " + d;
            }
            case Distinct x -> {
                long e = ((Number) exact).longValue();
                long bound = (long) Math.ceil(3 * HLL_RSE * e);
                yield Math.abs(got.asLong() - e) <= bound
                        ? null
                        : got + ", expected " + e + " ± " + bound + " (3 standard errors of HLL lgK 12)";
            }
            case Quantile q -> {
                double[] sorted = (double[]) exact;
                double value = got.asDouble();
                int below = 0;
                int atOrBelow = 0;
                for (double s : sorted) {
                    below += s < value ? 1 : 0;
                    atOrBelow += s <= value ? 1 : 0;
                }
                int n = sorted.length;
                double slack = 2 * KLL_RANK_ERROR + 1.0 / n;
                if (value < sorted[0] || value > sorted[n - 1]) {
                    yield got + " outside the row's values [" + sorted[0] + ", " + sorted[n - 1] + "]";
                }
                yield (double) atOrBelow / n >= q.p() - slack && (double) below / n <= q.p() + slack
                        ? null
                        : String.format(
                                "%s has rank %.4f..%.4f among the row's %d values; p%s allows %.4f..%.4f",
                                got,
                                (double) below / n,
                                (double) atOrBelow / n,
                                n,
                                q.p(),
                                q.p() - slack,
                                q.p() + slack);
            }
        };
    }

    /** Polls the query API until every view in {@code views} answers these rows, then asserts it once more. */
    void assertViews(int port, Iterable<String> views) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        List<String> diffs;
        do {
            diffs = new ArrayList<>();
            for (String view : views) {
                diffs.addAll(differences(view, apiRows(port, view)));
            }
            if (diffs.isEmpty()) {
                return;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        assertThat(diffs.subList(0, Math.min(diffs.size(), 40)))
                .as("query API vs the views in SQL over the accepted events (%d differences)", diffs.size())
                .isEmpty();
    }

    static JsonNode apiRows(int port, String view) throws Exception {
        HttpResponse<String> r = LiveIT.HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/views/"
                                + URLEncoder.encode(view, StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(60))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return OrdersScenario.JSON.readTree(r.body()).path("rows");
    }

    @Override
    public void close() throws SQLException {
        db.close();
    }
}
