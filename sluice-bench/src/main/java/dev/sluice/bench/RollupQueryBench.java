package dev.sluice.bench;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.clickhouse.ClickHouseHttp;
import dev.sluice.sinks.clickhouse.ClickHouseStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Dashboard queries answered from ClickHouse rollups, over many raw events: the ecommerce pipeline of
 * {@code examples/ecommerce/pipeline-scale.yaml} (GMV per minute with {@code rollup: [1h, 1d]}), its tables and
 * materialized views made by {@link ClickHouseStore}, then {@code --events} orders over 30 days inserted server
 * side (so the rollups fill as they would from the sink). Measured in one run: the load rate, the query
 * {@code GET /v1/views/gmv_by_country/rollups/...} runs (the store's {@code queryRollup}, answer parsed), and as
 * the machine's own reference the same aggregation computed from the raw table.
 *
 * <p>Usage: {@code bash bench/rollup-query.sh [--events N] [--runs N]}; the script starts Debian's ClickHouse.
 */
public final class RollupQueryBench {
    private RollupQueryBench() {}

    public static void main(String[] args) throws Exception {
        String url = null;
        long events = 100_000_000L;
        int runs = 200;
        Path home = Path.of(".");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = args[++i];
                case "--events" -> events = Long.parseLong(args[++i].replace("_", ""));
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--home" -> home = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (url == null) {
            throw new IllegalArgumentException(
                    "--url http://127.0.0.1:PORT (the ClickHouse HTTP interface) is required");
        }
        Pipeline p = new PipelineLoader(Map.of("CLICKHOUSE_URL", url, "CLICKHOUSE_DATABASE", "bench"))
                .load(home.resolve("examples/ecommerce/pipeline-scale.yaml"));
        ClickHouseStore store =
                new ClickHouseStore(p, (SinkDef.ClickHouse) p.sinks().get("warehouse"));
        store.createTables();
        ClickHouseHttp sql = new ClickHouseHttp(url, "bench", "default", "");
        System.out.println("clickhouse " + store.version());

        Instant end = Instant.now().truncatedTo(ChronoUnit.DAYS);
        long span = Duration.ofDays(30).toSeconds();
        long start = end.getEpochSecond() - span;
        long chunk = 5_000_000;
        long t0 = System.nanoTime();
        for (long off = 0; off < events; off += chunk) {
            long n = Math.min(chunk, events - off);
            // one order per row; times spread evenly over 30 days; 15 countries, 11 currencies, 50k users
            sql.query("INSERT INTO orders (event_id, order_id, user_id, country, currency, amount, status, created_at,"
                    + " sent_at, _time_ms) SELECT toString(number) AS id, concat('o-', id),"
                    + " concat('u-', toString(intHash32(number) % 50000)),"
                    + " ['US','GB','DE','FR','ES','IT','NL','SE','PL','BR','MX','JP','IN','AU','CA'][intHash32(number) % 15 + 1],"
                    + " ['USD','EUR','GBP','SEK','PLN','BRL','MXN','JPY','INR','AUD','CAD'][intHash64(number) % 11 + 1],"
                    + " (intHash32(number * 7) % 20000) / 100, if(number % 10 < 8, 'paid', 'placed'),"
                    + " toDateTime(" + start + " + intDiv(number * " + span + ", " + events + ")), NULL,"
                    + " (" + start + " + intDiv(number * " + span + ", " + events + ")) * 1000"
                    + " FROM system.numbers LIMIT " + off + ", " + n);
            System.out.printf("loaded %,d%n", off + n);
        }
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                "load: %,d events in %.1f s = %,.0f events/s (raw table and both rollups)%n",
                events, loadSeconds, events / loadSeconds);
        System.out.println(
                "rows: raw " + sql.query("SELECT count() FROM orders").strip() + ", 1h rollup "
                        + sql.query("SELECT count() FROM gmv_by_country_1h").strip() + " (before merges), 1d rollup "
                        + sql.query("SELECT count() FROM gmv_by_country_1d").strip());

        ViewDef view = p.views().get("gmv_by_country");
        long to = end.toEpochMilli();
        long weekAgo = to - Duration.ofDays(7).toMillis();
        long monthAgo = to - Duration.ofDays(30).toMillis();
        measure(
                "1h rollup, last 7 days, all groups",
                runs,
                () -> store.queryRollup(view, Duration.ofHours(1), weekAgo, to, Map.of())
                        .size());
        String weekSql = store.rollupSql(view, Duration.ofHours(1), weekAgo, to, Map.of());
        measure("the same, server side only (FORMAT Null)", runs, () -> {
            sql.query(weekSql + " FORMAT Null");
            return 0; // nothing comes back
        });
        measure(
                "1h rollup, last 7 days, country=DE",
                runs,
                () -> store.queryRollup(view, Duration.ofHours(1), weekAgo, to, Map.of("country", "DE"))
                        .size());
        measure(
                "1d rollup, last 30 days, all groups",
                runs,
                () -> store.queryRollup(view, Duration.ofDays(1), monthAgo, to, Map.of())
                        .size());
        measure(
                "reference: the 7-day hourly aggregation from the raw table",
                5,
                () -> sql.query("SELECT toStartOfHour(created_at) AS h, country, currency, count(), sum(amount),"
                                + " uniq(user_id) FROM orders WHERE status = 'paid' AND created_at >= toDateTime("
                                + weekAgo / 1000 + ") GROUP BY h, country, currency FORMAT JSONEachRow")
                        .split("\n")
                        .length);
    }

    interface Query {
        int run() throws Exception;
    }

    static void measure(String name, int runs, Query q) throws Exception {
        int rows = 0;
        for (int i = 0; i < Math.min(10, runs); i++) {
            rows = q.run(); // warm-up
        }
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        for (int i = 0; i < runs; i++) {
            long s = System.nanoTime();
            rows = q.run();
            h.recordValue(System.nanoTime() - s);
        }
        System.out.printf(
                "| %s | %,d rows | %d runs | p50 %.1f ms | p99 %.1f ms | max %.1f ms |%n",
                name,
                rows,
                runs,
                h.getValueAtPercentile(50) / 1e6,
                h.getValueAtPercentile(99) / 1e6,
                h.getMaxValue() / 1e6);
    }
}
