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
        assertPerStepFigures(sustained, "ecommerce.orders");
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

        Map<String, Object> baseline = (Map<String, Object>) r.get("baseline");
        assertThat(baseline).containsKeys("step_seconds", "held_per_s", "steps");
        List<Map<String, Object>> baselineSteps = (List<Map<String, Object>>) baseline.get("steps");
        assertThat(baselineSteps).isNotEmpty();
        assertThat(baselineSteps.get(0)).containsKeys("rate", "lag_end", "holds", "processed_per_s");
        assertPerStepFigures(baseline, BaselineChild.INPUT);
        for (Map<String, Object> st : baselineSteps) {
            if (st.get("records_per_event") != null) {
                // drained: the job did its work, through both repartitions, into its output topic
                assertThat((Map<String, Object>) st.get("records_written_by_topic"))
                        .containsKeys(BaselineChild.OUTPUT)
                        .hasEntrySatisfying(
                                BaselineChild.APPLICATION_ID + "-by-event-id-repartition",
                                n -> assertThat(((Number) n).longValue()).isPositive())
                        .hasEntrySatisfying(
                                BaselineChild.APPLICATION_ID + "-by-country-currency-repartition",
                                n -> assertThat(((Number) n).longValue()).isPositive());
                assertThat((Map<String, Object>) st.get("cpu_us_per_event_by_process"))
                        .containsOnlyKeys("baseline", "sluice (broker)");
            }
        }

        String md = Files.readString(out.resolve("harness.md"));
        assertThat(md)
                .contains("raw Kafka produce+consume")
                .contains("DuckDB bulk append")
                .contains("Sluice sustained")
                .contains("HTTP ingest")
                .contains("server RSS")
                .contains("End-to-end latency")
                .contains("Ladder steps, Sluice")
                .contains("hand-written Kafka Streams sustained")
                .contains("Sluice/baseline ratio")
                .contains("Ladder steps, hand-written Kafka Streams")
                .contains("records/event")
                .contains("CPU µs/event")
                .contains("harness CPU µs/event");
        assertThat(out.resolve("harness.json")).exists();
    }

    /**
     * Each step has the records written per input event and the CPU per event, for the system and for the harness's
     * producer. A step whose lag drained has them all: exactly the step's events written to the input topic, so at
     * least one record per event, and CPU spent.
     */
    @SuppressWarnings("unchecked")
    private static void assertPerStepFigures(Map<String, Object> ladder, String inputTopic) {
        long stepSeconds = ((Number) ladder.get("step_seconds")).longValue();
        for (Map<String, Object> st : (List<Map<String, Object>>) ladder.get("steps")) {
            assertThat(st)
                    .containsKeys(
                            "records_per_event",
                            "records_written_by_topic",
                            "cpu_us_per_event",
                            "cpu_us_per_event_by_process",
                            "harness_cpu_us_per_event");
            if (st.get("processed_per_s") == null) {
                continue; // did not drain: no per-event figures
            }
            long events = ((Number) st.get("rate")).longValue() * stepSeconds;
            assertThat(((Number) ((Map<String, Object>) st.get("records_written_by_topic")).get(inputTopic))
                            .longValue())
                    .as("the step's events, on the input topic")
                    .isEqualTo(events);
            assertThat(((Number) st.get("records_per_event")).doubleValue()).isGreaterThanOrEqualTo(1.0);
            assertThat(((Number) st.get("cpu_us_per_event")).doubleValue()).isPositive();
            assertThat(((Number) st.get("harness_cpu_us_per_event")).doubleValue())
                    .isPositive();
        }
    }
}
