package dev.sluice.processor.window;

import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.processor.Routed;
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
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Event-time windows, grace and late routing for one view, with one update per changed row per commit.
 *
 * <p>The watermark is the highest event time this task has seen; it is kept in a state store, so
 * it survives restarts exactly as the window contents do (both are restored from changelogs under
 * exactly-once). A window [start, end) is open while {@code end + grace > watermark}. An event for
 * an open window is folded into its row. An event for a closed window is late: it is routed to the
 * stream's late topic, and a one-event delta is emitted on the view topic for the store to merge into
 * the row, so stored numbers still count it.
 *
 * <p>Rows live as objects in a {@link WriteBackStore}: an event changes its row in memory, and the row is
 * written to the store (and its changelog) once per commit, not once per event. Every commit interval
 * (wall-clock punctuation, {@code commit.interval.ms}) each row changed since its last update is sent once,
 * with its full state and version (the number of events folded in), so the view topic, the sinks and the
 * live push see one record per changed row per interval. A row remembers the version it last sent; a row
 * that owes an update when the process dies is sent after the restart. A row's owed update always goes out
 * before a late delta for it, and before the row is deleted, so a row's final update precedes its late
 * corrections on the topic.
 *
 * <p>Poison never blocks: an event any of its windows cannot take (an unreadable record, a value a measure
 * cannot fold in) is checked against every window before anything changes, so it changes no row and no
 * watermark; it goes to the dead-letter topic, unchanged, with stage {@code process} and the reason, and the
 * view goes on with the next event.
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
        owing.clear();
        try (KeyValueIterator<Bytes, Row> it = rows.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, Row> kv = it.next();
                if (kv.value.owesUpdate()) {
                    owing.add(kv.key);
                }
            }
        }
        context.schedule(emitInterval(context.appConfigs()), PunctuationType.WALL_CLOCK_TIME, t -> emitOwed());
        if (view.window() != null) {
            context.schedule(Duration.ofSeconds(30), PunctuationType.STREAM_TIME, t -> expire());
        }
    }

    /** The task's commit interval: updates go out once per commit. */
    static Duration emitInterval(Map<String, Object> config) {
        Object v = config.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        long ms = v == null ? 100 : Long.parseLong(v.toString());
        return Duration.ofMillis(Math.max(1, ms));
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

    /** A window the event goes into: an open row, or (row null) a late delta. */
    private record Target(Bytes key, Row row, ViewRecord delta) {}

    private void aggregate(Record<byte[], byte[]> record) {
        Prepared p;
        try {
            p = Prepared.decode(record.value());
        } catch (RuntimeException e) {
            deadLetter(record, record.value(), null, e);
            return;
        }
        try {
            List<Target> targets = targets(p);
            // every window can take the event: only now does it change state
            if (p.time() > watermark) {
                watermark = p.time();
                marks.put(WATERMARK_KEY, p.time());
            }
            boolean late = false;
            for (Target t : targets) {
                if (t.row() == null) {
                    late = true;
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
                t.row().acc.add(p.values());
                t.row().pendingSourceMs = Math.min(t.row().pendingSourceMs, p.sourceTime());
                rows.put(t.key(), t.row());
                owing.add(t.key());
            }
            if (late) {
                metrics.discarded(ComponentMetrics.LATE, 1);
                var headers = new org.apache.kafka.common.header.internals.RecordHeaders(
                        record.headers().toArray());
                DeadLetter.put(headers, DeadLetter.VIEW, view.name());
                context.forward(record.withKey(p.id().getBytes(StandardCharsets.UTF_8))
                        .withValue(new Routed(Routed.Target.LATE, p.raw()))
                        .withHeaders(headers));
            }
        } catch (RuntimeException e) {
            deadLetter(record, p.raw(), p.origin(), e);
        }
    }

    /**
     * The windows of one prepared event, in window order, each checked to take it, without changing anything.
     * Throws when any window cannot take the event, so none of them does.
     */
    private List<Target> targets(Prepared p) {
        long mark = Math.max(watermark, p.time());
        WindowDef w = view.window();
        long[] starts = w == null ? new long[] {GLOBAL_START} : w.windowStarts(p.time());
        byte[] groupBytes = p.groupKey().getBytes(StandardCharsets.UTF_8);
        List<Target> out = new ArrayList<>(starts.length);
        List<Object> group = null;
        for (long start : starts) {
            long end = w == null ? GLOBAL_END : start + w.size().toMillis();
            Bytes key = Bytes.wrap(rowKey(start, groupBytes));
            if (w != null && end + w.grace().toMillis() <= mark) {
                if (group == null) {
                    group = new Row(start, end, p.groupKey(), null).group();
                }
                Accumulator delta = new Accumulator(view.measures());
                delta.add(p.values());
                out.add(new Target(
                        key, null, new ViewRecord(ViewRecord.Kind.LATE, start, end, group, 1, mark, p.id(), delta)));
                continue;
            }
            Row row = rows.get(key);
            if (row == null) {
                row = new Row(start, end, p.groupKey(), new Accumulator(view.measures()));
                checkSize(row);
            }
            row.acc.check(p.values());
            out.add(new Target(key, row, null));
        }
        return out;
    }

    /** A new row whose update record would not fit in a Kafka request (a group value too long) is refused. */
    private void checkSize(Row row) {
        ViewRecord r = update(row);
        long bytes = r.key().length + (long) r.encode(view).length + STATE_ALLOWANCE;
        if (bytes > Routed.MAX_RECORD_BYTES) {
            throw new Unprocessable(
                    null,
                    "size",
                    "the event makes a record of " + bytes + " bytes for view " + view.name() + ", more than "
                            + Routed.MAX_RECORD_BYTES + " (a group value is too long)");
        }
    }

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

    /** Sends the update every changed row owes (called each commit interval). */
    private void emitOwed() {
        for (Bytes key : List.copyOf(owing)) {
            Row row = rows.get(key);
            if (row != null && row.owesUpdate()) {
                emit(key, row);
            }
        }
        owing.clear();
    }

    /** Sends the row's update now and marks it sent (saved with the row at the next commit). */
    private void emit(Bytes key, Row row) {
        ViewRecord r = update(row);
        context.forward(new Record<>(r.key(), new Routed(Routed.Target.VIEW, r.encode(view)), Math.max(0, watermark)));
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
