package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.loadgen.LoadgenCommand;
import dev.sluice.kafka.testing.LocalServers;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.clickhouse.ClickHouseHttp;
import dev.sluice.sinks.clickhouse.ClickHouseStore;
import dev.sluice.sinks.redis.RedisCache;
import dev.sluice.wire.EventTime;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisPooled;

/**
 * The ecommerce example writing to DuckDB, ClickHouse and a Redis cache at once, against real servers (Debian's
 * ClickHouse 18.16 and Redis, started by the test). One event set, with duplicates, out-of-order, late, too-late
 * and malformed events, goes through both stores: every view reads the same from ClickHouse as from DuckDB, the
 * query API answers from ClickHouse (and from Redis within the cached windows, with the cache's age), and every
 * view equals the same view computed in SQL by an in-memory DuckDB over the events loadgen says were accepted
 * ({@link SqlTruth}; {@code sluice verify} against loadgen's own truth is checked too, as a product feature).
 * ClickHouse never merges parts here ({@link LocalServers#clickhouse}), so {@code count()} without {@code FINAL}
 * sees a raw row inserted twice. Then a crash between a batch's write and its confirmation is staged (the
 * confirmed progress is deleted): on restart the sink repairs the range without inserting a row twice.
 */
class ClickHouseSinkIT {
    @TempDir
    static Path dir;

    static LocalServers.Server clickhouse;
    static LocalServers.Server redis;

    @BeforeAll
    static void servers() throws Exception {
        clickhouse = LocalServers.clickhouse(dir.resolve("clickhouse"));
        redis = LocalServers.redis(dir.resolve("redis"));
    }

