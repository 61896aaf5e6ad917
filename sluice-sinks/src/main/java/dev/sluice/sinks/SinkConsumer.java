package dev.sluice.sinks;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parts of {@link SinkLoop}, the loop of the sinks that keep their own offsets (in the store, with the rows), kept
 * apart so they are tested on their own: the copy of the positions in the sink's Kafka group, the backoff between
 * retries of a failed write, and reading a view record without letting a bad one stop the sink.
 */
public final class SinkConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(SinkConsumer.class);

    private final Map<TopicPartition, Long> committed = new HashMap<>();

    /**
     * Commits the consumer's positions to its Kafka group where they moved. The sink's truth is the offsets it
     * stores with its rows; this copy is only so its lag shows in Kafka's tools, {@code /v1/lag} and
     * {@code kafka_consumergroup_lag} like any group's.
     */
    public void commitPositions(KafkaConsumer<byte[], byte[]> c) {
        commitPositions(c, Map.of());
    }

    /**
     * As {@link #commitPositions(KafkaConsumer)}, but a partition is committed no further than the first offset
     * the writer still holds unwritten ({@code heldFrom}), so its lag counts what is held.
     */
    public void commitPositions(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> heldFrom) {
        Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
        for (TopicPartition tp : c.assignment()) {
            long p = Math.min(c.position(tp), heldFrom.getOrDefault(tp, Long.MAX_VALUE));
            if (!Long.valueOf(p).equals(committed.get(tp))) {
                positions.put(tp, new OffsetAndMetadata(p));
                committed.put(tp, p);
            }
        }
        if (!positions.isEmpty()) {
            c.commitAsync(positions, (o, e) -> {
                if (e != null) {
                    LOG.debug("monitoring commit failed: {}", e.toString());
                }
            });
        }
    }

    /**
     * A view topic's record, or null (counted as discarded and logged) when it cannot be read: one bad record must
     * not stop the sink.
     */
    public static dev.sluice.wire.ViewRecord decodeView(
            dev.sluice.pipeline.ViewDef v,
            org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r,
            dev.sluice.kafka.metrics.ComponentMetrics metrics) {
        try {
            return dev.sluice.wire.ViewRecord.decode(v, r.value());
        } catch (RuntimeException e) {
            metrics.discarded(dev.sluice.kafka.metrics.ComponentMetrics.INVALID, 1);
            LOG.warn(
                    "skipping unreadable record {}/{}@{} of view {}: {}",
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    v.name(),
                    e.toString());
            return null;
        }
    }

    /**
     * A sink's consecutive failed writes, and what follows one: it is counted
     * ({@code sluice_errors_total{stage="write"}}), logged, and waited out with backoff; after {@link #MAX} in a row
     * (about ten minutes) the sink gives up, so {@code /health/live} fails and an orchestrator restarts it.
     */
    public static final class WriteFailures {
        /** Consecutive failures after which the sink stops. */
        public static final int MAX = 30;

        private final String sink;
        private final dev.sluice.kafka.metrics.ComponentMetrics metrics;
        private volatile int count;

        /** @param sink how logs name the sink, e.g. {@code clickhouse sink 'warehouse'} */
        public WriteFailures(String sink, dev.sluice.kafka.metrics.ComponentMetrics metrics) {
            this.sink = sink;
            this.metrics = metrics;
        }

        /** True when the last write worked (the sink is not retrying). */
        public boolean none() {
            return count == 0;
        }

        public void succeeded() {
            count = 0;
        }

        /**
         * Counts a failure, logs it and sleeps its backoff (returning early when {@code running} turns false).
         *
         * @throws IllegalStateException at the {@link #MAX}th failure in a row
         */
        public void backOff(Exception cause, BooleanSupplier running) throws InterruptedException {
            metrics.error(dev.sluice.kafka.metrics.ComponentMetrics.WRITE);
            int n = ++count;
            if (n >= MAX) {
                throw new IllegalStateException(sink + ": " + n + " writes in a row failed; the last: " + cause, cause);
            }
            long backoff = backoffMillis(n);
            LOG.warn("{}: write failed ({} in a row), retrying in {} ms: {}", sink, n, backoff, cause.toString());
            pause(backoff, running);
        }
    }

    /** The wait before retry {@code failures}: 200 ms, doubling, at most 30 s. */
    public static long backoffMillis(int failures) {
        return Math.min(30_000, 200L << Math.min(Math.max(failures, 1) - 1, 8));
    }

    /** Sleeps {@code ms}, but returns soon once {@code running} turns false (the sink is closing). */
    public static void pause(long ms, BooleanSupplier running) throws InterruptedException {
        long until = System.nanoTime() + ms * 1_000_000;
        while (running.getAsBoolean() && System.nanoTime() < until) {
            Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
        }
    }
}
