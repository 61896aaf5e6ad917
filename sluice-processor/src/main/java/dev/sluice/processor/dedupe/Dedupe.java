package dev.sluice.processor.dedupe;

import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.processor.ParsedEvent;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.CommitWork;
import dev.sluice.processor.state.WriteBackStore;
import dev.sluice.wire.Accepted;
import dev.sluice.wire.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Parses each event of a stream once and drops those whose id was already seen within the stream's dedup
 * horizon (event time), with one changelog record per batch of new ids instead of one per event.
 *
 * <p>Duplicates of one event share its key, so they meet in the same partition, in this task. Three stores:
 *
 * <ul>
 *   <li><b>batches</b> ({@code <stream>-dedupe-batches}, logged: the truth, restored under exactly-once): the new
 *       ids of each commit, in batches of up to {@value #IDS_PER_BATCH} ids, keyed by a sequence number; each
 *       batch records the run that wrote it (a random number drawn when the task starts). Written as the commit is
 *       prepared (a {@link WriteBackStore}), so one record per batch goes into the transaction.
 *   <li><b>index</b> ({@code <stream>-dedupe-index}, local RocksDB, not logged): id → (batch, run), by event time,
 *       kept for the horizon; what a lookup reads. Written as each event is accepted, so it can hold ids of a
 *       transaction that was later aborted: an entry counts only when it is this run's own, or when its batch is
 *       in the batches store and was written by that entry's run. An aborted run's entries never count, even when
 *       a later run reuses their batch numbers.
 *   <li><b>indexed</b> ({@code <stream>-dedupe-indexed}, local): the last batch the index is known to hold. At
 *       start, the batches after it (all of them when the index is new or was wiped, as Kafka Streams wipes a
 *       task's state after a crash under exactly-once) are indexed again from the batches store.
 * </ul>
 *
 * <p>Memory stays bounded by the horizon: the index drops whole segments past it, and batches whose newest event
 * is more than twice the horizon behind the newest event seen are deleted.
 *
 * <p>Its verdicts go out too: once per commit (and sooner when a run of duplicates would not fit one record), an
 * {@link Accepted} record names the offsets of the stream partition judged since the last one and those dropped,
 * in the commit's transaction. Sinks store exactly the accepted events raw, so the raw table and the views agree
 * on what was a duplicate, and no store needs a key index to drop repeats.
 */
public final class Dedupe implements Processor<byte[], byte[], byte[], Routed> {
    /** Ids per batch record, and the bytes a batch may reach before it is sealed (well under a Kafka request). */
    static final int IDS_PER_BATCH = 5_000;

    static final int BATCH_BYTES = 256 * 1024;

    /** Batches are expired every this many commits. */
    private static final int EXPIRE_EVERY_COMMITS = 100;

    private static final String INDEXED_KEY = "indexed";

    private final StreamDef stream;
    private final Names names;
    private final long horizonMs;
    private final ComponentMetrics metrics;
    private ProcessorContext<byte[], Routed> context;
    private KeyValueStore<Bytes, byte[]> batches;
    private WindowStore<String, byte[]> index;
    private KeyValueStore<String, Long> indexed;
    private long run;
    private long nextSeq;
    private long newestTime = Long.MIN_VALUE;
    private int commits;
    private final IdBatch pending = new IdBatch();
    private final Accepted.Builder verdict = new Accepted.Builder();
    /** The last batch looked up for an entry of another run: its number and its run. */
    private long checkedSeq = -1;

    private long checkedRun;

    /** The stores' names. */
    public record Names(String batches, String index, String indexed) {}

    public Dedupe(StreamDef stream, Names names) {
        this(stream, names, PipelineMetrics.none());
    }

    public Dedupe(StreamDef stream, Names names, PipelineMetrics metrics) {
        this.metrics = metrics.stream(stream.name());
        this.stream = stream;
        this.names = names;
        this.horizonMs = stream.dedupHorizon().toMillis();
    }

    public static List<StoreBuilder<?>> stores(Names names, Duration horizon) {
        return List.of(
                WriteBackStore.builder(names.batches(), WriteBackStore.BYTES, 1),
                Stores.windowStoreBuilder(
                                Stores.persistentWindowStore(names.index(), horizon, Duration.ofMillis(1), false),
                                Serdes.String(),
                                Serdes.ByteArray())
                        .withLoggingDisabled(),
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(names.indexed()), Serdes.String(), Serdes.Long())
                        .withLoggingDisabled());
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.context = context;
        this.batches = context.getStateStore(names.batches());
        this.index = context.getStateStore(names.index());
        this.indexed = context.getStateStore(names.indexed());
        run = ThreadLocalRandom.current().nextLong();
        pending.clear();
        checkedSeq = -1;
        long last = -1;
        try (KeyValueIterator<Bytes, byte[]> it = batches.reverseAll()) {
            if (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                last = seqOf(kv.key);
                newestTime = IdBatch.maxTimeOf(kv.value);
            }
        }
        nextSeq = last + 1;
        reindex(last);
        verdict.take();
        WriteBackStore.behind(batches)
                .beforeEachCommit(CommitWork.forwarding(context, () -> newestTime, this::commitWork));
    }

    /** Puts the ids of the batches after the last one the index is known to hold back into the index. */
    private void reindex(long last) {
        Long done = indexed.get(INDEXED_KEY);
        if (done != null && done >= last) {
            return;
        }
        long from = done == null ? 0 : done + 1;
        try (KeyValueIterator<Bytes, byte[]> it = batches.range(key(from), key(Long.MAX_VALUE))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                long seq = seqOf(kv.key);
                IdBatch.forEach(kv.value, (id, time) -> index.put(id, entry(seq, IdBatch.runOf(kv.value)), time));
            }
        }
        indexed.put(INDEXED_KEY, last);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        metrics.received(1, record.value() == null ? 0 : record.value().length);
        ParsedEvent event;
        try {
            event = ParsedEvent.parse(record.value(), stream.idField(), stream.timeField());
        } catch (Exception e) {
            metrics.error(ComponentMetrics.DECODE);
            metrics.discarded(ComponentMetrics.INVALID, 1);
            context.forward(record.withValue(Routed.dlq(DeadLetter.value(record.value())))
                    .withHeaders(DeadLetter.headers(
                            record.headers(),
                            "process",
                            stream.name(),
                            null,
                            "event",
                            (e.getMessage() == null ? e.toString() : e.getMessage())
                                    + DeadLetter.tooLargeNote(record.value()),
                            origin())));
            judged(false);
            return;
        }
        long t = event.time();
        if (seen(event.id(), t)) {
            metrics.discarded(ComponentMetrics.DUPLICATE, 1);
            judged(false);
            return;
        }
        judged(true);
        index.put(event.id(), entry(nextSeq, run), t);
        pending.add(event.id(), t);
        newestTime = Math.max(newestTime, t);
        if (pending.size() >= IDS_PER_BATCH || pending.bytes() >= BATCH_BYTES) {
            seal();
        }
        metrics.emitted(1);
        context.forward(record.withValue(Routed.next(event)));
    }

    /** Notes the verdict on the current record; sends the verdict early when its dropped ranges are full. */
    private void judged(boolean accepted) {
        var m = context.recordMetadata();
        if (m.isEmpty()) {
            return; // not read from a topic (a test's hand-made context): nothing to give a verdict on
        }
        if (accepted) {
            verdict.accept(m.get().partition(), m.get().offset());
        } else {
            verdict.drop(m.get().partition(), m.get().offset());
            if (verdict.full()) {
                sendVerdict();
            }
        }
    }

    private void sendVerdict() {
        Accepted a = verdict.take();
        if (a != null) {
            context.forward(new Record<>(
                    Accepted.key(a.partition()),
                    new Routed(Routed.Target.ACCEPTED, a.encode()),
                    Math.max(0, newestTime)));
        }
    }

    /** As each commit is prepared: the verdict since the last commit goes out, and the pending ids are sealed. */
    private void commitWork() {
        sendVerdict();
        sealAndExpire();
    }

    /** Whether the index holds the id within the horizon around {@code t}, in an entry that counts. */
    private boolean seen(String id, long t) {
        try (WindowStoreIterator<byte[]> it = index.fetch(id, t - horizonMs, t + horizonMs)) {
            while (it.hasNext()) {
                if (counts(it.next().value)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** An entry counts when it is this run's, or its batch is stored and was written by the entry's run. */
    private boolean counts(byte[] entry) {
        ByteBuffer b = ByteBuffer.wrap(entry);
        long seq = b.getLong();
        long entryRun = b.getLong();
        if (entryRun == run) {
            return true;
        }
        if (seq != checkedSeq) {
            byte[] batch = batches.get(key(seq));
            checkedSeq = seq;
            checkedRun = batch == null ? run : IdBatch.runOf(batch);
        }
        return checkedRun == entryRun;
    }

    /** Writes the pending ids as the next batch (into the store's memory: it goes out with the commit). */
    private void seal() {
        if (pending.size() == 0) {
            return;
        }
        batches.put(key(nextSeq), pending.encode(run));
        if (nextSeq == checkedSeq) {
            checkedSeq = -1;
        }
        nextSeq++;
        pending.clear();
    }

    /** As each commit is prepared: the pending ids become a batch; now and then, old batches are deleted. */
    private void sealAndExpire() {
        seal();
        indexed.put(INDEXED_KEY, nextSeq - 1);
        if (++commits % EXPIRE_EVERY_COMMITS == 0 && newestTime != Long.MIN_VALUE) {
            long cutoff = newestTime - 2 * horizonMs;
            List<Bytes> old = new ArrayList<>();
            try (KeyValueIterator<Bytes, byte[]> it = batches.all()) {
                while (it.hasNext()) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    if (IdBatch.maxTimeOf(kv.value) >= cutoff) {
                        break;
                    }
                    old.add(kv.key);
                }
            }
            old.forEach(batches::delete);
        }
    }

    static Bytes key(long seq) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(seq).array());
    }

    static long seqOf(Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong();
    }

    static byte[] entry(long seq, long run) {
        return ByteBuffer.allocate(16).putLong(seq).putLong(run).array();
    }

    private String origin() {
        return context.recordMetadata()
                .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
                .orElse(null);
    }
}
