package dev.sluice.sinks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.wire.Accepted;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Which raw records the sink stores, by the processor's verdicts, and the offsets it keeps with them. */
class AcceptedGateTest {
    static final String STREAM = "shop.orders";
    static final String ACCEPTED = "shop.orders.accepted";

    final AcceptedGate gate = new AcceptedGate(Map.of(STREAM, ACCEPTED));

    static ConsumerRecord<byte[], byte[]> event(int partition, long offset) {
        return new ConsumerRecord<>(STREAM, partition, offset, null, ("e" + offset).getBytes());
    }

    static ConsumerRecord<byte[], byte[]> verdict(long offset, int partition, long from, long to, long... dropped) {
        return new ConsumerRecord<>(
                ACCEPTED,
                partition,
                offset,
                Accepted.key(partition),
                new Accepted(partition, from, to, dropped).encode());
    }

    void read(int partition, long from, long to) {
        for (long o = from; o < to; o++) {
            gate.add(event(partition, o));
        }
    }

    static List<String> stored(AcceptedGate.Released r) {
        return r.records().stream().map(c -> c.partition() + "@" + c.offset()).toList();
    }

    @Test
    void storesWhatAVerdictAcceptsAndKeepsTheOffsetsOfItsBoundary() {
        read(1, 0, 8);
        gate.add(verdict(0, 1, 0, 5, 1, 1, 3, 2)); // 1 and 3-4 dropped
        AcceptedGate.Released r = gate.release();
        assertThat(stored(r)).containsExactly("1@0", "1@2");
        assertThat(r.nextOffsets())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(new TopicPartition(STREAM, 1), 5L, new TopicPartition(ACCEPTED, 1), 1L));
        assertThat(gate.held()).as("5-7 wait for their verdict").isEqualTo(3);
        assertThat(gate.heldFrom()).containsExactlyEntriesOf(Map.of(new TopicPartition(STREAM, 1), 5L));
        gate.add(verdict(1, 1, 5, 8));
        assertThat(stored(gate.release())).containsExactly("1@5", "1@6", "1@7");
        assertThat(gate.heldFrom()).isEmpty();
    }

    @Test
    void aVerdictWaitsUntilEveryRecordItCoversWasRead() {
        gate.add(verdict(0, 0, 0, 4));
        read(0, 0, 3);
        AcceptedGate.Released early = gate.release();
        assertThat(stored(early)).isEmpty();
        assertThat(early.nextOffsets())
                .as("no offset moves before its verdict applies")
                .isEmpty();
        read(0, 3, 4);
        assertThat(stored(gate.release())).containsExactly("0@0", "0@1", "0@2", "0@3");
    }

    @Test
    void offsetsAVerdictSkipsOverAreNotWaitedFor() {
        // transaction markers take offsets: the processor's last record at 6, markers at 3 and 7
        gate.add(event(0, 0));
        gate.add(event(0, 1));
        gate.add(event(0, 2));
        gate.add(event(0, 4));
        gate.add(event(0, 5));
        gate.add(event(0, 6));
        gate.add(verdict(0, 0, 0, 7, 4, 1));
        AcceptedGate.Released r = gate.release();
        assertThat(stored(r)).containsExactly("0@0", "0@1", "0@2", "0@5", "0@6");
        assertThat(r.nextOffsets()).containsEntry(new TopicPartition(STREAM, 0), 7L);
    }

    @Test
    void partitionsAreJudgedApartAndRecordsNeverJudgedAreNotStored() {
        read(0, 0, 3);
        read(2, 0, 3);
        gate.add(verdict(0, 2, 1, 3)); // the processor started at offset 1 of partition 2
        AcceptedGate.Released r = gate.release();
        assertThat(stored(r)).containsExactly("2@1", "2@2");
        assertThat(r.nextOffsets())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(new TopicPartition(STREAM, 2), 3L, new TopicPartition(ACCEPTED, 2), 1L));
        assertThat(gate.held()).isEqualTo(3);
    }

    @Test
    void aPartitionHoldingTooMuchIsReportedFullUntilReleased() {
        read(0, 0, AcceptedGate.MAX_HELD_RECORDS);
        assertThat(gate.full()).isEmpty();
        read(0, AcceptedGate.MAX_HELD_RECORDS, AcceptedGate.MAX_HELD_RECORDS + 1);
        assertThat(gate.full()).containsExactly(new TopicPartition(STREAM, 0));
        gate.add(verdict(0, 0, 0, 10));
        gate.release();
        assertThat(gate.full()).isEmpty();
    }

    @Test
    void aVerdictOnRecordsStoredAlreadyIsPassedOverNotWaitedFor() {
        // the store holds partition 0 up to offset 10; the processor, its state reset, judges 0-10 again
        gate.open(Map.of(new TopicPartition(STREAM, 0), 10L, new TopicPartition(ACCEPTED, 0), 3L));
        gate.add(verdict(3, 0, 0, 6));
        AcceptedGate.Released passed = gate.release();
        assertThat(stored(passed)).isEmpty();
        assertThat(passed.nextOffsets())
                .as("the stream's offset never goes back")
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(new TopicPartition(STREAM, 0), 10L, new TopicPartition(ACCEPTED, 0), 4L));
        gate.add(verdict(4, 0, 6, 12, 10, 1));
        read(0, 10, 12);
        AcceptedGate.Released r = gate.release();
        assertThat(stored(r)).as("only what the store lacks").containsExactly("0@11");
        assertThat(r.nextOffsets())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of(new TopicPartition(STREAM, 0), 12L, new TopicPartition(ACCEPTED, 0), 5L));
    }

    @Test
    void clearForgetsWhatWasHeld() {
        read(0, 0, 3);
        gate.add(verdict(0, 0, 0, 5));
        gate.clear();
        assertThat(gate.held()).isZero();
        read(0, 3, 5);
        assertThat(stored(gate.release())).as("only what was read again").isEmpty();
        assertThat(gate.handles(STREAM)).isTrue();
        assertThat(gate.handles(ACCEPTED)).isTrue();
        assertThat(gate.handles("shop.view.v")).isFalse();
    }
}
