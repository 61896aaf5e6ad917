package dev.sluice.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.ViewRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The window, grace, late and dedupe rules, driven record by record with Kafka Streams' own test
 * driver (fast; the end-to-end tests in sluice-cli run the same topology on a real broker).
 */
class ViewTopologyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long T0 = Instant.parse("2026-11-24T10:00:00Z").toEpochMilli();

    @TempDir
    Path stateDir;

    TopologyTestDriver driver;
    TestInputTopic<byte[], byte[]> in;
    TestOutputTopic<byte[], byte[]> view;
    TestOutputTopic<byte[], byte[]> late;
    TestOutputTopic<byte[], byte[]> dlq;
    ViewDef sales;

    @BeforeEach
    void build() throws Exception {
        StreamDef s = new StreamDef(
                "sales",
                Path.of("sales.json"),
                JSON.readTree(
                        "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"t\":{\"type\":\"integer\"},"
                                + "\"country\":{\"type\":\"string\"},\"amount\":{\"type\":\"number\"}}}"),
                "id",
                "t",
                "country",
                1,
                Duration.ofDays(1),
                Duration.ofHours(1));
        sales = new ViewDef(
                "by_country",
                "sales",
                new LinkedHashMap<>(),
                null,
                WindowDef.tumbling(Duration.ofMinutes(1), Duration.ofMinutes(1)),
                List.of("country"),
                List.of(
                        new MeasureDef("n", MeasureDef.Kind.COUNT, null),
                        new MeasureDef("total", MeasureDef.Kind.SUM, "amount")));
        Pipeline p = new Pipeline(
                "shop", Path.of("p.yaml"), Map.of("sales", s), Map.of(), Map.of("by_country", sales), Map.of());
        StreamsBuilder b = new StreamsBuilder();
        GraphTopology.addTo(b, p);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100); // as sluice run: updates go out once per commit interval
        driver = new TopologyTestDriver(b.build(), props);
        in = driver.createInputTopic("shop.sales", new ByteArraySerializer(), new ByteArraySerializer());
        view = driver.createOutputTopic(
                "shop.view.by_country", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        late = driver.createOutputTopic("shop.sales.late", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        dlq = driver.createOutputTopic("shop.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    void send(String id, long t, String country, double amount) {
        String json =
                "{\"id\":\"" + id + "\",\"t\":" + t + ",\"country\":\"" + country + "\",\"amount\":" + amount + "}";
        in.pipeInput(new TestRecord<>(
                country.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8),
                Instant.ofEpochMilli(t)));
        commitInterval();
    }

    List<ViewRecord> viewRecords() {
        return view.readValuesToList().stream()
                .map(v -> ViewRecord.decode(sales, v))
                .toList();
    }

    /** Lets a commit interval pass: the aggregate sends each changed row's update once per interval. */
    void commitInterval() {
        driver.advanceWallClockTime(Duration.ofMillis(100));
    }

    @Test
    void eventsWithinGraceUpdateTheirWindowWithHigherVersions() {
        send("a", T0 + 10_000, "DE", 1.5);
        send("b", T0 + 20_000, "DE", 2.5);
        send("c", T0 + 70_000, "DE", 4); // next window
        send("d", T0 + 30_000, "DE", 8); // out of order, within grace: window [T0, T0+1m) closes at T0+2m
        List<ViewRecord> out = viewRecords();
        assertThat(out).extracting(ViewRecord::kind).containsOnly(ViewRecord.Kind.UPDATE);
        ViewRecord last = out.get(out.size() - 1);
        assertThat(last.windowStart()).isEqualTo(T0);
        assertThat(last.version()).isEqualTo(3);
        assertThat(last.state().results()).containsEntry("n", 3L).containsEntry("total", 12.0);
        assertThat(late.isEmpty()).isTrue();
    }

    @Test
    void anEventAfterGraceGoesToTheLateTopicAndShipsADelta() {
        send("a", T0 + 10_000, "DE", 1.5);
        send("z", T0 + 150_000, "FR", 1); // watermark T0+2m30s: window [T0, T0+1m) is closed
        send("x", T0 + 30_000, "DE", 5);
        List<ViewRecord> out = viewRecords();
        ViewRecord delta = out.get(out.size() - 1);
        assertThat(delta.kind()).isEqualTo(ViewRecord.Kind.LATE);
        assertThat(delta.eventId()).isEqualTo("x");
        assertThat(delta.windowStart()).isEqualTo(T0);
        assertThat(delta.state().results()).containsEntry("n", 1L).containsEntry("total", 5.0);
        var l = late.readRecordsToList();
        assertThat(l).hasSize(1);
        assertThat(new String(l.get(0).value(), StandardCharsets.UTF_8)).contains("\"id\":\"x\"");
        assertThat(DeadLetter.get(l.get(0).headers(), DeadLetter.VIEW)).isEqualTo("by_country");
    }

    @Test
    void duplicatesWithinTheHorizonAreDropped() {
        send("a", T0 + 10_000, "DE", 1.5);
        send("a", T0 + 10_000, "DE", 1.5);
        send("b", T0 + 11_000, "DE", 1);
        List<ViewRecord> out = viewRecords();
        assertThat(out).hasSize(2);
        assertThat(out.get(1).state().results()).containsEntry("n", 2L).containsEntry("total", 2.5);
    }

    @Test
    void unreadableEventsGoToTheDeadLetterTopicAndTheViewGoesOn() {
        in.pipeInput(
                "DE".getBytes(StandardCharsets.UTF_8),
                "{not json".getBytes(StandardCharsets.UTF_8),
                Instant.ofEpochMilli(T0));
        in.pipeInput(
                "DE".getBytes(StandardCharsets.UTF_8),
                "{\"t\":1}".getBytes(StandardCharsets.UTF_8),
                Instant.ofEpochMilli(T0));
        commitInterval();
        send("a", T0 + 10_000, "DE", 1.5);
        var d = dlq.readRecordsToList();
        assertThat(d).hasSize(2);
        assertThat(DeadLetter.get(d.get(1).headers(), DeadLetter.REASON)).contains("'id'");
        assertThat(viewRecords()).hasSize(1);
    }
}
