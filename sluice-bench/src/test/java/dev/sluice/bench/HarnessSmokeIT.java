package dev.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The throughput harness, every measurement briefly (a few thousand events, 4-second ladder steps), against a
 * real child {@code sluice run}: it must still produce each figure and the report. It asserts no speed: the
 * figures themselves are for BENCHMARKS.md, from a full run.
 */
@Tag("slow")
class HarnessSmokeIT {
    @TempDir
    Path out;

    @Test
    @SuppressWarnings("unchecked")
    void everyMeasurementProducesItsFigure() throws Exception {
        Path home = Path.of("..").toAbsolutePath().normalize();
        Map<String, Object> r = new ThroughputHarness(ThroughputHarness.Config.smoke(home, out)).run();

        Map<String, Object> kafka = (Map<String, Object>) r.get("kafka_limit");
        assertThat(((Number) kafka.get("records")).intValue()).isEqualTo(20_000);
        assertThat(((Number) kafka.get("produce_consume_per_s")).longValue()).isPositive();
        assertThat(((Number) ((Map<String, Object>) r.get("duckdb_limit")).get("append_per_s")).longValue())
                .isPositive();
        Map<String, Object> sustained = (Map<String, Object>) r.get("sustained");
        List<Map<String, Object>> steps = (List<Map<String, Object>>) sustained.get("steps");
        assertThat(steps).isNotEmpty();
        assertThat(steps.get(0)).containsKeys("rate", "lag_end", "holds", "processed_per_s");
        List<Map<String, Object>> latency =
                (List<Map<String, Object>>) ((Map<String, Object>) r.get("latency")).get("rates");
        assertThat(latency).hasSize(1);
        assertThat(((Number) latency.get(0).get("updates")).longValue())
                .as("updates received by the SSE client")
                .isPositive();
        assertThat(latency.get(0)).containsKeys("p50_ms", "p99_ms", "p999_ms");
        Map<String, Object> ingest = (Map<String, Object>) r.get("http_ingest");
        assertThat(ingest.get("exit")).isEqualTo(0);
        assertThat(((Number) ingest.get("sent")).longValue()).isEqualTo(4_000);
        // the scenario injects malformed events: exactly those are refused, every other one is acknowledged
        long malformed = ((Number) ((Map<String, Object>) ingest.get("injected")).get("malformed")).longValue();
        assertThat(malformed).isEqualTo(10);
        assertThat(((Number) ingest.get("refused")).longValue()).isEqualTo(malformed);
        assertThat(((Number) ingest.get("acknowledged")).longValue()).isEqualTo(4_000 - malformed);
        assertThat(((Number) r.get("rss_rest_mb")).longValue()).isPositive();
        assertThat(((Number) r.get("rss_load_max_mb")).longValue())
                .isGreaterThanOrEqualTo(((Number) r.get("rss_rest_mb")).longValue());

        String md = Files.readString(out.resolve("harness.md"));
        assertThat(md)
                .contains("raw Kafka produce+consume")
                .contains("DuckDB bulk append")
                .contains("Sluice sustained")
                .contains("HTTP ingest")
                .contains("server RSS")
                .contains("End-to-end latency")
                .contains("Ladder steps");
        assertThat(out.resolve("harness.json")).exists();
    }
}
