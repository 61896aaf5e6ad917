package dev.sluice.kafka.metrics;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Consumer lag per group, topic and partition: the group's committed offset and the partition's log end offset as
 * {@code kafka-consumer-groups.sh --describe} shows them, and as the lag the records still to read (committed
 * records up to the last stable offset, counted by {@link WaitingRecords}), so transaction markers are not lag and a
 * caught-up group reads 0. Where no transaction marker or aborted record lies in between, the lag equals Kafka's
 * tool's (log end minus committed offset). Adds an estimate of
 * the lag in seconds: Kafka does not record when a record was appended (record timestamps are event times
 * here), so each call samples the log end offsets with the wall clock, and the oldest uncommitted record is
 * taken to have arrived by the first sample whose end offset passed the committed offset. Call {@link #sample}
 * about once a second for that precision. Exposed under kafka_exporter's names (docs/metrics.md).
 */
public final class ConsumerLag {
    /** One group's position on one partition. */
    public record PartitionLag(
            String group,
            String topic,
            int partition,
            long currentOffset,
            long logEndOffset,
            long lag,
            double lagSeconds) {}

    private record Sample(long atMs, long endOffset) {}

    /** Samples kept per partition: an hour at one a second. */
    private static final int MAX_SAMPLES = 3_600;

    private final Admin admin;
    private final WaitingRecords waiting;
    private final List<String> groups;
    private final Clock clock;
    private final Map<TopicPartition, Deque<Sample>> history = new HashMap<>();
    private volatile List<PartitionLag> latest = List.of();
    private volatile Map<TopicPartition, Long> latestEnds = Map.of();

    public ConsumerLag(Admin admin, WaitingRecords waiting, List<String> groups, Clock clock) {
        this.admin = admin;
        this.waiting = waiting;
        this.groups = List.copyOf(groups);
        this.clock = clock;
    }

    public List<String> groups() {
        return groups;
    }

    /** Reads the committed and latest offsets now; groups without committed offsets are left out. */
    public synchronized List<PartitionLag> sample() throws Exception {
        Map<String, Map<TopicPartition, OffsetAndMetadata>> committed = new TreeMap<>();
        Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
        for (String g : groups) {
            Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets(g)
                    .partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> present = new HashMap<>();
            c.forEach((tp, o) -> {
                if (o != null) {
                    present.put(tp, o);
                    ask.put(tp, OffsetSpec.latest());
                }
            });
            committed.put(g, present);
        }
        long now = clock.millis();
        Map<TopicPartition, Long> ends = new HashMap<>();
        Map<TopicPartition, Long> stable = new HashMap<>();
        if (!ask.isEmpty()) {
            admin.listOffsets(ask).all().get(10, TimeUnit.SECONDS).forEach((tp, r) -> ends.put(tp, r.offset()));
            admin.listOffsets(ask, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .all()
                    .get(10, TimeUnit.SECONDS)
                    .forEach((tp, r) -> stable.put(tp, r.offset()));
        }
        Map<TopicPartition, Long> oldestCommitted = new HashMap<>();
        committed.values().forEach(m -> m.forEach((tp, o) -> oldestCommitted.merge(tp, o.offset(), Math::min)));
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            Deque<Sample> d = history.computeIfAbsent(e.getKey(), x -> new ArrayDeque<>());
            if (d.isEmpty() || d.peekLast().endOffset() != e.getValue()) {
                d.addLast(new Sample(now, e.getValue()));
            }
            while (d.size() > MAX_SAMPLES) {
                d.pollFirst(); // a group stuck for hours: the estimate then says "at least this old"
            }
            long min = oldestCommitted.getOrDefault(e.getKey(), 0L);
            while (d.size() > 1 && d.peekFirst().endOffset() <= min) {
                d.pollFirst();
            }
        }
        Map<String, Map<TopicPartition, Long>> records = new HashMap<>();
        for (Map.Entry<String, Map<TopicPartition, OffsetAndMetadata>> g : committed.entrySet()) {
            Map<TopicPartition, Long> from = new HashMap<>();
            g.getValue().forEach((tp, o) -> from.put(tp, o.offset()));
            records.put(g.getKey(), waiting.count(from, stable, Duration.ofSeconds(2)));
        }
        List<PartitionLag> out = new ArrayList<>();
        committed.forEach((g, m) -> m.forEach((tp, o) -> {
            Long end = ends.get(tp);
            if (end == null) {
                return;
            }
            long lag = records.get(g).getOrDefault(tp, 0L);
            double seconds = 0;
            if (lag > 0) {
                for (Sample s : history.get(tp)) {
                    if (s.endOffset() > o.offset()) {
                        seconds = (now - s.atMs()) / 1000.0;
                        break;
                    }
                }
            }
            out.add(new PartitionLag(g, tp.topic(), tp.partition(), o.offset(), end, lag, seconds));
        }));
        out.sort(Comparator.comparing(PartitionLag::group)
                .thenComparing(PartitionLag::topic)
                .thenComparingInt(PartitionLag::partition));
        latest = List.copyOf(out);
        latestEnds = Map.copyOf(ends);
        return latest;
    }

    /** The last sample's figures. */
    public List<PartitionLag> latest() {
        return latest;
    }

    /** The kafka_exporter-style families for a sample, in the Prometheus text format. */
    public String prometheus(List<PartitionLag> lags) {
        StringBuilder b = new StringBuilder();
        Map<TopicPartition, Long> ends =
                new TreeMap<>(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        lags.forEach(l -> ends.put(new TopicPartition(l.topic(), l.partition()), l.logEndOffset()));
        family(b, "kafka_topic_partition_current_offset", "Current offset of a broker at topic/partition");
        ends.forEach((tp, end) -> b.append("kafka_topic_partition_current_offset{topic=\"")
                .append(escape(tp.topic()))
                .append("\",partition=\"")
                .append(tp.partition())
                .append("\"} ")
                .append(end)
                .append('\n'));
        family(
                b,
                "kafka_consumergroup_current_offset",
                "Current committed offset of a consumer group at topic/partition");
        lags.forEach(l -> line(b, "kafka_consumergroup_current_offset", l, Long.toString(l.currentOffset())));
        family(b, "kafka_consumergroup_lag", "Current approximate lag of a consumer group at topic/partition");
        lags.forEach(l -> line(b, "kafka_consumergroup_lag", l, Long.toString(l.lag())));
        family(
                b,
                "kafka_consumergroup_lag_seconds",
                "Estimated age of the oldest uncommitted record of a consumer group at topic/partition");
        lags.forEach(l -> line(b, "kafka_consumergroup_lag_seconds", l, Double.toString(l.lagSeconds())));
        family(
                b,
                "kafka_consumergroup_lag_sum",
                "Current approximate lag of a consumer group at topic for all partitions");
        Map<String, Long> sums = new TreeMap<>();
        lags.forEach(l -> sums.merge(l.group() + "\u0000" + l.topic(), l.lag(), Long::sum));
        sums.forEach((k, v) -> {
            String[] gt = k.split("\u0000", 2);
            b.append("kafka_consumergroup_lag_sum{consumergroup=\"")
                    .append(escape(gt[0]))
                    .append("\",topic=\"")
                    .append(escape(gt[1]))
                    .append("\"} ")
                    .append(v)
                    .append('\n');
        });
        return b.toString();
    }

    /** Log end offsets of the last sample. */
    public Map<TopicPartition, Long> latestEnds() {
        return latestEnds;
    }

    private static void family(StringBuilder b, String name, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
    }

    private static void line(StringBuilder b, String name, PartitionLag l, String value) {
        b.append(name)
                .append("{consumergroup=\"")
                .append(escape(l.group()))
                .append("\",topic=\"")
                .append(escape(l.topic()))
                .append("\",partition=\"")
                .append(l.partition())
                .append("\"} ")
                .append(value)
                .append('\n');
    }

    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
