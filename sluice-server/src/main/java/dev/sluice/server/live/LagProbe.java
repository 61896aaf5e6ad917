package dev.sluice.server.live;

import dev.sluice.kafka.metrics.WaitingRecords;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.ViewDef;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * How far the processor is behind, per view: the events of the view's input topics (its stream's topic and its
 * repartition topic) that the processor has not committed yet, and how long the oldest of them has waited. Events
 * are records, counted by {@link WaitingRecords}: transaction markers take offsets but are not events, so a
 * caught-up processor reads 0.
 *
 * <p>Kafka does not say when a record arrived (record timestamps are event times here), so the probe samples
 * each partition's end offset with the wall-clock time of the sample; the oldest waiting event arrived no
 * earlier than the first sample whose end offset passed the committed offset. The precision is the sampling
 * interval.
 *
 * <p>Each sample also records the events in each stream's topic with the sample's time, for the stream's
 * {@link Rate}: a rate from when the count was read, however often anyone asks for it.
 */
public final class LagProbe {
    public record Lag(long events, double seconds) {}

    private record Sample(long atMs, long endOffset) {}

    private final Admin admin;
    private final WaitingRecords waiting;
    private final Pipeline pipeline;
    private final Clock clock;
    private final Map<TopicPartition, Deque<Sample>> samples = new HashMap<>();
    private volatile Map<String, Lag> byView = Map.of();
    private volatile Map<String, Long> streamEvents = Map.of();
    private volatile Map<String, Long> topicEnds = Map.of();
    private final Map<String, Rate> streamRates = new ConcurrentHashMap<>();

    LagProbe(Admin admin, WaitingRecords waiting, Pipeline pipeline, Clock clock) {
        this.admin = admin;
        this.waiting = waiting;
        this.pipeline = pipeline;
        this.clock = clock;
    }

    Lag lag(String view) {
        return byView.getOrDefault(view, new Lag(0, 0));
    }

    /** Records in a topic (the sum of its partitions' end offsets), for the topics the probe samples. */
    long topicRecords(String topic) {
        return topicEnds.getOrDefault(topic, 0L);
    }

    /** Events in each stream's topic (the sum of its partitions' end offsets). */
    Map<String, Long> streamEvents() {
        return streamEvents;
    }

    /** What the stream's rate is computed from, as of the last sample. */
    Rate.Window streamRate(String stream) {
        Rate r = streamRates.get(stream);
        return r == null ? new Rate.Window(0, 0) : r.window();
    }

    private boolean isInputOf(String topic, ViewDef v) {
        return topic.equals(pipeline.streamTopic(v.from()))
                || (topic.startsWith(pipeline.applicationId() + "-")
                        && topic.endsWith("-repartition")
                        && topic.contains("-" + v.name() + "-"));
    }

    /** Samples offsets once; call periodically. */
    void sample() throws Exception {
        long now = clock.millis();
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(pipeline.applicationId())
                .partitionsToOffsetAndMetadata()
                .get(5, TimeUnit.SECONDS);
        Set<String> streamTopics =
                pipeline.streams().keySet().stream().map(pipeline::streamTopic).collect(Collectors.toSet());
        Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
        for (TopicPartition tp : committed.keySet()) {
            ask.put(tp, OffsetSpec.latest());
        }
        Set<String> described = new java.util.HashSet<>(streamTopics);
        described.add(pipeline.dlqTopic());
        pipeline.streams().keySet().forEach(st -> described.add(pipeline.lateTopic(st)));
        for (String t : described) {
            var desc = admin.describeTopics(List.of(t)).allTopicNames().get(5, TimeUnit.SECONDS);
            desc.get(t).partitions().forEach(p -> ask.put(new TopicPartition(t, p.partition()), OffsetSpec.latest()));
        }
        var ends = admin.listOffsets(ask, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get(5, TimeUnit.SECONDS);
        Map<TopicPartition, Long> stable = new HashMap<>();
        ends.forEach((tp, r) -> stable.put(tp, r.offset()));
        Map<TopicPartition, Long> from = new HashMap<>();
        for (TopicPartition tp : stable.keySet()) {
            if (pipeline.views().values().stream().anyMatch(v -> isInputOf(tp.topic(), v))) {
                OffsetAndMetadata c = committed.get(tp);
                from.put(tp, c == null ? 0 : c.offset());
            }
        }
        Map<TopicPartition, Long> records = waiting.count(from, stable, Duration.ofSeconds(2));
        Map<String, Long> events = new HashMap<>();
        for (String stream : pipeline.streams().keySet()) {
            events.put(stream, 0L);
        }
        Map<String, Long> ends2 = new HashMap<>();
        Map<String, long[]> lagEvents = new HashMap<>();
        Map<String, Double> lagSeconds = new HashMap<>();
        for (var e : ends.entrySet()) {
            TopicPartition tp = e.getKey();
            long end = e.getValue().offset();
            ends2.merge(tp.topic(), end, Long::sum);
            if (streamTopics.contains(tp.topic())) {
                String stream = tp.topic().substring(pipeline.name().length() + 1);
                events.merge(stream, end, Long::sum);
            }
            OffsetAndMetadata c = committed.get(tp);
            long done = c == null ? 0 : c.offset();
            Deque<Sample> d = samples.computeIfAbsent(tp, x -> new ArrayDeque<>());
            if (d.isEmpty() || d.peekLast().endOffset() != end) {
                d.addLast(new Sample(now, end));
            }
            while (d.size() > 1 && d.peekFirst().endOffset() <= done) {
                d.pollFirst();
            }
            long behind = records.getOrDefault(tp, 0L);
            double seconds = 0;
            if (behind > 0 && !d.isEmpty()) {
                Sample first = d.peekFirst();
                seconds = first.endOffset() > done ? (now - first.atMs()) / 1000.0 : 0;
            }
            for (ViewDef v : pipeline.views().values()) {
                if (isInputOf(tp.topic(), v)) {
                    lagEvents.computeIfAbsent(v.name(), x -> new long[1])[0] += behind;
                    lagSeconds.merge(v.name(), seconds, Math::max);
                }
            }
        }
        Map<String, Lag> out = new HashMap<>();
        for (ViewDef v : pipeline.views().values()) {
            long[] n = lagEvents.get(v.name());
            out.put(v.name(), new Lag(n == null ? 0 : n[0], lagSeconds.getOrDefault(v.name(), 0.0)));
        }
        byView = out;
        streamEvents = events;
        topicEnds = ends2;
        events.forEach((stream, n) ->
                streamRates.computeIfAbsent(stream, x -> new Rate()).sample(now, n));
    }
}
