package dev.sluice.cli.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.TestFile;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.processor.topology.GraphTopology;
import dev.sluice.schema.Violation;
import dev.sluice.sinks.duckdb.DuckDbSink;
import dev.sluice.sinks.duckdb.DuckDbStore;
import dev.sluice.sources.Admission;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.EventTime;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs one test case through the parts {@code sluice run} uses, without a broker or a server, and returns what a
 * user could observe afterwards.
 *
 * <ul>
 *   <li>Admission: each input event passes the stream's contract as the HTTP source applies it ({@link Admission},
 *       with the case's clock); a refused event goes no further and is reported with its reasons.
 *   <li>Processor: the topology is built by {@link GraphTopology}, exactly as {@code sluice run} builds it, and run
 *       by Kafka Streams' {@link TopologyTestDriver}: one partition per topic, so each view's watermark is the
 *       highest event time it has seen so far; record timestamps are the event times, so stream time (and the
 *       punctuation that expires closed windows) advances with the input.
 *   <li>Store: after each input event, the records it produced on the stream and view topics are written by the
 *       real {@link DuckDbSink} into a fresh DuckDB file as one batch, and the rows are read back with
 *       {@link DuckDbStore#queryView}, the query API's own call: updates replace a row when their version is higher,
 *       late deltas are merged into the stored row, once per event.
 * </ul>
 *
 * Kafka sources and sinks are not part of the run (input enters as the HTTP source would write it); a pipeline
 * that stores in ClickHouse is answered from DuckDB, which gives the same answers for the same events.
 */
final class CaseRunner {
    /** An input event the contract refused. */
    record Refusal(String stream, int line, String reason) {}

    /** A record of the dead-letter topic. */
    record DeadLettered(String stream, String view, String rule, String reason) {
        String text() {
            return (view == null ? "stream " + stream : "view " + view) + ": " + reason + " (" + rule + ")";
        }
    }

    /**
     * What a case produced.
     *
     * @param rows view → the rows the query API returns
     * @param late view → records it sent to its stream's late topic
     */
    record Outcome(
            Map<String, List<Map<String, Object>>> rows,
            List<Refusal> refused,
            List<DeadLettered> dlq,
            Map<String, Long> late) {}

    private static final ByteArraySerializer SER = new ByteArraySerializer();
    private static final ByteArrayDeserializer DE = new ByteArrayDeserializer();

    private CaseRunner() {}

    /**
     * @param fileNow the test file's {@code now}, or null
     * @param work a directory for this case's state stores and database, not shared with another case
     */
    static Outcome run(Pipeline pipeline, TestFile.Case testCase, Long fileNow, Path work) throws Exception {
        long now = testCase.now() != null
                ? testCase.now()
                : fileNow != null ? fileNow : latestEventTime(pipeline, testCase);
        Clock clock = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);

        StreamsBuilder builder = new StreamsBuilder();
        GraphTopology.addTo(builder, pipeline, PipelineMetrics.none());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, pipeline.applicationId());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "offline:9092"); // the test driver connects to nothing
        props.put(StreamsConfig.STATE_DIR_CONFIG, work.resolve("streams").toString());
        props.put(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                100); // as sluice run: view updates go out once per commit interval
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);

        List<Refusal> refused = new ArrayList<>();
        List<DeadLettered> dlq = new ArrayList<>();
        Map<String, Long> late = new LinkedHashMap<>();
        Map<String, List<Map<String, Object>>> rows = new LinkedHashMap<>();
        try (DuckDbStore store = DuckDbStore.open(pipeline, work.resolve("sluice.duckdb"));
                TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, clock.instant())) {
            DuckDbSink sink = new DuckDbSink(pipeline, new SinkDef.DuckDb("duckdb", null, List.of()), store, clock);
            Map<String, TestOutputTopic<byte[], byte[]>> viewTopics = new LinkedHashMap<>();
            for (ViewDef v : pipeline.views().values()) {
                viewTopics.put(
                        pipeline.viewTopic(v.name()), driver.createOutputTopic(pipeline.viewTopic(v.name()), DE, DE));
            }
            TestOutputTopic<byte[], byte[]> deadLetters = driver.createOutputTopic(pipeline.dlqTopic(), DE, DE);
            Map<String, Long> offsets = new HashMap<>();
            for (Map.Entry<String, List<TestFile.Event>> in : testCase.input().entrySet()) {
                StreamDef stream = pipeline.stream(in.getKey());
                Admission admission = new Admission(stream, clock);
                // else the topology does not read it
                boolean processed =
                        !pipeline.viewsOf(stream.name()).isEmpty() || pipeline.storedRawInDuckDb(stream.name());
                String topic = pipeline.streamTopic(stream.name());
                TestInputTopic<byte[], byte[]> input = processed ? driver.createInputTopic(topic, SER, SER) : null;
                TestOutputTopic<byte[], byte[]> lateTopic =
                        processed ? driver.createOutputTopic(pipeline.lateTopic(stream.name()), DE, DE) : null;
                String acceptedName = pipeline.acceptedTopic(stream.name());
                TestOutputTopic<byte[], byte[]> acceptedTopic =
                        processed ? driver.createOutputTopic(acceptedName, DE, DE) : null;
                int position = 0;
                for (TestFile.Event event : in.getValue()) {
                    position++;
                    String id = stream.name() + "-" + position; // for an event without one, as HTTP would mint it
                    Admission.Result result = admission.admit(event.value().deepCopy(), () -> id);
                    if (result instanceof Admission.Refused r) {
                        refused.add(new Refusal(
                                stream.name(),
                                event.line(),
                                r.violations().stream().map(Violation::toString).collect(Collectors.joining("; "))));
                        continue;
                    }
                    Admission.Accepted a = (Admission.Accepted) result;
                    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> batch = new LinkedHashMap<>();
                    add(batch, offsets, topic, a.key(), a.value());
                    if (processed) {
                        input.pipeInput(new TestRecord<>(
                                a.key(), a.value(), new RecordHeaders(), Instant.ofEpochMilli(a.time())));
                        // views send each changed row's update once per commit interval, as in sluice run
                        driver.advanceWallClockTime(java.time.Duration.ofMillis(100));
                        for (Map.Entry<String, TestOutputTopic<byte[], byte[]>> vt : viewTopics.entrySet()) {
                            for (TestRecord<byte[], byte[]> r : vt.getValue().readRecordsToList()) {
                                add(batch, offsets, vt.getKey(), r.key(), r.value());
                            }
                        }
                        // the processor's verdicts: the sink stores the raw events they accept
                        for (TestRecord<byte[], byte[]> r : acceptedTopic.readRecordsToList()) {
                            add(batch, offsets, acceptedName, r.key(), r.value());
                        }
                        for (TestRecord<byte[], byte[]> r : lateTopic.readRecordsToList()) {
                            late.merge(DeadLetter.get(r.headers(), DeadLetter.VIEW), 1L, Long::sum);
                        }
                    }
                    sink.writeBatch(new ConsumerRecords<>(batch, Map.of()));
                }
            }
            for (TestRecord<byte[], byte[]> r : deadLetters.readRecordsToList()) {
                dlq.add(new DeadLettered(
                        DeadLetter.get(r.headers(), DeadLetter.STREAM),
                        DeadLetter.get(r.headers(), DeadLetter.VIEW),
                        DeadLetter.get(r.headers(), DeadLetter.RULE),
                        DeadLetter.get(r.headers(), DeadLetter.REASON)));
            }
            for (ViewDef v : pipeline.views().values()) {
                rows.put(v.name(), store.queryView(v, null, null, Map.of()));
            }
        }
        return new Outcome(rows, refused, dlq, late);
    }

    private static void add(
            Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> batch,
            Map<String, Long> offsets,
            String topic,
            byte[] key,
            byte[] value) {
        long offset = offsets.merge(topic, 1L, Long::sum) - 1;
        batch.computeIfAbsent(new TopicPartition(topic, 0), tp -> new ArrayList<>())
                .add(new ConsumerRecord<>(topic, 0, offset, key, value));
    }

    /**
     * The default clock of a case: its latest readable event time, so no event is "in the future" unless the case
     * (or file) sets {@code now} and a run gives the same answer on any day.
     */
    private static long latestEventTime(Pipeline pipeline, TestFile.Case testCase) {
        long latest = 0;
        for (Map.Entry<String, List<TestFile.Event>> in : testCase.input().entrySet()) {
            String field = pipeline.stream(in.getKey()).timeField();
            for (TestFile.Event e : in.getValue()) {
                JsonNode v = e.value();
                if (v.isObject() && v.hasNonNull(field)) {
                    try {
                        latest = Math.max(latest, EventTime.of(v, field));
                    } catch (IllegalArgumentException unreadable) {
                        // the contract refuses it; it sets no clock
                    }
                }
            }
        }
        return latest;
    }
}
