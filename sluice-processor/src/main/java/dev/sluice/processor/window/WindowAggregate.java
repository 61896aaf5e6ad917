package dev.sluice.processor.window;

import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.CommitWork;
import dev.sluice.processor.state.WriteBackStore;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.Unprocessable;
import dev.sluice.wire.ViewRecord;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The second half of a view's aggregation, in the task that owns a group: merges the {@link Partial}s the stream
 * partitions send ({@link PreAggregate}) into the view's rows, and sends one update per changed row per commit.
 *
 * <p>The watermark here is the highest watermark a sender reported; it is kept in a state store, so it survives
 * restarts exactly as the rows do (both are restored from changelogs under exactly-once). A window's row is open
 * while {@code end + grace > watermark}. A partial's entry for an open window is merged into its row (created if
 * absent), an on-time share and an event its partition found late alike. An entry for a window closed here (a
 * late event, or on-time events from a partition that is behind the others) is a late correction: it is emitted on
 * the view topic as a delta for the store to merge into the row, under the late event's id, or, for a
 * partition's share, under {@code topic/partition@first-last} of the events it holds, so the store merges it
 * once; the row's owed update goes out first.
 *
 * <p>Rows live as objects in a {@link WriteBackStore}: a partial changes its row in memory, and as Kafka Streams
 * prepares each commit every row changed since its last update is sent once, with its full state and version (the
 * number of events folded in), then the rows are written to the store (and its changelog): the view topic, the
 * changelog, the sinks and the live push see one record per changed row per commit. A row remembers the version
 * it last sent, so a row owing an update after a restart (as the first commit of a restored task can) sends it.
 * A row's owed update always goes out before a late delta for it, and before the row is deleted, so a row's final
 * update precedes its late corrections on the topic.
 *
 * <p>Poison never blocks: a partial is checked against every row it changes before anything changes (a sum that
 * would leave the range of a double); one that fails changes nothing and goes to the dead-letter topic (as the
 * event when it holds one, described otherwise) with stage {@code process} and the reason.
 *
 * <p>Rows are keyed by window start (big-endian, sign bit flipped, so keys sort by time) then group; closed
 * windows are deleted by a stream-time punctuation with a range read from the oldest key.
 */
public final class WindowAggregate implements Processor<byte[], byte[], byte[], Routed> {
    /** Windowless views keep one row per group, with this window. */
    public static final long GLOBAL_START = ViewRecord.GLOBAL_START;

    public static final long GLOBAL_END = ViewRecord.GLOBAL_END;

    /** Rows kept in memory once saved (most recently used; a row with sketches takes a few KB); the rest are read back from RocksDB. */
    static final int ROWS_IN_MEMORY = 1_000;

    /**
     * Room kept for a row's state in the update record when a row is created: a KLL sketch grows with the
     * number of values, slowly (k 200: about 30 KB at a billion values).
     */
    static final int STATE_ALLOWANCE = 64 * 1024;

    private static final String WATERMARK_KEY = "watermark";

    private final ViewDef view;
    private final String rowsStore;
    private final String watermarkStore;
    private ProcessorContext<byte[], Routed> context;
    private KeyValueStore<Bytes, Row> rows;
    private KeyValueStore<String, Long> marks;
    private long watermark = Long.MIN_VALUE;
    /** The watermark as last written to its store (once per commit, when it moved). */
    private long storedWatermark = Long.MIN_VALUE;
    /** Rows changed since their last update was sent. */
    private final Set<Bytes> owing = new LinkedHashSet<>();

    private final ComponentMetrics metrics;
    private final Timer processing;

    public WindowAggregate(ViewDef view, String rowsStore, String watermarkStore) {
        this(view, rowsStore, watermarkStore, PipelineMetrics.none());
    }

    public WindowAggregate(ViewDef view, String rowsStore, String watermarkStore, PipelineMetrics metrics) {
        this.metrics = metrics.view(view.name());
        this.processing = metrics.processing(view.name());
        this.view = view;
        this.rowsStore = rowsStore;
        this.watermarkStore = watermarkStore;
    }

