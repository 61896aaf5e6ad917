package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.sinks.clickhouse.ClickHouseStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ClickHouse tables by server version: retention becomes a table TTL on servers that have it (19.6 and later)
 * and is left out on older ones such as Debian's 18.16, which ClickHouseSinkIT runs the same statements against.
 */
class ClickHouseDdlTest {
    static final Pipeline ECOMMERCE = load();

    static Pipeline load() {
        try {
            return PipelineLoader.withSystemEnv().load(Path.of("..", "examples", "ecommerce", "pipeline.yaml"));
        } catch (dev.sluice.pipeline.PipelineException e) {
            throw new IllegalStateException(e);
        }
    }

    static SinkDef.ClickHouse sink(Duration rawTtl, Duration viewTtl) {
        return new SinkDef.ClickHouse(
                "warehouse",
                "http://127.0.0.1:8123",
                "shop",
                "default",
                "",
                List.of(),
                10_000,
                Duration.ofSeconds(1),
                rawTtl,
                viewTtl);
    }

    @Test
    void retentionIsATableTtlFromClickHouse19dot6() {
        List<String> ddl = ClickHouseStore.ddl(
                ECOMMERCE, sink(Duration.ofDays(30), Duration.ofDays(400)), ClickHouseStore.Version.parse("24.8.4.13"));
        assertThat(ddl)
                .anySatisfy(s -> assertThat(s)
                        .startsWith("CREATE TABLE IF NOT EXISTS `orders`")
                        .contains("ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(`created_at`) ORDER BY `event_id`")
                        .endsWith(" TTL `created_at` + INTERVAL 2592000 SECOND"))
                .anySatisfy(s -> assertThat(s)
                        .startsWith("CREATE TABLE IF NOT EXISTS `gmv_by_country`")
                        .contains("ENGINE = ReplacingMergeTree(version)")
                        .endsWith(" TTL `window_start` + INTERVAL 34560000 SECOND"));
    }

    @Test
    void olderServersGetNoTtlClause() {
        for (String v : List.of("18.16.1", "19.5.3")) {
            assertThat(ClickHouseStore.ddl(
                            ECOMMERCE,
                            sink(Duration.ofDays(30), Duration.ofDays(400)),
                            ClickHouseStore.Version.parse(v)))
                    .as(v)
                    .hasSize(3)
                    .noneMatch(s -> s.contains("TTL"));
        }
    }

    @Test
    void noRetentionMeansNoTtlOnAnyVersion() {
        assertThat(ClickHouseStore.ddl(ECOMMERCE, sink(null, null), ClickHouseStore.Version.parse("25.3")))
                .noneMatch(s -> s.contains("TTL"));
    }
}
