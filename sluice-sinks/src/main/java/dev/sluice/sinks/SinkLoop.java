package dev.sluice.sinks;

import dev.sluice.kafka.metrics.ComponentMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume loop of every sink that keeps its offsets in its store (DuckDB, ClickHouse, PostgreSQL); the sink
 * supplies a {@link SinkWriter}, which knows the store.
 *
 * <ul>
 *   <li><b>Where it reads.</b> The loop assigns itself every partition of the writer's topics (no rebalancing: the
 *       sink's Kafka group is only for monitoring) and seeks each to the offset the store holds ({@link
 *       SinkWriter#open}); a partition the store has none for is read from its start.
 *   <li><b>Batches.</b> Records are gathered across polls until the batch holds {@code batchRows} records (or
 *       {@link #BATCH_BYTES} of values, which bounds the heap when records are large), or its first record is
 *       {@code batchInterval} old; then the writer writes it whole, rows and next offsets together. At high rates
 *       writes are as large as the store likes them; at low rates a record waits at most {@code batchInterval}.
 *   <li><b>Failures.</b> A failed write, or open, is counted, logged and waited out with backoff ({@link
 *       SinkConsumer.WriteFailures}); then the writer is opened again and the loop seeks back to the offsets the
 *       store holds, so the batch is read again: neither lost nor written twice. After {@link
 *       SinkConsumer.WriteFailures#MAX} in a row the loop stops: {@link #running} turns false, so
 *       {@code /health/live} fails and an orchestrator restarts the process.
 *   <li><b>Holding back.</b> A writer that waits for one topic before it writes another's records (the DuckDB
 *       sink waits for the processor's verdicts before it stores raw events) names the partitions it holds too
 *       much of ({@link SinkWriter#paused}); the loop stops reading them until the writer lets them go.
 *   <li><b>Monitoring.</b> Whenever everything read is written, the positions are committed to the sink's Kafka
 *       group ({@link SinkConsumer#commitPositions}), no further than what the writer still holds ({@link
 *       SinkWriter#heldFrom}), so its lag shows like any group's; every written batch counts its records as
 *       received, less those of the writer's bookkeeping topics.
 *   <li><b>Closing.</b> {@link #close} stops the polling, writes what was already read, and waits for it.
 * </ul>
 */
public final class SinkLoop implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkLoop.class);

    /** A batch is also written once its records' values hold this many bytes. */
    public static final long BATCH_BYTES = 32L << 20;

    /** The longest a poll waits while the batch is empty: how often an idle sink commits its positions. */
    private static final Duration IDLE_POLL = Duration.ofMillis(200);

    private final SinkWriter writer;
    private final Map<String, Object> consumerConfig;
    private final long batchRows;
    private final long batchNanos;
    private final ComponentMetrics metrics;
    private final SinkConsumer.WriteFailures failures;
    private final SinkConsumer positions = new SinkConsumer();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean running = true;
    private volatile boolean opened;
    private volatile Throwable failure;

    /**
     * @param batchRows a batch is written once it holds this many records
     * @param batchInterval ... or once its first record is this old
     */
    public SinkLoop(SinkWriter writer, Map<String, Object> consumerConfig, long batchRows, Duration batchInterval) {
        this.writer = writer;
        this.consumerConfig = consumerConfig;
        this.batchRows = Math.max(1, batchRows);
        this.batchNanos = Math.max(0, batchInterval.toNanos());
        this.metrics = writer.metrics();
        this.failures = new SinkConsumer.WriteFailures(writer.describe(), metrics);
    }

    /** Null while healthy; the error that stopped the sink otherwise. */
    public Throwable failure() {
        return failure;
    }

    /** False once the sink stopped for good (closed, or given up). */
    public boolean running() {
        return running && failure == null;
    }

    /** False until the store was first reached, and while the last write failed (the sink is retrying). */
    public boolean writing() {
        return opened && failures.none();
    }

    /** True when a batch of {@code rows} records, {@code bytes} of values, its first read {@code ageNanos} ago, is due. */
    static boolean due(long rows, long bytes, long ageNanos, long batchRows, long batchNanos) {
        return rows >= batchRows || bytes >= BATCH_BYTES || ageNanos >= batchNanos;
    }

    @Override
    public void run() {
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer = c;
            open(c, null);
            List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
            long bytes = 0;
            long firstAt = 0;
            while (running) {
                Duration wait = batch.isEmpty()
                        ? IDLE_POLL
                        : Duration.ofNanos(
                                Math.clamp(batchNanos - (System.nanoTime() - firstAt), 1_000_000, IDLE_POLL.toNanos()));
                try {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(wait)) {
                        batch.add(r);
                        bytes += r.value() == null ? 0 : r.value().length;
                    }
                } catch (WakeupException e) {
                    break;
                }
                if (batch.isEmpty()) {
                    positions.commitPositions(
                            c, writer.heldFrom()); // past transaction markers; everything read is written
                    continue;
                }
                if (firstAt == 0) {
                    firstAt = System.nanoTime();
                }
                if (!due(batch.size(), bytes, System.nanoTime() - firstAt, batchRows, batchNanos)) {
                    continue;
                }
                write(c, batch);
                batch.clear();
                bytes = 0;
                firstAt = 0;
            }
            if (!batch.isEmpty()) {
                writeLast(batch);
            }
        } catch (Throwable t) {
            if (running) {
                failure = t;
                metrics.error(ComponentMetrics.WRITE);
                LOG.error("{} stopped", writer.describe(), t);
            }
        } finally {
            writer.close();
            stopped.countDown();
        }
    }

    /** Writes a batch; on failure backs off and opens the writer again, from the stored offsets. */
    private void write(KafkaConsumer<byte[], byte[]> c, List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
        SinkBatch batch = SinkBatch.of(records);
        try {
            writer.write(batch);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // nothing of the batch counts as written: read it again from the offsets the store holds
            open(c, e);
            return;
        }
        failures.succeeded();
        countReceived(batch);
        positions.commitPositions(c, writer.heldFrom());
        pauseAsAsked(c);
    }

    /** Counts a written batch's events as received: its records, less those of the writer's bookkeeping topics. */
    private void countReceived(SinkBatch batch) {
        long n = 0;
        long bytes = 0;
        for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
            if (!writer.bookkeeping(r.topic())) {
                n++;
                bytes += r.value() == null ? 0 : r.value().length;
            }
        }
        metrics.received(n, bytes);
    }

    /** Pauses the partitions the writer asks to, resumes the others. */
    private void pauseAsAsked(KafkaConsumer<byte[], byte[]> c) {
        java.util.Set<TopicPartition> pause = new java.util.HashSet<>(writer.paused());
        pause.retainAll(c.assignment());
        java.util.Set<TopicPartition> resume = new java.util.HashSet<>(c.paused());
        resume.removeAll(pause);
        c.pause(pause);
        c.resume(resume);
    }

    /** Closing: writes what was read, once; should that fail, the next start reads it again. */
    private void writeLast(List<ConsumerRecord<byte[], byte[]>> records) {
        SinkBatch batch = SinkBatch.of(records);
        try {
            writer.write(batch);
            countReceived(batch);
        } catch (Exception e) {
            LOG.info(
                    "{}: the last {} records read were not written ({}); the next start reads them again",
                    writer.describe(),
                    batch.size(),
                    e.toString());
        }
    }

    /**
     * Opens the writer and seeks every partition to the offset its store holds. After a failure ({@code cause}),
     * first counts it and backs off; retries until it works, the loop closes, or the failures reach
     * {@link SinkConsumer.WriteFailures#MAX} in a row (then it throws).
     */
    private void open(KafkaConsumer<byte[], byte[]> c, Exception cause) throws Exception {
        while (true) {
            if (cause != null) {
                failures.backOff(cause, () -> running);
                if (!running) {
                    return;
                }
            }
            try {
                List<TopicPartition> parts = new ArrayList<>();
                for (String topic : writer.topics()) {
                    for (PartitionInfo p : c.partitionsFor(topic, Duration.ofSeconds(30))) {
                        parts.add(new TopicPartition(topic, p.partition()));
                    }
                }
                Map<TopicPartition, Long> stored = writer.open(parts);
                c.assign(parts);
                List<TopicPartition> fresh = new ArrayList<>();
                for (TopicPartition tp : parts) {
                    Long next = stored.get(tp);
                    if (next == null) {
                        fresh.add(tp);
                    } else {
                        c.seek(tp, next);
                    }
                }
                if (!fresh.isEmpty()) {
                    // an empty collection would mean every assigned partition: a restart would read whole topics
                    // again, and a re-read update older than the stored row would take late deltas merged after
                    // it for lost
                    c.seekToBeginning(fresh);
                }
                opened = true;
                pauseAsAsked(c);
                positions.commitPositions(
                        c, writer.heldFrom()); // the group shows its position (and lag) from the start
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                cause = e;
            }
        }
    }

    /** Stops polling, writes what was read, and waits for that (an unwritten batch is read again on start). */
    @Override
    public void close() {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            stopped.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