    @AfterAll
    static void stop() {
        if (clickhouse != null) {
            clickhouse.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** The ecommerce example under a unique name, with the extra sinks appended. */
    static Path example(Path to, String unique, String sinks) throws Exception {
        return example("ecommerce", to, unique, sinks);
    }

    /** An example under a unique name (and input topics), with the extra sinks appended. */
    static Path example(String name, Path to, String unique, String sinks) throws Exception {
        Path src = Path.of("..", "examples", name);
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : files.toList()) {
                Path d = to.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(d);
                } else if (p.getFileName().toString().equals("pipeline.yaml")) {
                    Files.writeString(
                            d,
                            Files.readString(p)
                                            .replaceFirst("(?m)^pipeline: \\S+", "pipeline: " + unique)
                                            .replaceAll("(?m)^(\\s+topic: )(\\w+)", "$1" + unique + "-$2")
                                    + sinks);
                } else {
                    Files.copy(p, d);
                }
            }
        }
        return to.resolve("pipeline.yaml");
    }

    static String clickhouseSink(int port, String database) {
        return "  warehouse:\n    type: clickhouse\n    url: http://127.0.0.1:" + port + "\n" + "    database: "
                + database + "\n    batch_interval: 300ms\n    raw_ttl: 30d\n";
    }

    /**
     * {@code sluice loadgen} with the example's scenario beside {@code file}, writing the ground truth and the
     * accepted events ({@link #accepted}).
     */
    static LoadgenVerifyIT.Run loadgen(Path file, String url, int events, int rate, Path truth) {
        return LoadgenVerifyIT.run(
                new LoadgenCommand(),
                file.getParent().resolve("loadgen.yaml").toString(),
                "--url",
                url,
                "--events",
                Integer.toString(events),
                "--rate",
                Integer.toString(rate),
                "--truth",
                truth.toString(),
                "--accepted",
                accepted(truth).toString());
    }

    /** Where {@link #loadgen} writes the accepted events of the run whose truth is {@code truth}. */
    static Path accepted(Path truth) {
        return truth.resolveSibling(truth.getFileName() + ".accepted.ndjson");
    }

    static SluiceRuntime start(Path file, Path data) throws Exception {
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(file);
        SluiceRuntime rt = SluiceRuntime.start(
                pipeline,
                new SluiceRuntime.Options(
                        data, "127.0.0.1", 0, 0, SharedKafka.get().bootstrapServers(), Clock.systemUTC()));
        assertThat(rt.awaitRunning(Duration.ofSeconds(60))).isTrue();
        return rt;
    }

    static String get(int port, String path) throws Exception {
        HttpResponse<String> r = LiveIT.HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    /** Waits until every view and the raw count read the same from ClickHouse as from DuckDB. */
    static void awaitSameAnswers(SluiceRuntime rt, ClickHouseStore ch) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        for (boolean same = false; !same && System.nanoTime() < deadline; ) {
            same = true;
            for (String stream : rt.pipeline().streams().keySet()) {
                same &= rt.store().countRaw(stream) == ch.countRaw(stream);
            }
            for (ViewDef v : rt.pipeline().views().values()) {
                List<Map<String, Object>> duck = rt.store().queryView(v, null, null, Map.of());
                same &= !duck.isEmpty() && duck.equals(ch.queryView(v, null, null, Map.of()));
            }
            if (!same) {
                Thread.sleep(500);
            }
        }
        for (String stream : rt.pipeline().streams().keySet()) {
            assertThat(ch.countRaw(stream))
                    .as("raw %s", stream)
                    .isEqualTo(rt.store().countRaw(stream));
        }
        for (ViewDef v : rt.pipeline().views().values()) {
            assertThat(ch.queryView(v, null, null, Map.of()))
                    .as("view %s: ClickHouse vs DuckDB", v.name())
                    .isNotEmpty()
                    .isEqualTo(rt.store().queryView(v, null, null, Map.of()));
        }
    }

    /** The other examples' measures (min, max, avg, p99, count_distinct, derived fields) read the same too. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"fintech", "iot", "fraud"})
    void everyExampleReadsTheSameFromClickHouseAndDuckDb(String name) throws Exception {
        String unique = SharedKafka.uniqueName("ch" + name);
        String db = unique.replaceAll("[^A-Za-z0-9_]", "_");
        Path file = example(name, dir.resolve(unique), unique, clickhouseSink(clickhouse.port(), db));
        try (SluiceRuntime rt = start(file, dir.resolve(unique + "-data"))) {
            LoadgenVerifyIT.Run load =
                    loadgen(file, "http://127.0.0.1:" + rt.httpPort(), 3000, 3000, dir.resolve(unique + "-truth.json"));
            assertThat(load.exit()).as(load.out()).isZero();
            // the views (read from ClickHouse) equal the same views in SQL over the accepted events, and loadgen's
            // truth; then DuckDB reads the same
            try (SqlTruth sql = SqlTruth.load(accepted(dir.resolve(unique + "-truth.json")), "event_id")) {
                sql.assertViews(rt.httpPort(), rt.pipeline().views().keySet());
            }
            LoadgenVerifyIT.Run verify = LoadgenVerifyIT.verifyEventually(
                    "--url",
                    "http://127.0.0.1:" + rt.httpPort(),
                    "--truth",
                    dir.resolve(unique + "-truth.json").toString());
            assertThat(verify.exit()).as(verify.out()).isZero();
            awaitSameAnswers(rt, new ClickHouseStore(rt.pipeline(), (SinkDef.ClickHouse)
                    rt.pipeline().sinks().get("warehouse")));
        }
    }

    @Test
    void oneEventSetReadsTheSameFromClickHouseDuckDbAndTheCache() throws Exception {
        String unique = SharedKafka.uniqueName("chit");
        String db = unique.replaceAll("[^A-Za-z0-9_]", "_");
        Path file = example(
                dir.resolve(unique),
                unique,
                clickhouseSink(clickhouse.port(), db) + "  cache:\n    type: redis\n    url: redis://127.0.0.1:"
                        + redis.port() + "\n    windows: 3\n    refresh: 1s\n");
        // a 5-minute rollup of the GMV view, kept by ClickHouse as a materialized view
        Files.writeString(
                file,
                Files.readString(file)
                        .replace(
                                "      buyers: count_distinct(user_id)\n",
                                "      buyers: count_distinct(user_id)\n    rollup: [5m]\n"
                                        // and a view without window: one row per status over all time
                                        + "  by_status:\n    from: orders\n    group_by: [status]\n"
                                        + "    measures: {orders: count, gmv: sum(amount)}\n"));
        Path data = dir.resolve(unique + "-data");
        Path truth = dir.resolve(unique + "-truth.json");
        ClickHouseStore ch;
        ClickHouseHttp sql = new ClickHouseHttp("http://127.0.0.1:" + clickhouse.port(), db, "default", "");
        Set<String> acceptedIds;
        try (SluiceRuntime rt = start(file, data)) {
            ch = new ClickHouseStore(
                    rt.pipeline(), (SinkDef.ClickHouse) rt.pipeline().sinks().get("warehouse"));
            assertThat(rt.viewStore().kind()).isEqualTo("clickhouse");
            String url = "http://127.0.0.1:" + rt.httpPort();
            LoadgenVerifyIT.Run load = loadgen(file, url, 4000, 4000, truth);
            assertThat(load.exit()).as(load.out()).isZero();
            JsonNode injected =
                    OrdersScenario.JSON.readTree(truth.toFile()).path("run").path("injected");
            assertThat(injected.path("too_late").asLong())
                    .as("late merges exercised")
                    .isPositive();

            // the query API reads ClickHouse, and it equals the views in SQL over the accepted events
            try (SqlTruth t = SqlTruth.load(accepted(truth), "event_id")) {
                t.assertViews(rt.httpPort(), rt.pipeline().views().keySet());
                acceptedIds = t.ids();
            }
            // and sluice verify (exact by default) agrees, against loadgen's truth and against a recompute
            LoadgenVerifyIT.Run verify = LoadgenVerifyIT.verifyEventually("--url", url, "--truth", truth.toString());
            assertThat(verify.exit()).as(verify.out()).isZero();
            assertThat(LoadgenVerifyIT.verifyEventually("--url", url, "--view", "gmv_by_country", "--recompute")
                            .exit())
                    .as("recomputed from ClickHouse's raw events")
                    .isZero();
            awaitSameAnswers(rt, ch);
            assertStoredOnce(sql, acceptedIds);
            assertSameRollup(rt);
            JsonNode all = OrdersScenario.JSON.readTree(get(rt.httpPort(), "/v1/views/gmv_by_country"));
            // what the dashboard loads before its live feed (GET /v1/views) comes from ClickHouse
            assertThat(all.path("source").asText()).isEqualTo("clickhouse");
            assertThat(all.path("rows").size())
                    .isEqualTo(ch.queryView(rt.pipeline().views().get("gmv_by_country"), null, null, Map.of())
                            .size());

            // within the cached windows, the answer comes from Redis with its age, and equals the store's
            ViewDef view = rt.pipeline().views().get("gmv_by_country");
            RedisCache cache = rt.redisCaches().get(0);
            long refreshes = cache.refreshes();
            long refreshed = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (cache.refreshes() < refreshes + 2 && System.nanoTime() < refreshed) {
                Thread.sleep(100); // a refresh that started after the stores agreed
            }
            assertThat(cache.refreshes()).as("cache refreshes (every 1 s)").isGreaterThanOrEqualTo(refreshes + 2);
            long latest = ch.latestWindow(view);
            String from = EventTime.format(latest - Duration.ofMinutes(2).toMillis());
            JsonNode cached = OrdersScenario.JSON.readTree(get(
                    rt.httpPort(), "/v1/views/gmv_by_country?from=" + URLEncoder.encode(from, StandardCharsets.UTF_8)));
            assertThat(cached.path("source").asText()).isEqualTo("redis");
            assertThat(cached.path("cache_age_ms").asLong()).isBetween(0L, 5_000L);
            List<Map<String, Object>> expected =
                    ch.queryView(view, latest - Duration.ofMinutes(2).toMillis(), null, Map.of());
            assertThat(expected).isNotEmpty();
            assertThat(cached.path("rows").toString())
                    .as("the cached rows, as JSON")
                    .isEqualTo(OrdersScenario.JSON.writeValueAsString(expected));
            try (JedisPooled j = new JedisPooled("127.0.0.1", redis.port())) {
                assertThat(j.get("sluice:" + unique + ":view:gmv_by_country")).contains("\"rows\"");
            }
            // a request reaching before the cached windows goes to ClickHouse
            JsonNode older = OrdersScenario.JSON.readTree(get(
                    rt.httpPort(),
                    "/v1/views/gmv_by_country?from="
                            + (latest - Duration.ofMinutes(30).toMillis())));
            assertThat(older.path("source").asText()).isEqualTo("clickhouse");
        }

        // a crash after batches were written but before they were confirmed: only 'pending' progress is left
        long distinct = acceptedIds.size();
        sql.query("CREATE TABLE _progress_left AS _sluice_progress");
        sql.query("INSERT INTO _progress_left SELECT * FROM _sluice_progress WHERE state = 'pending'");
        sql.query("DROP TABLE _sluice_progress");
        sql.query("RENAME TABLE _progress_left TO _sluice_progress");
        // and the rollup's materialized view lost: it is rebuilt from the raw events on start
        sql.query("DROP TABLE gmv_by_country_5m_mv");
        try (SluiceRuntime rt = start(file, data)) {
            var sink = rt.clickhouseSinks().get(0);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (sink.repairedRows() < distinct && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(sink.repairedRows())
                    .as("stored raw rows found while repairing")
                    .isGreaterThanOrEqualTo(distinct);
            awaitSameAnswers(rt, ch);
            // late events merged once, after the repair: the views still equal the SQL over the accepted events
            try (SqlTruth t = SqlTruth.load(accepted(truth), "event_id")) {
                t.assertViews(rt.httpPort(), rt.pipeline().views().keySet());
            }
            String url = "http://127.0.0.1:" + rt.httpPort();
            LoadgenVerifyIT.Run verify = LoadgenVerifyIT.verifyEventually("--url", url, "--truth", truth.toString());
            assertThat(verify.exit())
                    .as("late events merged once, after the repair: " + verify.out())
                    .isZero();
            // the repair inserted nothing twice
            assertStoredOnce(sql, acceptedIds);
            assertSameRollup(rt);
        }
    }

    /**
     * The 5-minute rollup from ClickHouse (its materialized view, through the query API) equals the DuckDB view's
     * rows merged into 5-minute windows: counts exactly, sums to 1e-9, distinct buyers within the sketches' error.
     */
    static void assertSameRollup(SluiceRuntime rt) throws Exception {
        ViewDef view = rt.pipeline().views().get("gmv_by_country");
        List<Map<String, Object>> duck = rt.store().queryRollup(view, Duration.ofMinutes(5), null, null, Map.of());
        JsonNode api = OrdersScenario.JSON.readTree(get(rt.httpPort(), "/v1/views/gmv_by_country/rollups/5m"));
        assertThat(api.path("source").asText()).isEqualTo("clickhouse");
        JsonNode rows = api.path("rows");
        assertThat(rows.size()).as("rollup rows").isEqualTo(duck.size()).isPositive();
        long orders = 0;
        for (int i = 0; i < duck.size(); i++) {
            Map<String, Object> d = duck.get(i);
            JsonNode c = rows.get(i);
            for (String k : List.of("window_start", "window_end", "country", "currency")) {
                assertThat(c.path(k).asText()).as("%s of rollup row %d", k, i).isEqualTo(String.valueOf(d.get(k)));
            }
            assertThat(c.path("orders").asLong()).as("orders of %s", d).isEqualTo(d.get("orders"));
            // two HyperLogLogs of the same precision (ClickHouse's uniqHLL12, the view's lgK 12): about 1.6 %
            long buyers = (Long) d.get("buyers");
            assertThat(c.path("buyers").asLong())
                    .as("buyers of %s", d)
                    .isBetween(buyers - Math.max(2, buyers / 20), buyers + Math.max(2, buyers / 20));
            assertThat(c.path("gmv").asDouble())
                    .as("gmv of %s", d)
                    .isCloseTo((Double) d.get("gmv"), org.assertj.core.data.Percentage.withPercentage(1e-7));
            orders += c.path("orders").asLong();
        }
        long viewOrders = rt.store().queryView(view, null, null, Map.of()).stream()
                .mapToLong(r -> (Long) r.get("orders"))
                .sum();
        assertThat(orders).as("every counted order is in the rollup once").isEqualTo(viewOrders);
    }

    /**
     * The raw table holds exactly the accepted ids, each in one row: {@code count()} without {@code FINAL} on a
     * server that never merges, so a row inserted twice is counted twice (the stream feeds a rollup, for which the
     * sink looks up every batch's ids and inserts each raw row once).
     */
    static void assertStoredOnce(ClickHouseHttp sql, Set<String> acceptedIds) throws Exception {
        Set<String> stored = new HashSet<>(List.of(
                sql.query("SELECT event_id FROM orders FORMAT TSVRaw").strip().split("\n")));
        assertThat(stored).as("stored ids vs accepted ids").isEqualTo(acceptedIds);
        assertThat(count(sql, "SELECT count() FROM orders"))
                .as("raw rows (count() without FINAL, no merges)")
                .isEqualTo(acceptedIds.size());
    }

    static long count(ClickHouseHttp sql, String query) throws Exception {
        return Long.parseLong(sql.query(query).strip());
    }
}