    public static StoreBuilder<WriteBackStore<Row>> rowsStore(String name, ViewDef view) {
        return WriteBackStore.builder(name, Row.codec(view.measures()), ROWS_IN_MEMORY);
    }

    public static StoreBuilder<KeyValueStore<String, Long>> watermarkStore(String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.Long());
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.context = context;
        this.rows = context.getStateStore(rowsStore);
        this.marks = context.getStateStore(watermarkStore);
        Long stored = marks.get(WATERMARK_KEY);
        watermark = stored == null ? Long.MIN_VALUE : stored;
        storedWatermark = watermark;
        owing.clear();
        try (KeyValueIterator<Bytes, Row> it = rows.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, Row> kv = it.next();
                if (kv.value.owesUpdate()) {
                    owing.add(kv.key);
                }
            }
        }
        WriteBackStore.behind(rows).beforeEachCommit(CommitWork.forwarding(context, () -> watermark, this::emitOwed));
        if (view.window() != null) {
            context.schedule(Duration.ofSeconds(30), PunctuationType.STREAM_TIME, t -> expire());
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long started = System.nanoTime();
        try {
            aggregate(record);
        } finally {
            processing.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** What one entry of a partial does: change an open row, or (row null) go out as a late delta. */
    private record Target(Bytes key, Row row, Partial.Entry entry, ViewRecord delta) {}

    private void aggregate(Record<byte[], byte[]> record) {
        List<byte[]> partials;
        try {
            partials = Partial.unbundle(record.value());
        } catch (RuntimeException e) {
            deadLetter(record, record.value(), null, e);
            return;
        }
        for (byte[] one : partials) {
            merge(record, one);
        }
    }

    /** Merges one partial into its rows, or dead-letters it whole. */
    private void merge(Record<byte[], byte[]> record, byte[] bytes) {
        Partial p;
        try {
            p = Partial.decode(view.measures(), bytes);
        } catch (RuntimeException e) {
            deadLetter(record, bytes, null, e);
            return;
        }
        try {
            List<Target> targets = targets(p);
            // every row can take the partial: only now does state change
            if (p.senderWatermark() > watermark) {
                watermark = p.senderWatermark();
            }
            for (Target t : targets) {
                if (t.row() == null) {
                    Row closed = rows.get(t.key());
                    if (closed != null && closed.owesUpdate()) {
                        emit(t.key(), closed);
                    }
                    context.forward(new Record<>(
                            t.delta().key(),
                            new Routed(Routed.Target.VIEW, t.delta().encode(view)),
                            record.timestamp()));
                    continue;
                }
                t.row().acc.merge(t.entry().acc());
                t.row().pendingSourceMs =
                        Math.min(t.row().pendingSourceMs, t.entry().minSourceMs());
                rows.put(t.key(), t.row());
                owing.add(t.key());
            }
        } catch (RuntimeException e) {
            deadLetter(record, p.raw() != null ? p.raw() : describe(p), p.origin(), e);
        }
    }

    /**
     * The rows a partial changes, in entry order, each checked to take its entry, without changing anything.
     * Throws when any row cannot take its entry, so none of them does.
     */
    private List<Target> targets(Partial p) {
        long mark = Math.max(watermark, p.senderWatermark());
        WindowDef w = view.window();
        byte[] groupBytes = p.groupKey().getBytes(StandardCharsets.UTF_8);
        List<Target> out = new ArrayList<>(p.entries().size());
        List<Object> group = null;
        for (Partial.Entry e : p.entries()) {
            Bytes key = Bytes.wrap(rowKey(e.start(), groupBytes));
            if (w != null && e.end() + w.grace().toMillis() <= mark) {
                if (group == null) {
                    group = new Row(e.start(), e.end(), p.groupKey(), null).group();
                }
                String id = e.late() ? e.eventId() : p.origin();
                out.add(new Target(
                        key,
                        null,
                        e,
                        new ViewRecord(
                                ViewRecord.Kind.LATE,
                                e.start(),
                                e.end(),
                                group,
                                e.acc().version(),
                                mark,
                                id,
                                e.acc())));
                continue;
            }
            Row row = rows.get(key);
            if (row == null) {
                row = new Row(e.start(), e.end(), p.groupKey(), new Accumulator(view.measures()));
            }
            row.acc.checkMerge(e.acc());
            out.add(new Target(key, row, e, null));
        }
        return out;
    }

    /** A partial of many events, for the dead-letter topic: what it held and where its events are. */
    private byte[] describe(Partial p) {
        var o = DESCRIBE.createObjectNode();
        o.put("view", view.name());
        o.put("group", p.groupKey());
        o.put("events", p.events());
        o.put("origin", p.origin());
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper DESCRIBE =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private ViewRecord update(Row row) {
        return new ViewRecord(
                ViewRecord.Kind.UPDATE,
                row.start,
                row.end,
                row.group(),
                row.acc.version(),
                watermark,
                null,
                row.acc,
                row.pendingSourceMs == Long.MAX_VALUE ? 0 : row.pendingSourceMs,
                System.currentTimeMillis());
    }

    /** Sends the update every changed row owes and saves the watermark (run as each commit is prepared). */
    private void emitOwed() {
        if (watermark != storedWatermark) {
            marks.put(WATERMARK_KEY, watermark);
            storedWatermark = watermark;
        }
        for (Bytes key : List.copyOf(owing)) {
            Row row = rows.get(key);
            if (row != null && row.owesUpdate()) {
                emit(key, row);
            }
        }
        owing.clear();
    }

    /** Sends the row's update now and marks it sent (the row is saved with it in this commit). */
    private void emit(Bytes key, Row row) {
        ViewRecord r = update(row);
        context.forward(new Record<>(
                r.key(), new Routed(Routed.Target.VIEW, r.encode(view, row.stateBytes())), Math.max(0, watermark)));
        metrics.emitted(1);
        row.emittedVersion = row.acc.version();
        row.pendingSourceMs = Long.MAX_VALUE;
        rows.put(key, row);
        owing.remove(key);
    }

    /** Sends the event, unchanged, to the dead-letter topic with why this view could not compute it. */
    private void deadLetter(Record<byte[], byte[]> record, byte[] raw, String origin, Exception e) {
        metrics.error(ComponentMetrics.PROCESS);
        metrics.discarded(ComponentMetrics.INVALID, 1);
        Unprocessable u = e instanceof Unprocessable x ? x : null;
        var headers = DeadLetter.headers(
                record.headers(),
                "process",
                view.from(),
                u == null ? null : u.field(),
                u == null ? "event" : u.rule(),
                (e.getMessage() == null ? e.toString() : e.getMessage()) + DeadLetter.tooLargeNote(raw),
                origin);
        DeadLetter.put(headers, DeadLetter.VIEW, view.name());
        context.forward(record.withValue(Routed.dlq(DeadLetter.value(raw))).withHeaders(headers));
    }

    /** Deletes the rows of every window that closed (end + grace <= watermark), after their owed updates. */
    private void expire() {
        WindowDef w = view.window();
        long cutoffStart = watermark - w.grace().toMillis() - w.size().toMillis();
        if (watermark == Long.MIN_VALUE) {
            return;
        }
        List<KeyValue<Bytes, Row>> dead = new ArrayList<>();
        try (KeyValueIterator<Bytes, Row> it = rows.range(
                Bytes.wrap(rowKey(Long.MIN_VALUE, new byte[0])), Bytes.wrap(rowKey(cutoffStart + 1, new byte[0])))) {
            while (it.hasNext()) {
                KeyValue<Bytes, Row> kv = it.next();
                if (startOf(kv.key.get()) <= cutoffStart) {
                    dead.add(kv);
                }
            }
        }
        for (KeyValue<Bytes, Row> kv : dead) {
            if (kv.value.owesUpdate()) {
                emit(kv.key, kv.value);
            }
            rows.delete(kv.key);
            owing.remove(kv.key);
        }
    }

    static byte[] rowKey(long windowStart, byte[] group) {
        return ByteBuffer.allocate(8 + group.length)
                .putLong(windowStart ^ Long.MIN_VALUE)
                .put(group)
                .array();
    }

    static long startOf(byte[] rowKey) {
        return ByteBuffer.wrap(rowKey).getLong() ^ Long.MIN_VALUE;
    }
}
