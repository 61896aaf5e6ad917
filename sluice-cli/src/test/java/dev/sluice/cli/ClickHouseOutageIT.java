package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.testing.LocalServers;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.clickhouse.ClickHouseHttp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ClickHouse stopped for 30 s under load, then restarted: the sink counts its failed writes and backs off,
 * readiness answers 503, its consumer lag grows while events keep coming, and after the restart the lag returns to
 * zero, the raw table holds each accepted id in exactly one row (counted without {@code FINAL} on a server that
 * never merges; the view feeds a rollup, so the sink inserts each raw row once), and every view equals the same view
 * in SQL over the accepted events ({@link SqlTruth}), as {@code sluice verify} finds against loadgen's truth and
 * against the recompute from the raw events stored in ClickHouse.
 */
@Tag("slow")
class ClickHouseOutageIT {
    @TempDir
    Path dir;

    @Test
    void aThirtySecondOutageLosesAndDoublesNothing() throws Exception {
        LocalServers.Server ch = LocalServers.clickhouse(dir.resolve("clickhouse"));
        try {
            String unique = SharedKafka.uniqueName("chout");
            String db = unique.replaceAll("[^A-Za-z0-9_]", "_");
            // ClickHouse only: the query API reads it, no DuckDB beside it
            Path file = ClickHouseSinkIT.example(
                            dir.resolve(unique), unique, ClickHouseSinkIT.clickhouseSink(ch.port(), db))
                    .toAbsolutePath();
            java.nio.file.Files.writeString(
                    file,
                    java.nio.file.Files.readString(file)
                            .replace("  store:\n    type: duckdb\n", "")
                            .replace(
                                    "      buyers: count_distinct(user_id)\n",
                                    "      buyers: count_distinct(user_id)\n    rollup: [5m]\n"));
            Path truth = dir.resolve("truth.json");
            try (SluiceRuntime rt = ClickHouseSinkIT.start(file, dir.resolve("data"))) {
                assertThat(rt.store()).as("no DuckDB").isNull();
                String url = "http://127.0.0.1:" + rt.httpPort();
                String group = "sluice-" + unique + "-sink-warehouse";
                // 12,000 events over about 60 s, in the background
                // a thread of this test's own (it inherits the test's class loader; the common pool's would not)
                java.util.concurrent.ExecutorService loader = java.util.concurrent.Executors.newSingleThreadExecutor();
                CompletableFuture<LoadgenVerifyIT.Run> load = CompletableFuture.supplyAsync(
                        () -> ClickHouseSinkIT.loadgen(file, url, 12000, 200, truth), loader);
                loader.shutdown();
                Thread.sleep(8_000);
                ch.stop();
                long lagAtStop = sinkLag(rt, group);
                Thread.sleep(15_000);
                HttpResponse<String> ready = get(rt, "/health/ready");
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
                Thread.sleep(15_000);
                long lagAfter30s = sinkLag(rt, group);
                assertThat(lagAfter30s)
                        .as(
                                "lag grows while ClickHouse is away (loadgen: %s)",
                                load.isDone() ? load.join().out() : "sending")
                        .isGreaterThan(lagAtStop + 1_000);
                assertThat(get(rt, "/metrics").body())
                        .containsPattern(
                                "sluice_errors_total\\{component=\"sink\",name=\"warehouse\",pipeline=\"[^\"]+\","
                                        + "stage=\"write\"} [1-9]");
                ch = LocalServers.restartClickhouse(ch);

                LoadgenVerifyIT.Run sent = load.get(3, java.util.concurrent.TimeUnit.MINUTES);
                assertThat(sent.exit()).as(sent.out()).isZero();
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (sinkLag(rt, group) > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
                assertThat(sinkLag(rt, group)).as("lag recovers").isZero();
                LoadgenVerifyIT.Run verify =
                        LoadgenVerifyIT.verifyEventually("--url", url, "--truth", truth.toString());
                assertThat(verify.exit()).as(verify.out()).isZero();
                for (ViewDef v : rt.pipeline().views().values()) {
                    LoadgenVerifyIT.Run again =
                            LoadgenVerifyIT.verifyEventually("--url", url, "--view", v.name(), "--recompute");
                    assertThat(again.exit()).as(again.out()).isZero();
                }
                try (SqlTruth sql = SqlTruth.load(ClickHouseSinkIT.accepted(truth), "event_id")) {
                    sql.assertViews(rt.httpPort(), rt.pipeline().views().keySet());
                    ClickHouseSinkIT.assertStoredOnce(
                            new ClickHouseHttp("http://127.0.0.1:" + ch.port(), db, "default", ""), sql.ids());
                }
                assertThat(get(rt, "/health/ready").statusCode()).isEqualTo(200);
            }
        } finally {
            ch.close();
        }
    }

    static HttpResponse<String> get(SluiceRuntime rt, String path) throws Exception {
        return LiveIT.HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rt.httpPort() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The sink group's total lag, from {@code GET /v1/lag}. */
    static long sinkLag(SluiceRuntime rt, String group) throws Exception {
        JsonNode body = OrdersScenario.JSON.readTree(get(rt, "/v1/lag").body());
        for (JsonNode g : body.path("groups")) {
            if (g.path("group").asText().equals(group)) {
                return g.path("lag").asLong();
            }
        }
        throw new AssertionError("no group " + group + " in " + body);
    }
}
