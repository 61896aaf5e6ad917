package dev.sluice.kafka.metrics;

import dev.sluice.kafka.ClientDefaults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * How many records a consumer still has to read: the records a read_committed consumer returns between its
 * committed offset and the last stable offset, counted by reading them.
 *
 * <p>Offsets are not records. With exactly-once, every transaction leaves a commit marker on each partition it
 * wrote, which takes an offset but is never delivered; aborted records take offsets too. So the offset difference
 * (what {@code kafka-consumer-groups} and kafka_exporter report) overstates the lag, and a consumer whose last
 * commit came before a marker looks behind by one while it has nothing left to read. Kafka Streams commits the
 * consumer's position (past the markers) once a task's queue is empty, but while records flow it commits the last
 * processed offset + 1, so mid-flow a repartition partition shows a marker or two of lag.
 *
 * <p>Reading costs what it reads, so a partition is counted exactly only while its offset gap is at most
 * {@link #EXACT_UP_TO}, near zero, where a marker decides between "caught up" and "behind"; above that (a consumer
 * clearly behind) the offset difference stands in, markers included.
 * A partition not read to the end within the timeout (broker slow) also falls back to its offset difference.
 * One instance owns one consumer without a group (it never commits); calls are serialised.
 */
public final class WaitingRecords implements AutoCloseable {
    /** Largest offset gap of a partition that is counted record by record. */
    public static final long EXACT_UP_TO = 100;

    private final KafkaConsumer<byte[], byte[]> consumer;

    public WaitingRecords(String bootstrap) {
        Map<String, Object> c = ClientDefaults.consumer(bootstrap, "unused");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, (int) EXACT_UP_TO);
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The records waiting on each partition.
     *
     * @param from the consumer's committed offset per partition
     * @param stable the partition's last stable offset (listOffsets with read_committed); records at or after it are
     *     not readable yet and are not counted
     */
    public synchronized Map<TopicPartition, Long> count(
            Map<TopicPartition, Long> from, Map<TopicPartition, Long> stable, Duration timeout) {
        Map<TopicPartition, Long> out = new HashMap<>();
        List<TopicPartition> read = new ArrayList<>();
        for (Map.Entry<TopicPartition, Long> e : from.entrySet()) {
            Long end = stable.get(e.getKey());
            long gap = end == null ? 0 : end - e.getValue();
            out.put(e.getKey(), Math.max(0, gap));
            if (gap > 0 && gap <= EXACT_UP_TO) {
                read.add(e.getKey());
            }
        }
        if (read.isEmpty()) {
            return out;
        }
        consumer.assign(read);
        Map<TopicPartition, Long> counted = new HashMap<>();
        for (TopicPartition tp : read) {
            consumer.seek(tp, from.get(tp));
            counted.put(tp, 0L);
        }
        List<TopicPartition> open = new ArrayList<>(read);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (r.offset() < stable.get(tp)) {
                    counted.merge(tp, 1L, Long::sum);
                }
            }
            // the position passes markers and aborted records too: at the stable offset nothing is left to read
            open.removeIf(tp -> consumer.position(tp) >= stable.get(tp));
            consumer.pause(read.stream().filter(tp -> !open.contains(tp)).toList());
        }
        for (TopicPartition tp : read) {
            if (!open.contains(tp)) {
                out.put(tp, counted.get(tp));
            }
        }
        consumer.assign(List.of());
        return out;
    }

    @Override
    public synchronized void close() {
        consumer.close();
    }
}
