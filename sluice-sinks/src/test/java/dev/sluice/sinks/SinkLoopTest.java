package dev.sluice.sinks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * When the shared sink loop writes a batch (full, large or old enough, whichever comes first), and which offsets a
 * batch stores with its rows.
 */
class SinkLoopTest {
    static final long MS = 1_000_000;

    @Test
    void aBatchIsDueWhenItHoldsBatchRowsOrItsFirstRecordIsBatchIntervalOld() {
        assertThat(SinkLoop.due(49_999, 0, 199 * MS, 50_000, 200 * MS)).isFalse();
        assertThat(SinkLoop.due(50_000, 0, 0, 50_000, 200 * MS)).isTrue();
        assertThat(SinkLoop.due(1, 0, 200 * MS, 50_000, 200 * MS)).isTrue();
        assertThat(SinkLoop.due(1, 0, 0, 50_000, 0))
                .as("batch_interval 0: every poll")
                .isTrue();
    }

    @Test
    void aBatchOfLargeRecordsIsDueAtBatchBytes() {
        assertThat(SinkLoop.due(10, SinkLoop.BATCH_BYTES - 1, 0, 50_000, 200 * MS))
                .isFalse();
        assertThat(SinkLoop.due(10, SinkLoop.BATCH_BYTES, 0, 50_000, 200 * MS)).isTrue();
    }

    @Test
    void aBatchStoresTheOffsetAfterItsLastRecordOfEachPartition() {
        SinkBatch b = SinkBatch.of(List.of(
                record("a", 0, 7, "xy"), record("a", 1, 3, null), record("a", 0, 8, "z"), record("b", 0, 41, "")));
        assertThat(b.size()).isEqualTo(4);
        assertThat(b.valueBytes()).isEqualTo(3);
        assertThat(b.nextOffsets())
                .isEqualTo(Map.of(
                        new TopicPartition("a", 0), 9L,
                        new TopicPartition("a", 1), 4L,
                        new TopicPartition("b", 0), 42L));
        assertThat(b.records()).extracting(ConsumerRecord::offset).containsExactly(7L, 3L, 8L, 41L);
    }

    static ConsumerRecord<byte[], byte[]> record(String topic, int part, long offset, String value) {
        return new ConsumerRecord<>(topic, part, offset, null, value == null ? null : value.getBytes());
    }
}
