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
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule 6 (poison never blocks) on the processor, with Kafka Streams' test driver: events that bypassed the
 * sources' contract (written straight to the stream topic) and that a view cannot compute go to the dead-letter
 * topic with stage {@code process}, unchanged, and change no row and no watermark; the events after them are
 * counted. Two views read the stream: a tumbling sum and a hopping one.
 */
class PoisonTopologyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long T0 = Instant.parse("2026-11-24T10:00:00Z").toEpochMilli();
    static final long MINUTE = 60_000;

    @TempDir
    Path stateDir;

    TopologyTestDriver driver;
    TestInputTopic<byte[], byte[]> in;
    TestOutputTopic<byte[], byte[]> tumblingOut;
    TestOutputTopic<byte[], byte[]> hoppingOut;
    TestOutputTopic<byte[], byte[]> dlq;
    ViewDef tumbling;
    ViewDef hopping;

    @BeforeEach
    void build() throws Exception {
        StreamDef s = new StreamDef(
                "sales",
                Path.of("sales.json"),
                JSON.readTree("{\"type\":\"object\"}"),
                "id",
                "t",
                "country",
                1,
                Duration.ofDays(1),
                Duration.ofHours(1));
        List<MeasureDef> measures = List.of(
                new MeasureDef("n", MeasureDef.Kind.COUNT, null),
                new MeasureDef("total", MeasureDef.Kind.SUM, "amount"));
        tumbling = new ViewDef(
                "per_minute",
                "sales",
                new LinkedHashMap<>(),
                null,
                WindowDef.tumbling(Duration.ofMinutes(1), Duration.ofMinutes(5)),
                List.of("country"),
                measures);
        hopping = new ViewDef(
                "ten_by_five",
                "sales",
                new LinkedHashMap<>(),
                null,
                WindowDef.hopping(Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofMinutes(30)),
                List.of("country"),
                measures);
        Pipeline p = new Pipeline(
                "shop",
                Path.of("p.yaml"),
                Map.of("sales", s),
                Map.of(),
                Map.of("per_minute", tumbling, "ten_by_five", hopping),
                Map.of());
        StreamsBuilder b = new StreamsBuilder();
        GraphTopology.addTo(b, p);
        driver = new TopologyTestDriver(b.build(), props());
        in = driver.createInputTopic("shop.sales", new ByteArraySerializer(), new ByteArraySerializer());
        tumblingOut = output("shop.view.per_minute");
        hoppingOut = output("shop.view.ten_by_five");
        dlq = output("shop.dlq");
    }

    private Properties props() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100); // as sluice run: updates go out once per commit interval
        props.putAll(DeadLetterOnError.config("shop.dlq"));
        return props;
    }

    private TestOutputTopic<byte[], byte[]> output(String topic) {
        return driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    byte[] send(String id, long t, String amountJson) {
        byte[] value = ("{\"id\":\"" + id + "\",\"t\":" + t + ",\"country\":\"DE\",\"amount\":" + amountJson + "}")
                .getBytes(StandardCharsets.UTF_8);
        in.pipeInput(new TestRecord<>("DE".getBytes(StandardCharsets.UTF_8), value, Instant.ofEpochMilli(t)));
        // the aggregate sends each changed row's update once per commit interval
        driver.advanceWallClockTime(java.time.Duration.ofMillis(100));
        return value;
    }

    static List<ViewRecord> records(ViewDef v, TestOutputTopic<byte[], byte[]> out) {
        return out.readValuesToList().stream().map(x -> ViewRecord.decode(v, x)).toList();
    }

    @Test
    void theTextInfinityWhereASumNeedsANumberIsDeadLetteredByEachViewAndTheNextEventCounts() {
        long handledBefore = DeadLetterOnError.handled();
        // what 1e400 became on the stream topic before sources refused it: the JSON string "Infinity"
        byte[] poison = send("p", T0 + 10_000, "\"Infinity\"");
        send("a", T0 + 20_000, "2.5");

        var dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(2); // once per view
        assertThat(dead)
                .extracting(r -> DeadLetter.get(r.headers(), DeadLetter.VIEW))
                .containsExactlyInAnyOrder("per_minute", "ten_by_five");
        for (var r : dead) {
            assertThat(r.value()).as("dead-lettered unchanged").isEqualTo(poison);
            assertThat(DeadLetter.get(r.headers(), DeadLetter.STAGE)).isEqualTo("process");
            assertThat(DeadLetter.get(r.headers(), DeadLetter.STREAM)).isEqualTo("sales");
            assertThat(DeadLetter.get(r.headers(), DeadLetter.FIELD)).isEqualTo("amount");
            assertThat(DeadLetter.get(r.headers(), DeadLetter.RULE)).isEqualTo("measure");
            assertThat(DeadLetter.get(r.headers(), DeadLetter.REASON))
                    .isEqualTo("sum(amount): value 'Infinity' is not a number");
            assertThat(DeadLetter.get(r.headers(), DeadLetter.ORIGIN)).isEqualTo("shop.sales/0@0");
        }
        List<ViewRecord> rows = records(tumbling, tumblingOut);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).version()).isEqualTo(1);
        assertThat(rows.get(0).state().results()).containsEntry("n", 1L).containsEntry("total", 2.5);
        assertThat(DeadLetterOnError.handled())
                .as("the views caught it themselves")
                .isEqualTo(handledBefore);
    }

    @Test
    void aHoppingEventThatFailsInItsSecondWindowIsNotCountedInItsFirst() {
        // windows [10:05, 10:15) and [10:10, 10:20) hold 1.5e308; an event at 10:07 belongs to [10:00, 10:10),
        // where it fits, and [10:05, 10:15), where the sum would leave the range of a double
        send("big", T0 + 12 * MINUTE, "1.5e308");
        hoppingOut.readValuesToList();
        tumblingOut.readValuesToList();
        byte[] poison = send("p", T0 + 7 * MINUTE, "1e308");
        assertThat(records(hopping, hoppingOut))
                .as("no window of the hopping view took it")
                .isEmpty();
        send("small", T0 + 7 * MINUTE, "1");

        List<ViewRecord> rows = records(hopping, hoppingOut);
        assertThat(rows).extracting(ViewRecord::windowStart).containsExactly(T0, T0 + 5 * MINUTE);
        assertThat(rows.get(0).version())
                .as("[10:00, 10:10) counts only 'small'")
                .isEqualTo(1);
        assertThat(rows.get(0).state().results()).containsEntry("n", 1L).containsEntry("total", 1.0);
        assertThat(rows.get(1).version()).isEqualTo(2);
        assertThat(rows.get(1).state().results()).containsEntry("n", 2L).containsEntry("total", 1.5e308);

        var dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).value()).isEqualTo(poison);
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.VIEW)).isEqualTo("ten_by_five");
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.REASON))
                .contains("sum(amount)")
                .contains("beyond the range of a double");
        // the tumbling view had room for both ([10:07, 10:08) is within its 5-minute grace)
        assertThat(records(tumbling, tumblingOut))
                .extracting(ViewRecord::kind, ViewRecord::version)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, 1L),
                        org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, 2L));
    }

    @Test
    void aFailingEventDoesNotMoveTheWatermark() {
        send("a", T0 + 10_000, "1");
        send("p", T0 + 10 * MINUTE, "\"not a number\""); // would close [10:00, 10:01) had it moved the watermark
        send("b", T0 + 20_000, "2");
        List<ViewRecord> rows = records(tumbling, tumblingOut);
        assertThat(rows).extracting(ViewRecord::kind).containsOnly(ViewRecord.Kind.UPDATE);
        assertThat(rows.get(rows.size() - 1).version()).isEqualTo(2);
        assertThat(rows.get(rows.size() - 1).watermark()).isEqualTo(T0 + 20_000);
    }

    @Test
    void unreadableRecordsOnTheStreamTopicAreDeadLetteredOnceWithTheirOrigin() {
        in.pipeInput(new TestRecord<>(null, "{\"id\":\"x\",\"t\":\"noon\"}".getBytes(StandardCharsets.UTF_8)));
        in.pipeInput(new TestRecord<>(null, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}));
        send("a", T0, "1");
        var dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(2);
        assertThat(dead)
                .extracting(r -> DeadLetter.get(r.headers(), DeadLetter.ORIGIN))
                .containsExactly("shop.sales/0@0", "shop.sales/0@1");
        assertThat(dead)
                .extracting(r -> DeadLetter.get(r.headers(), DeadLetter.STAGE))
                .containsOnly("process");
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.REASON)).contains("'t'");
        assertThat(records(tumbling, tumblingOut)).hasSize(1);
    }

    @Test
    void whatAProcessorDoesNotCatchIsDeadLetteredByTheHandlerAndTheNextRecordIsProcessed() {
        driver.close();
        StreamsBuilder b = new StreamsBuilder();
        b.stream("in", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .mapValues(v -> {
                    if (new String(v, StandardCharsets.UTF_8).contains("boom")) {
                        throw new IllegalStateException("boom");
                    }
                    return v;
                })
                .to("out", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        driver = new TopologyTestDriver(b.build(), props());
        long before = DeadLetterOnError.handled();
        TestInputTopic<byte[], byte[]> input =
                driver.createInputTopic("in", new ByteArraySerializer(), new ByteArraySerializer());
        input.pipeInput("k".getBytes(StandardCharsets.UTF_8), "boom".getBytes(StandardCharsets.UTF_8));
        input.pipeInput("k".getBytes(StandardCharsets.UTF_8), "fine".getBytes(StandardCharsets.UTF_8));
        assertThat(output("out").readValuesToList())
                .extracting(v -> new String(v, StandardCharsets.UTF_8))
                .containsExactly("fine");
        var dead = output("shop.dlq").readRecordsToList();
        assertThat(dead).hasSize(1);
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("boom");
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.STAGE)).isEqualTo("process");
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.RULE)).isEqualTo("event");
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.ORIGIN)).isEqualTo("in/0@0");
        assertThat(DeadLetter.get(dead.get(0).headers(), DeadLetter.REASON)).contains("IllegalStateException: boom");
        assertThat(DeadLetterOnError.handled()).isEqualTo(before + 1);
    }

    @Test
    void anEventWhoseRecordsWouldExceedAKafkaRequestIsDeadLetteredBeforeItIsWritten() {
        // the repartition record carries the event and its measure inputs: 600 KB of group value makes 1.2 MB
        String country = "D" + "E".repeat(600_000);
        byte[] value = ("{\"id\":\"big\",\"t\":" + T0 + ",\"country\":\"" + country + "\",\"amount\":1}")
                .getBytes(StandardCharsets.UTF_8);
        in.pipeInput(new TestRecord<>("x".getBytes(StandardCharsets.UTF_8), value, Instant.ofEpochMilli(T0)));
        send("a", T0 + 1_000, "1");
        var dead = dlq.readRecordsToList();
        assertThat(dead).hasSize(2); // once per view
        for (var r : dead) {
            assertThat(r.value()).isEqualTo(value);
            assertThat(DeadLetter.get(r.headers(), DeadLetter.RULE)).isEqualTo("size");
            assertThat(DeadLetter.get(r.headers(), DeadLetter.REASON))
                    .startsWith("the event makes a record of ")
                    .contains("more than 1000000");
        }
        assertThat(records(tumbling, tumblingOut))
                .extracting(ViewRecord::version)
                .containsExactly(1L);
    }
}
