package dev.sluice.processor.window;

import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Expression;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.processor.ParsedEvent;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.CommitWork;
import dev.sluice.processor.state.WriteBackStore;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.EventTime;
import dev.sluice.wire.Unprocessable;
import dev.sluice.wire.ViewRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * The first half of a view's aggregation, in the task of a stream partition, before any shuffle (local-global
 * aggregation): each new event is prepared (derive, filter, group, measure inputs), judged on time or late by
 * this partition's watermark, and folded into a partial accumulator per window and group kept in memory. As
 * Kafka Streams prepares each commit, every group that changed is sent once, as one {@link Partial}, to the task
 * owning the group ({@link WindowAggregate}; {@link Partial#partitionOf}), the partials for one task in one
 * bundle, inside the commit's transaction; so the shuffle carries one record per task per commit, not one per
 * event.
 *
 * <p>The watermark is the highest event time this stream partition has seen for the view (events the view
 * filters out or cannot take do not move it); it is written to its store once per commit and restored with it. A
 * window {@code [start, end)} takes an event while {@code end + grace > watermark}. An event for a window already
 * closed here is late: it goes to the stream's late topic at once (headers {@code sluice.view}), and travels in
 * its group's partial as a one-event entry with its id, which the group's task folds into the row if the row is
 * still open there, or sends to the store as a late correction.
 *
 * <p>Poison never blocks: an event is checked against every window it falls in (its values can be folded in,
 * and a new row's update would fit in a Kafka record) before anything changes; an event that fails goes to the
 * dead-letter topic unchanged, with the reason, and moves no watermark.
 */
public final class PreAggregate implements Processor<byte[], Routed, byte[], Routed> {
    private static final Bytes WATERMARK_KEY = Bytes.wrap("watermark".getBytes(StandardCharsets.UTF_8));

    private final ViewDef view;
    private final String sourceTimeField;
    private final int partitions;
    private final String watermarkStore;
    private final ComponentMetrics metrics;
    private ProcessorContext<byte[], Routed> context;
    private org.apache.kafka.streams.state.KeyValueStore<Bytes, Long> marks;
    private long watermark = Long.MIN_VALUE;
    private long storedWatermark = Long.MIN_VALUE;
    /** Groups changed since the last commit, in the order they first changed. */
    private final Map<String, GroupPartial> partials = new LinkedHashMap<>();
    /** Group keys (their JSON) of the groups seen lately: JSON-writing each event's group cost a profile 2 %. */
    private final Map<List<Object>, String> groupKeys = new java.util.HashMap<>();

    private static final int GROUP_KEYS_CACHED = 10_000;

    /** {@code topic/partition@} of this task's stream partition, once a record was read. */
    private String originPrefix;

    /**
     * @param sourceTimeField the stream's source timestamp field, or null to use the event time
     * @param partitions the partitions of the view's partials topic (the stream's)
     */
    public PreAggregate(
            ViewDef view, String sourceTimeField, int partitions, String watermarkStore, PipelineMetrics metrics) {
        this.view = view;
        this.partitions = partitions;
        this.sourceTimeField = sourceTimeField;
        this.watermarkStore = watermarkStore;
        this.metrics = metrics.view(view.name());
    }

    /** The store of this view's watermark per stream partition. */
    public static StoreBuilder<WriteBackStore<Long>> watermarkStore(String name) {
        return WriteBackStore.builder(name, LONG, 1);
    }

    static final WriteBackStore.Codec<Long> LONG = new WriteBackStore.Codec<>() {
        @Override
        public byte[] encode(Long value) {
            return ByteBuffer.allocate(8).putLong(value).array();
        }

        @Override
        public Long decode(byte[] bytes) {
            return ByteBuffer.wrap(bytes).getLong();
        }
    };

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.context = context;
        this.marks = context.getStateStore(watermarkStore);
        Long stored = marks.get(WATERMARK_KEY);
        watermark = stored == null ? Long.MIN_VALUE : stored;
        storedWatermark = watermark;
        partials.clear();
        WriteBackStore.behind(marks)
                .beforeEachCommit(CommitWork.forwarding(context, () -> watermark, this::sendPartials));
    }

    /** One group's changes in this partition since the last commit. */
    private static final class GroupPartial {
        final Map<Long, Partial.Entry> onTime = new LinkedHashMap<>();
        final List<Partial.Entry> late = new ArrayList<>();
        int events;
        long firstOffset = -1;
        long lastOffset = -1;
        long maxTime = Long.MIN_VALUE;
        byte[] firstRaw;
    }

    @Override
    public void process(Record<byte[], Routed> record) {
        ParsedEvent e = (ParsedEvent) record.value().value();
        metrics.received(1, e.raw().length);
        try {
            Map<String, Object> fields = e.fields();
            if (!view.derive().isEmpty()) {
                fields = new java.util.HashMap<>(fields); // the event's fields are shared with the other views
            }
            for (Map.Entry<String, Expression> d : view.derive().entrySet()) {
                fields.put(d.getKey(), d.getValue().eval(fields));
            }
            if (view.filter() != null && !view.filter().test(fields)) {
                metrics.discarded(ComponentMetrics.FILTERED, 1);
                return;
            }
            List<Object> group = new ArrayList<>(view.groupBy().size());
            for (String g : view.groupBy()) {
                group.add(fields.get(g));
            }
            Map<String, Object> values = new LinkedHashMap<>();
            for (MeasureDef m : view.measures()) {
                if (m.field() != null) {
                    Object x = fields.get(m.field());
                    if (x instanceof Double d && !Double.isFinite(d)) {
                        // a derived field can overflow (amount * 1e300) or divide by zero
                        throw new Unprocessable(m.field(), "finite", m.field() + ": number out of range (not finite)");
                    }
                    values.put(m.field(), x);
                }
            }
            fold(e, group, values, record);
        } catch (Exception ex) {
            deadLetter(record, e, ex);
        }
    }

    /** Checks every window of the event, then folds it in (or records it late); throws before changing anything. */
    private void fold(ParsedEvent e, List<Object> group, Map<String, Object> values, Record<byte[], Routed> record) {
        String groupKey = groupKeys.get(group);
        if (groupKey == null) {
            groupKey = ViewRecord.groupKey(group);
            if (groupKeys.size() >= GROUP_KEYS_CACHED) {
                groupKeys.clear();
            }
            groupKeys.put(group, groupKey);
        }
        GroupPartial gp = partials.get(groupKey);
        long mark = Math.max(watermark, e.time());
        WindowDef w = view.window();
        long[] starts = w == null ? new long[] {WindowAggregate.GLOBAL_START} : w.windowStarts(e.time());
        long sourceMs = sourceTime(e);
        List<Partial.Entry> late = new ArrayList<>(0);
        List<Partial.Entry> fresh = new ArrayList<>(0);
        java.math.BigDecimal[][] checked = new java.math.BigDecimal[starts.length][];
        for (int i = 0; i < starts.length; i++) {
            long start = starts[i];
            long end = w == null ? WindowAggregate.GLOBAL_END : start + w.size().toMillis();
            if (w != null && end + w.grace().toMillis() <= mark) {
                Accumulator one = new Accumulator(view.measures());
                one.add(values);
                late.add(new Partial.Entry(true, start, end, sourceMs, e.id(), one));
                continue;
            }
            Partial.Entry part = gp == null ? null : gp.onTime.get(start);
            if (part == null) {
                part = new Partial.Entry(false, start, end, sourceMs, null, new Accumulator(view.measures()));
                checkSize(start, end, groupKey, group, part.acc());
                fresh.add(part);
            }
            checked[i] = part.acc().check(values);
        }
        // every window can take the event: only now does anything change
        watermark = mark;
        if (gp == null) {
            gp = new GroupPartial();
            partials.put(groupKey, gp);
        }
        for (Partial.Entry f : fresh) {
            gp.onTime.put(f.start(), f);
        }
        for (int i = 0; i < starts.length; i++) {
            long start = starts[i];
            Partial.Entry part = gp.onTime.get(start);
            if (part != null && checked[i] != null) {
                part.acc().add(values, checked[i]);
                if (sourceMs < part.minSourceMs()) {
                    gp.onTime.put(start, new Partial.Entry(false, start, part.end(), sourceMs, null, part.acc()));
                }
            }
        }
        gp.late.addAll(late);
        gp.events++;
        gp.maxTime = Math.max(gp.maxTime, e.time());
        long offset = -1;
        var meta = context.recordMetadata();
        if (meta.isPresent()) {
            offset = meta.get().offset();
            originPrefix = meta.get().topic() + "/" + meta.get().partition() + "@";
        }
        if (gp.firstOffset < 0) {
            gp.firstOffset = offset;
            gp.firstRaw = e.raw();
        }
        gp.lastOffset = offset;
        if (!late.isEmpty()) {
            metrics.discarded(ComponentMetrics.LATE, 1);
            var headers = new org.apache.kafka.common.header.internals.RecordHeaders(
                    record.headers().toArray());
            DeadLetter.put(headers, DeadLetter.VIEW, view.name());
            context.forward(record.withKey(e.id().getBytes(StandardCharsets.UTF_8))
                    .withValue(new Routed(Routed.Target.LATE, e.raw()))
                    .withHeaders(headers));
        }
    }

    /**
     * A new row whose update record would not fit in a Kafka request (a group value too long) is refused. Its
     * size is the group's (twice: in the key and the value, at most six bytes a character escaped) plus a few hundred bytes, so the record is encoded
     * to measure it only when the group is long.
     */
    private void checkSize(long start, long end, String groupKey, List<Object> group, Accumulator acc) {
        if (12L * groupKey.length() + 16 * 1024 + WindowAggregate.STATE_ALLOWANCE < Routed.MAX_RECORD_BYTES) {
            return;
        }
        ViewRecord r = new ViewRecord(ViewRecord.Kind.UPDATE, start, end, group, 0, 0, null, acc, 0, 0);
        long bytes = r.key().length + (long) r.encode(view).length + WindowAggregate.STATE_ALLOWANCE;
        if (bytes > Routed.MAX_RECORD_BYTES) {
            throw new Unprocessable(
                    null,
                    "size",
                    "the event makes a record of " + bytes + " bytes for view " + view.name() + ", more than "
                            + Routed.MAX_RECORD_BYTES + " (a group value is too long)");
        }
    }

    /**
     * Sends each changed group's partial to the task owning the group, one bundle per task, and forgets them (run
     * as each commit is prepared).
     */
    private void sendPartials() {
        String prefix = originPrefix;
        Map<Integer, List<byte[]>> byTask = new java.util.TreeMap<>();
        Map<Integer, Long> timeByTask = new java.util.HashMap<>();
        for (Map.Entry<String, GroupPartial> g : partials.entrySet()) {
            GroupPartial gp = g.getValue();
            List<Partial.Entry> entries = new ArrayList<>(gp.onTime.values());
            entries.addAll(gp.late);
            String origin = prefix == null
                    ? null
                    : prefix
                            + (gp.firstOffset == gp.lastOffset
                                    ? "" + gp.firstOffset
                                    : gp.firstOffset + "-" + gp.lastOffset);
            Partial p = new Partial(g.getKey(), watermark, origin, gp.events, entries, null);
            byte[] value = p.encode();
            if (gp.events == 1
                    && value.length + gp.firstRaw.length + g.getKey().length() < Routed.MAX_RECORD_BYTES / 2) {
                value = new Partial(g.getKey(), watermark, origin, 1, entries, gp.firstRaw).encode();
            }
            int task = Partial.partitionOf(g.getKey(), partitions);
            byTask.computeIfAbsent(task, t -> new ArrayList<>()).add(value);
            timeByTask.merge(task, gp.maxTime, Math::max);
        }
        for (Map.Entry<Integer, List<byte[]>> t : byTask.entrySet()) {
            for (List<byte[]> part : fitting(t.getValue())) {
                context.forward(new Record<>(
                        ByteBuffer.allocate(4).putInt(t.getKey()).array(),
                        Routed.next(Partial.bundle(part)),
                        Math.max(0, timeByTask.get(t.getKey()))));
            }
        }
        partials.clear();
        if (watermark != storedWatermark) {
            marks.put(WATERMARK_KEY, watermark);
            storedWatermark = watermark;
        }
    }

    /** Partials split into bundles that each fit in a Kafka record. */
    private static List<List<byte[]>> fitting(List<byte[]> partials) {
        List<List<byte[]>> out = new ArrayList<>();
        List<byte[]> current = new ArrayList<>();
        long bytes = 0;
        for (byte[] p : partials) {
            if (!current.isEmpty() && bytes + p.length + 4 > Routed.MAX_RECORD_BYTES / 2) {
                out.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(p);
            bytes += p.length + 4;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    /** The event's source time for latency; the event time when the field is absent or unreadable. */
    private long sourceTime(ParsedEvent e) {
        Object v = sourceTimeField == null ? null : e.fields().get(sourceTimeField);
        if (v == null) {
            return e.time();
        }
        try {
            return EventTime.ofJava(v, sourceTimeField);
        } catch (RuntimeException ex) {
            return e.time();
        }
    }

    private String origin() {
        return context.recordMetadata()
                .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
                .orElse(null);
    }

    private void deadLetter(Record<byte[], Routed> record, ParsedEvent e, Exception ex) {
        metrics.error(ComponentMetrics.PROCESS);
        metrics.discarded(ComponentMetrics.INVALID, 1);
        Unprocessable u = ex instanceof Unprocessable x ? x : null;
        var headers = DeadLetter.headers(
                record.headers(),
                "process",
                view.from(),
                u == null ? null : u.field(),
                u == null ? "expression" : u.rule(),
                (ex.getMessage() == null ? ex.toString() : ex.getMessage()) + DeadLetter.tooLargeNote(e.raw()),
                origin());
        DeadLetter.put(headers, DeadLetter.VIEW, view.name());
        context.forward(record.withValue(Routed.dlq(DeadLetter.value(e.raw()))).withHeaders(headers));
    }
}
