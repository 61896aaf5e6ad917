package dev.sluice.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.TableDef;
import dev.sluice.wire.DeadLetter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table over the {@code sales} stream ({@link SalesTopology#sales}), keyed by {@code user}, keeping {@code amount}
 * and {@code country}, in Kafka Streams' test driver (which commits after every record): the newest row per key by
 * event time on the table's topic, events without a key to the dead-letter topic, duplicates dropped before it. One
 * record per key per commit and the rows kept over a restart: {@code TableRowsTest}; on the broker: {@code TableIT}.
 */
class TableTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TableDef TABLE =
            new TableDef("last_sale", "sales", List.of("user"), List.of("amount", "country"));

    @TempDir
    Path state;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> in;
    private TestOutputTopic<byte[], byte[]> table;
    private TestOutputTopic<byte[], byte[]> dlq;

    void start() {
        Pipeline p = new Pipeline(
                "shop",
                Path.of("p.yaml"),
                Map.of("sales", SalesTopology.sales(Duration.ofHours(1))),
                Map.of(),
                Map.of(),
                Map.of(),
                Map.of("last_sale", TABLE));
        StreamsBuilder b = new StreamsBuilder();
        GraphTopology.addTo(b, p, new PipelineMetrics(registry));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        driver = new TopologyTestDriver(b.build(), props);
        in = driver.createInputTopic("shop.sales", new ByteArraySerializer(), new ByteArraySerializer());
        table = driver.createOutputTopic(
                "shop.table.last_sale", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        dlq = driver.createOutputTopic("shop.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    void send(String id, String user, long t, double amount) {
        String json = "{\"id\":\"" + id + "\",\"t\":" + t + (user == null ? "" : ",\"user\":\"" + user + "\"")
                + ",\"country\":\"DE\",\"amount\":" + amount + "}";
        in.pipeInput(new TestRecord<>(
                "k".getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8), Instant.ofEpochMilli(t)));
    }

    void commit() {
        driver.advanceWallClockTime(Duration.ofMillis(100));
    }

    /** The table topic's records since the last call: key, then the row's amount and time. */
    List<String> changes() {
        return table.readRecordsToList().stream()
                .map(r -> {
                    try {
                        JsonNode row = JSON.readTree(r.value());
                        return new String(r.key(), StandardCharsets.UTF_8) + " " + row.path("key") + " amount="
                                + row.path("value").path("amount").asDouble() + " country="
                                + row.path("value").path("country").asText() + " time="
                                + row.path("time").asLong()
                                + " fields=" + row.path("value").size();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .toList();
    }

    double late() {
        return registry.get("sluice.events.discarded")
                .tags("component", "table", "name", "last_sale", "reason", "late")
                .counter()
                .count();
    }

    @Test
    void keepsTheNewestRowPerKeyByEventTime() {
        start();
        send("e1", "u1", 10_000, 5);
        commit();
        send("e2", "u1", 30_000, 7);
        commit();
        send("e3", "u1", 20_000, 9); // older than the key's row: does not replace it
        commit();
        send("e4", "u2", 5_000, 1);
        commit();
        send("e5", "u2", 5_000, 2); // the same time: the later one read wins
        commit();
        assertThat(changes())
                .containsExactly(
                        "[\"u1\"] {\"user\":\"u1\"} amount=5.0 country=DE time=10000 fields=2",
                        "[\"u1\"] {\"user\":\"u1\"} amount=7.0 country=DE time=30000 fields=2",
                        "[\"u2\"] {\"user\":\"u2\"} amount=1.0 country=DE time=5000 fields=2",
                        "[\"u2\"] {\"user\":\"u2\"} amount=2.0 country=DE time=5000 fields=2");
        assertThat(late()).isEqualTo(1.0);
    }

    @Test
    void anEventWithoutItsKeyIsADeadLetterAndADuplicateChangesNothing() {
        start();
        send("e1", null, 10_000, 5);
        send("e2", "u1", 10_000, 5);
        send("e2", "u1", 40_000, 99); // the same id: dropped by the stream's dedup
        commit();
        assertThat(changes()).containsExactly("[\"u1\"] {\"user\":\"u1\"} amount=5.0 country=DE time=10000 fields=2");
        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.REASON))
                .isEqualTo("table last_sale: key field 'user' has no value");
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.TABLE)).isEqualTo("last_sale");
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).contains("\"id\":\"e1\"");
    }
}
