package dev.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * When may another partition have received a hanging transaction's end marker? Under transactions v2 a marker
 * bumps the producer's epoch; before v2 it leaves it as it was, so the same epoch with no transaction open must
 * count as "may have", or a committed transaction's offsets would be aborted and its input read twice.
 */
class HangingTransactionsTest {

    private static final TopicPartition OFFSETS = new TopicPartition("__consumer_offsets", 2);
    private static final TopicPartition OUTPUT = new TopicPartition("out", 0);
    private static final ProducerState HANGING = open(7, 109, 461);

    @Test
    void underV2OnlyALaterEpochShowsTheMarker() {
        assertThat(endedElsewhere(closed(7, 109), true)).isEmpty();
        assertThat(endedElsewhere(closed(7, 110), true)).containsExactly(OUTPUT);
    }

    @Test
    void beforeV2TheSameEpochMayBeTheMarker() {
        assertThat(endedElsewhere(closed(7, 109), false)).containsExactly(OUTPUT);
        assertThat(endedElsewhere(closed(7, 110), false)).containsExactly(OUTPUT);
        assertThat(endedElsewhere(closed(7, 108), false)).isEmpty();
    }

    @Test
    void otherProducersAndOpenTransactionsDoNotCount() {
        assertThat(endedElsewhere(closed(8, 200), false)).isEmpty();
        assertThat(endedElsewhere(open(7, 110, 5), true)).isEmpty();
        assertThat(HangingTransactions.endedElsewhere(Map.of(OFFSETS, List.of(HANGING)), OFFSETS, HANGING, false))
                .isEmpty();
    }

    private static List<TopicPartition> endedElsewhere(ProducerState onOutput, boolean epochBump) {
        return HangingTransactions.endedElsewhere(
                Map.of(OFFSETS, List.of(HANGING), OUTPUT, List.of(onOutput)), OFFSETS, HANGING, epochBump);
    }

    private static ProducerState open(long producerId, int epoch, long from) {
        return new ProducerState(producerId, epoch, 3, 0L, OptionalInt.of(0), OptionalLong.of(from));
    }

    private static ProducerState closed(long producerId, int epoch) {
        return new ProducerState(producerId, epoch, 3, 0L, OptionalInt.of(0), OptionalLong.empty());
    }
}
