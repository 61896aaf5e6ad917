package dev.sluice.sinks;

import dev.sluice.kafka.metrics.ComponentMetrics;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The part of a sink that knows its store, run by {@link SinkLoop}: where the sink's offsets are kept, what to do
 * at a start, and how one batch is written. One thread calls it, the loop's.
 */
public interface SinkWriter {
    /** How logs name the sink, e.g. {@code duckdb sink 'store'}. */
    String describe();

    /** The sink's counters: the loop counts what it read and the failures. */
    ComponentMetrics metrics();

    /** The topics the sink reads, every partition of each. */
    Collection<String> topics();

    /**
     * Connects to the store (again, after a failure: whatever an earlier call opened is released first), creates
     * what is missing, prepares what a crash may have left (ClickHouse: the range to repair), and returns the next
     * offset the store holds for each of {@code partitions} it has one for. The loop reads each partition from
     * there, a partition without one from its start.
     */
    Map<TopicPartition, Long> open(List<TopicPartition> partitions) throws Exception;

    /**
     * Writes a batch: its rows and, with them, the next offset of every partition in it, so that a crash at any
     * moment leaves the store either with both or, read again from the stored offsets, able to take the batch
     * again without counting anything twice. On failure nothing of the batch may count as written: the loop opens
     * the writer again and reads the batch again from the stored offsets.
     */
    void write(SinkBatch batch) throws Exception;

    /**
     * Whether the topic carries the sink's bookkeeping, not events (the DuckDB sink's accepted-records topics):
     * its records are not counted as received.
     */
    default boolean bookkeeping(String topic) {
        return false;
    }

    /**
     * Per partition, the first offset the writer has read but holds unwritten (waiting for something else it reads);
     * the sink's monitoring group is committed no further, so its lag shows them.
     */
    default Map<TopicPartition, Long> heldFrom() {
        return Map.of();
    }

    /**
     * Partitions the loop should stop reading for now (the writer holds too much of them, waiting for something
     * else it reads); asked after every open and write, the others are read again.
     */
    default Collection<TopicPartition> paused() {
        return List.of();
    }

    /** Releases what {@link #open} took; called when the loop ends. */
    default void close() {}
}
