package dev.sluice.processor.topology;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.wire.ViewRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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

/**
 * The processor topology of a pipeline {@code shop} with one stream {@code sales} (id {@code id}, time {@code t},
 * source time {@code src}, fields {@code country}, {@code amount}, {@code user}) and the given views, run in
 * Kafka Streams' {@link TopologyTestDriver}, with metrics on a registry the test can read.
 */
public final class SalesTopology implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long T0 = Instant.parse("2026-11-24T10:00:00Z").toEpochMilli();

    final Map<String, ViewDef> views = new LinkedHashMap<>();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> in;
    private final TestOutputTopic<byte[], byte[]> late;
    private final TestOutputTopic<byte[], byte[]> dlq;
    private final Map<String, TestOutputTopic<byte[], byte[]>> viewTopics = new LinkedHashMap<>();

    public static StreamDef sales(Duration dedupHorizon) {
        try {
            return new StreamDef(
                    "sales",
                    Path.of("sales.json"),
                    JSON.readTree("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
                            + "\"t\":{\"type\":\"integer\"},\"src\":{\"type\":\"integer\"},"
                            + "\"country\":{\"type\":\"string\"},\"amount\":{\"type\":\"number\"},"
                            + "\"user\":{\"type\":\"string\"}}}"),
                    "id",
                    "t",
                    "country",
                    1,
                    Duration.ofDays(1),
                    dedupHorizon,
                    "JSON",
                    null,
                    null,
                    "src");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    SalesTopology(Path stateDir, Duration dedupHorizon, ViewDef... views) {
        for (ViewDef v : views) {
            this.views.put(v.name(), v);
        }
        Pipeline p = new Pipeline(
                "shop", Path.of("p.yaml"), Map.of("sales", sales(dedupHorizon)), Map.of(), this.views, Map.of());
        StreamsBuilder b = new StreamsBuilder();
        GraphTopology.addTo(b, p, new PipelineMetrics(registry));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100); // as sluice run: updates go out once per commit interval
        driver = new TopologyTestDriver(b.build(), props);
        in = driver.createInputTopic("shop.sales", new ByteArraySerializer(), new ByteArraySerializer());
        late = driver.createOutputTopic("shop.sales.late", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        dlq = driver.createOutputTopic("shop.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        for (String v : this.views.keySet()) {
            viewTopics.put(
                    v,
                    driver.createOutputTopic(
                            "shop.view." + v, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
        }
    }

    /** Sends an event as JSON text, with its event time as the record timestamp. */
    void sendJson(String json, long recordTime) {
        in.pipeInput(new TestRecord<>(
                "k".getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8),
                Instant.ofEpochMilli(recordTime)));
        // the aggregate sends each changed row's update once per commit interval
        driver.advanceWallClockTime(java.time.Duration.ofMillis(100));
    }

    /** Sends a record without a value (a tombstone). */
    void sendNull(long recordTime) {
        in.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), null, Instant.ofEpochMilli(recordTime)));
        driver.advanceWallClockTime(java.time.Duration.ofMillis(100));
    }

    void send(String id, long t, String country, double amount) {
        sendJson(
                "{\"id\":\"" + id + "\",\"t\":" + t + ",\"country\":\"" + country + "\",\"amount\":" + amount + "}", t);
    }

    /** The view topic's records since the last call, decoded. */
    List<ViewRecord> view(String name) {
        ViewDef v = views.get(name);
        return viewTopics.get(name).readValuesToList().stream()
                .map(b -> ViewRecord.decode(v, b))
                .toList();
    }

    List<TestRecord<byte[], byte[]>> late() {
        return late.readRecordsToList();
    }

    List<TestRecord<byte[], byte[]>> dlq() {
        return dlq.readRecordsToList();
    }

    /** A counter of a component ({@code stream} or {@code view}) by meter name and extra tags. */
    double counter(String meter, String component, String name, String... tags) {
        String[] all = new String[4 + tags.length];
        all[0] = "component";
        all[1] = component;
        all[2] = "name";
        all[3] = name;
        System.arraycopy(tags, 0, all, 4, tags.length);
        return registry.get(meter).tags(all).counter().count();
    }

    @Override
    public void close() {
        driver.close();
    }
}
