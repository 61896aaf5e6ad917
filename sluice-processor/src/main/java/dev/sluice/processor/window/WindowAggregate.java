package dev.sluice.processor.window;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.processor.Routed;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.Unprocessable;
import dev.sluice.wire.ViewRecord;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Event-time windows, grace and late routing for one view.
 *
 * <p>The watermark is the highest event time this task has seen; it is kept in a state store, so
 * it survives restarts exactly as the window contents do (both are restored from changelogs under
 * exactly-once). A window [start, end) is open while {@code end + grace > watermark}. An event for
 * an open window updates the row and emits its full state with the next version. An event for a
 * closed window is late: it is routed to the stream's late topic, and a one-event delta is emitted
 * on the view topic for the store to merge into the row, so stored numbers still count it.
 *
 * <p>Poison never blocks: an event any of its windows cannot take (an unreadable record, a value a measure
 * cannot fold in) is computed for every window before anything is written, so it changes no row and no
 * watermark; it goes to the dead-letter topic, unchanged, with stage {@code process} and the reason, and the
 * view goes on with the next event.
 *
 * <p>Rows live in a key-value store keyed by window start (big-endian, sign bit flipped, so keys
 * sort by time) then group; closed windows are deleted by a stream-time punctuation with a range
 * delete from the oldest key.
 */
public final class WindowAggregate implements Processor<byte[], byte[], byte[], Routed> {
    /** Windowless views keep one row per group, with this window. */
    public static final long GLOBAL_START = ViewRecord.GLOBAL_START;

    public static final long GLOBAL_END = ViewRecord.GLOBAL_END;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WATERMARK_KEY = "watermark";

    private final ViewDef view;
    private final String rowsStore;
    private final String watermarkStore;
    private ProcessorContext<byte[], Routed> context;
    private KeyValueStore<Bytes, byte[]> rows;
    private KeyValueStore<String, Long> marks;
    private long watermark = Long.MIN_VALUE;

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

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> rowsStore(String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
                .withCachingEnabled();
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

    /** A row's new state, or a late event's one-event delta, computed before anything is written. */
    private record Output(Bytes rowKey, byte[] state, byte[] key, byte[] value) {}

    private void aggregate(Record<byte[], byte[]> record) {
        JsonNode p;
        try {
            p = JSON.readTree(record.value());
        } catch (Exception e) {
            deadLetter(record, record.value(), null, e);
            return;
        }
        byte[] raw = record.value();
        String origin = p == null ? null : p.path("o").asText(null);
        try {
            if (p != null && p.hasNonNull("e")) {
                raw = PrepareView.rawEvent(p);
            }
            List<Output> outputs = new ArrayList<>();
            long t = compute(p, outputs);
            // every window was computed without an error: only now does the event change state
            if (t > watermark) {
                watermark = t;
                marks.put(WATERMARK_KEY, t);
            }
            boolean late = false;
            for (Output o : outputs) {
                if (o.rowKey() == null) {
                    late = true;
                } else {
                    rows.put(o.rowKey(), o.state());
                    metrics.emitted(1);
                }
                context.forward(record.withKey(o.key()).withValue(new Routed(Routed.Target.VIEW, o.value())));
            }
            if (late) {
                metrics.discarded(ComponentMetrics.LATE, 1);
                var headers = new org.apache.kafka.common.header.internals.RecordHeaders(
                        record.headers().toArray());
                DeadLetter.put(headers, DeadLetter.VIEW, view.name());
                context.forward(record.withKey(p.get("id").asText().getBytes(StandardCharsets.UTF_8))
                        .withValue(new Routed(Routed.Target.LATE, raw))
                        .withHeaders(headers));
            }
        } catch (RuntimeException | java.io.IOException e) {
            deadLetter(record, raw, origin, e);
        }
    }

    /**
     * The outputs of one prepared event, in window order, without touching the stores' contents; returns the
     * event time. Throws when any window cannot take the event, so none of them does.
     */
    private long compute(JsonNode p, List<Output> outputs) throws java.io.IOException {
        if (p == null || !p.isObject() || !p.hasNonNull("id") || !p.hasNonNull("t") || !p.has("g")) {
            throw new Unprocessable(null, "event", "not a prepared event (id, t, g expected)");
        }
        String id = p.get("id").asText();
        long t = p.get("t").asLong();
        long source = p.path("s").asLong(t);
        List<Object> group = new ArrayList<>();
        for (JsonNode g : p.get("g")) {
            group.add(g.isNull() ? null : JSON.treeToValue(g, Object.class));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> values = p.hasNonNull("v") ? JSON.treeToValue(p.get("v"), Map.class) : Map.of();
        long mark = Math.max(watermark, t);
        WindowDef w = view.window();
        long[] starts = w == null ? new long[] {GLOBAL_START} : w.windowStarts(t);
        byte[] groupBytes = ViewRecord.groupKey(group).getBytes(StandardCharsets.UTF_8);
        for (long start : starts) {
            long end = w == null ? GLOBAL_END : start + w.size().toMillis();
            if (w != null && end + w.grace().toMillis() <= mark) {
                Accumulator delta = new Accumulator(view.measures());
                delta.add(values);
                ViewRecord r = new ViewRecord(ViewRecord.Kind.LATE, start, end, group, 1, mark, id, delta);
                outputs.add(checked(new Output(null, null, r.key(), r.encode(view))));
                continue;
            }
            Bytes key = Bytes.wrap(rowKey(start, groupBytes));
            byte[] stored = rows.get(key);
            Accumulator acc =
                    stored == null ? new Accumulator(view.measures()) : Accumulator.fromBytes(view.measures(), stored);
            acc.add(values);
            ViewRecord r = new ViewRecord(
                    ViewRecord.Kind.UPDATE,
                    start,
                    end,
                    group,
                    acc.version(),
                    mark,
                    null,
                    acc,
                    source,
                    System.currentTimeMillis());
            outputs.add(checked(new Output(key, acc.toBytes(), r.key(), r.encode(view))));
        }
        return t;
    }

    /** The output, when its records (the view's and the row store's changelog) fit in a Kafka request. */
    private Output checked(Output o) {
        long bytes = o.key().length + o.value().length;
        if (o.rowKey() != null) {
            bytes = Math.max(bytes, o.rowKey().get().length + (long) o.state().length);
        }
        if (bytes > Routed.MAX_RECORD_BYTES) {
            throw new Unprocessable(
                    null,
                    "size",
                    "the event makes a record of " + bytes + " bytes for view " + view.name() + ", more than "
                            + Routed.MAX_RECORD_BYTES + " (a group value is too long)");
        }
        return o;
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

    /** Deletes the rows of every window that closed: end + grace <= watermark. */
    private void expire() {
        WindowDef w = view.window();
        long cutoffStart = watermark - w.grace().toMillis() - w.size().toMillis();
        if (watermark == Long.MIN_VALUE) {
            return;
        }
        List<Bytes> dead = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = rows.range(
                Bytes.wrap(rowKey(Long.MIN_VALUE, new byte[0])), Bytes.wrap(rowKey(cutoffStart + 1, new byte[0])))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                if (startOf(kv.key.get()) <= cutoffStart) {
                    dead.add(kv.key);
                }
            }
        }
        for (Bytes k : dead) {
            rows.delete(k);
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
