package dev.sluice.sinks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * What a sink writes at once: records of its topics in the order they were read and, per partition, the offset
 * after the last of them: what the store keeps with the rows, and where a restart reads on.
 */
public record SinkBatch(List<ConsumerRecord<byte[], byte[]>> records, Map<TopicPartition, Long> nextOffsets) {
    public SinkBatch {
        records = List.copyOf(records);
        nextOffsets = Map.copyOf(nextOffsets);
    }

    public static SinkBatch of(Iterable<ConsumerRecord<byte[], byte[]>> records) {
        List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>();
        Map<TopicPartition, Long> next = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            list.add(r);
            next.merge(new TopicPartition(r.topic(), r.partition()), r.offset() + 1, Math::max);
        }
        return new SinkBatch(list, next);
    }

    public int size() {
        return records.size();
    }

    /** The bytes of the records' values. */
    public long valueBytes() {
        long bytes = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            bytes += r.value() == null ? 0 : r.value().length;
        }
        return bytes;
    }
}
