package dev.sluice.processor.window;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.WriteBackStore;
import dev.sluice.wire.ViewRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The aggregate's own state, driven through Kafka Streams' {@link MockProcessorContext} with in-memory stores so a
 * test can set what a restart restores and fire the expiry punctuation by hand: the watermark is stored and read
 * back, and a window's row is deleted exactly when {@code end + grace <= watermark}, times before 1970 included.
 */
class WindowAggregateTest {
    static final long T0 = Instant.parse("2026-11-24T10:00:00Z").toEpochMilli();
    static final long MINUTE = 60_000;
    static final List<MeasureDef> MEASURES = List.of(
            new MeasureDef("n", MeasureDef.Kind.COUNT, null), new MeasureDef("total", MeasureDef.Kind.SUM, "amount"));

    MockProcessorContext<byte[], Routed> context;
    KeyValueStore<Bytes, Row> rows;
    KeyValueStore<String, Long> marks;

    static ViewDef view(WindowDef window) {
        return new ViewDef("v", "sales", new LinkedHashMap<>(), null, window, List.of("country"), MEASURES);
    }

    static final ViewDef MINUTES = view(WindowDef.tumbling(Duration.ofMinutes(1), Duration.ofMinutes(1)));

    @BeforeEach
    void stores() {
        context = new MockProcessorContext<>();
        rows = WriteBackStore.over(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("rows"), Serdes.Bytes(), Serdes.ByteArray())
                        .withLoggingDisabled()
                        .build(),
                Row.codec(MEASURES),
                100);
        marks = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("marks"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled()
                .build();
        rows.init(context.getStateStoreContext(), rows);
        marks.init(context.getStateStoreContext(), marks);
        context.addStateStore(rows);
        context.addStateStore(marks);
    }

    WindowAggregate start(ViewDef view) {
        WindowAggregate a = new WindowAggregate(view, "rows", "marks");
        a.init(context);
        return a;
    }

    /** The watermark of the one stream partition the tests' partials come from. */
    long senderWatermark = Long.MIN_VALUE;

    int offset;

    /**
     * One event as the partial {@link PreAggregate} sends for it when it is alone in its commit, from one stream
     * partition (offsets 0, 1, …): its window (of {@link #MINUTES}) or, for a windowless view, the global row;
     * late when that partition's watermark closed the window.
     */
    Record<byte[], byte[]> prepared(String id, long t, double amount) {
        return prepared(id, t, amount, MINUTES);
    }

    Record<byte[], byte[]> prepared(String id, long t, double amount, ViewDef view) {
        senderWatermark = Math.max(senderWatermark, t);
        dev.sluice.wire.Accumulator acc = new dev.sluice.wire.Accumulator(MEASURES);
        acc.add(java.util.Map.of("amount", amount));
        WindowDef w = view.window();
        long start = w == null ? WindowAggregate.GLOBAL_START : w.windowStarts(t)[0];
        long end = w == null ? WindowAggregate.GLOBAL_END : start + w.size().toMillis();
        boolean late = w != null && end + w.grace().toMillis() <= senderWatermark;
        byte[] raw = ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
        Partial p = new Partial(
                "[\"DE\"]",
                senderWatermark,
                "sales/0@" + offset++,
                1,
                List.of(new Partial.Entry(late, start, end, t, late ? id : null, acc)),
                raw);
        // a record's timestamp may not be negative; the aggregate reads the times from the partial
        return new Record<>("[\"DE\"]".getBytes(StandardCharsets.UTF_8), p.encode(), Math.max(0, t));
    }

    /** The view records sent so far, after a commit sent the updates rows owe. */
    List<ViewRecord> forwardedViewRecords(ViewDef view) {
        emitOwed();
        List<ViewRecord> out = new ArrayList<>();
        for (var f : context.forwarded()) {
            Routed r = f.record().value();
            if (r.target() == Routed.Target.VIEW) {
                out.add(ViewRecord.decode(view, r.bytes()));
            }
        }
        context.resetForwards();
        return out;
    }

    List<Long> storedWindowStarts() {
        List<Long> starts = new ArrayList<>();
        try (KeyValueIterator<Bytes, Row> it = rows.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, Row> kv = it.next();
                starts.add(WindowAggregate.startOf(kv.key.get()));
            }
        }
        return starts;
    }

    /** Runs the expiry (the stream-time punctuation). */
    void punctuate() {
        punctuator(PunctuationType.STREAM_TIME).getPunctuator().punctuate(0);
    }

    /** Prepares a commit as Kafka Streams does: each changed row sends its update, then the rows are saved. */
    void emitOwed() {
        ((WriteBackStore<Row>) rows).flushCache();
    }

    /** The latest aggregate's punctuator of this type (a restart in a test schedules new ones). */
    MockProcessorContext.CapturedPunctuator punctuator(PunctuationType type) {
        return context.scheduledPunctuators().stream()
                .filter(p -> p.getType() == type)
                .reduce((first, second) -> second)
                .orElseThrow();
    }

    @Test
    void theWatermarkIsStoredAndNeverGoesBack() {
        WindowAggregate a = start(MINUTES);
        a.process(prepared("a", T0 + 70_000, 1));
        assertThat(marks.get("watermark"))
                .as("written as the commit is prepared")
                .isNull();
        emitOwed();
        assertThat(marks.get("watermark")).isEqualTo(T0 + 70_000);
        List<ViewRecord> out = new ArrayList<>(forwardedViewRecords(MINUTES));
        a.process(prepared("b", T0 + 10_000, 1));
        emitOwed();
        assertThat(marks.get("watermark")).isEqualTo(T0 + 70_000);
        out.addAll(forwardedViewRecords(MINUTES));
        assertThat(out).extracting(ViewRecord::watermark).containsExactly(T0 + 70_000, T0 + 70_000);
    }

    @Test
    void aRestartReadsTheStoredWatermarkSoClosedWindowsStayClosed() {
        marks.put("watermark", T0 + 2 * MINUTE);
        WindowAggregate a = start(MINUTES);
        a.process(prepared("x", T0 + 30_000, 5));
        List<ViewRecord> out = forwardedViewRecords(MINUTES);
        assertThat(out).hasSize(1);
        assertThat(out.get(0).kind()).isEqualTo(ViewRecord.Kind.LATE);
        assertThat(out.get(0).eventId())
                .as("on time in its partition, closed here: a correction named by where its events are")
                .isEqualTo("sales/0@0");
        assertThat(out.get(0).state().results()).containsEntry("total", 5.0);
    }

    @Test
    void aLateEventStillOpenHereIsFoldedIntoTheRow() {
        WindowAggregate a = start(MINUTES);
        a.process(prepared("a", T0 + 10_000, 1));
        emitOwed();
        context.resetForwards();
        // its partition is far ahead (its watermark closed window T0) but this task has not seen that yet
        Partial ahead =
                Partial.decode(MEASURES, prepared("late", T0 + 20_000, 2).value());
        senderWatermark = Long.MIN_VALUE;
        Partial.Entry e = ahead.entries().get(0);
        byte[] late = new Partial(
                        ahead.groupKey(),
                        T0 + MINUTE + 30_000,
                        "sales/1@7",
                        1,
                        List.of(new Partial.Entry(true, e.start(), e.end(), e.minSourceMs(), "late", e.acc())),
                        ahead.raw())
                .encode();
        a.process(new Record<>("[\"DE\"]".getBytes(StandardCharsets.UTF_8), late, T0));
        List<ViewRecord> out = forwardedViewRecords(MINUTES);
        assertThat(out).extracting(ViewRecord::kind).containsExactly(ViewRecord.Kind.UPDATE);
        assertThat(out.get(0).version()).isEqualTo(2);
        assertThat(out.get(0).state().results()).containsEntry("total", 3.0);
    }

    @Test
    void aPartialThatWouldTakeASumOutOfRangeChangesNoRow() {
        WindowAggregate a = start(MINUTES);
        a.process(prepared("big", T0 + 10_000, 1.5e308));
        emitOwed();
        context.resetForwards();
        Record<byte[], byte[]> poison = prepared("p", T0 + 20_000, 1e308);
        a.process(poison);
        emitOwed();
        var forwarded = context.forwarded();
        assertThat(forwarded).hasSize(1);
        assertThat(forwarded.get(0).record().value().target()).isEqualTo(Routed.Target.DLQ);
        assertThat(forwarded.get(0).record().value().bytes())
                .as("a partial of one event is dead-lettered as the event")
                .isEqualTo("{\"id\":\"p\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(dev.sluice.wire.DeadLetter.get(
                        forwarded.get(0).record().headers(), dev.sluice.wire.DeadLetter.REASON))
                .isEqualTo("sum(amount): adding 1.0E308 (1 event) takes the sum beyond the range of a double");
        context.resetForwards();
        a.process(prepared("small", T0 + 30_000, 1));
        assertThat(forwardedViewRecords(MINUTES))
                .extracting(ViewRecord::version)
                .containsExactly(2L);
    }

    @Test
    void aRestartReadsTheStoredWatermarkSoOpenWindowsStayOpen() {
        marks.put("watermark", T0 + 2 * MINUTE - 1);
        WindowAggregate a = start(MINUTES);
        a.process(prepared("x", T0 + 30_000, 5));
        List<ViewRecord> out = forwardedViewRecords(MINUTES);
        assertThat(out).extracting(ViewRecord::kind).containsExactly(ViewRecord.Kind.UPDATE);
        assertThat(out.get(0).version()).isEqualTo(1);
        assertThat(out.get(0).watermark()).isEqualTo(T0 + 2 * MINUTE - 1);
    }

    @Test
    void expiryRunsEveryThirtySecondsOfStreamTimeForWindowedViewsOnly() {
        start(MINUTES);
        assertThat(context.scheduledPunctuators())
                .extracting(MockProcessorContext.CapturedPunctuator::getType)
                .containsExactly(PunctuationType.STREAM_TIME);
        assertThat(punctuator(PunctuationType.STREAM_TIME).getInterval()).isEqualTo(Duration.ofSeconds(30));

        stores();
        start(view(null));
        assertThat(context.scheduledPunctuators()).isEmpty();
    }

    @Test
    void aRowIsDeletedExactlyWhenItsWindowEndPlusGraceReachesTheWatermark() {
        WindowAggregate a = start(MINUTES);
        a.process(prepared("a", T0 + 10_000, 1)); // window T0, closes at watermark T0+2m
        a.process(prepared("b", T0 + 70_000, 1)); // window T0+1m, closes at T0+3m
        a.process(prepared("c", T0 + 2 * MINUTE - 1, 1)); // window T0+1m; watermark one ms before T0 closes
        punctuate();
        assertThat(storedWindowStarts()).containsExactly(T0, T0 + MINUTE);

        a.process(prepared("d", T0 + 2 * MINUTE, 1)); // watermark T0+2m: window T0 is closed
        punctuate();
        assertThat(storedWindowStarts()).containsExactly(T0 + MINUTE, T0 + 2 * MINUTE);
    }

    @Test
    void windowsBefore1970ExpireInTimeOrderToo() {
        WindowAggregate a = start(MINUTES);
        a.process(prepared("a", -90_000, 1)); // window -2m
        a.process(prepared("b", -30_000, 1)); // window -1m
        a.process(prepared("c", 10_000, 1)); // window 0
        a.process(prepared("d", 59_999, 1)); // watermark: window -2m closed at 0, window -1m closes at 1m
        punctuate();
        assertThat(storedWindowStarts()).containsExactly(-MINUTE, 0L);

        a.process(prepared("e", 60_000, 1)); // window -1m closes (end 0 + grace 1m)
        punctuate();
        assertThat(storedWindowStarts()).containsExactly(0L, MINUTE);
    }

    @Test
    void nothingExpiresBeforeTheFirstEvent() {
        byte[] group = "[\"DE\"]".getBytes(StandardCharsets.UTF_8);
        rows.put(
                Bytes.wrap(WindowAggregate.rowKey(T0, group)),
                new Row(T0, T0 + MINUTE, "[\"DE\"]", new dev.sluice.wire.Accumulator(MEASURES)));
        start(MINUTES);
        punctuate();
        assertThat(storedWindowStarts()).containsExactly(T0);
    }

    @Test
    void rowKeysSortByWindowStartAcrossTheEpoch() {
        byte[] g = "[\"DE\"]".getBytes(StandardCharsets.UTF_8);
        List<Long> starts = List.of(Long.MIN_VALUE, -MINUTE, -1L, 0L, 1L, T0, Long.MAX_VALUE);
        for (int i = 1; i < starts.size(); i++) {
            Bytes lower = Bytes.wrap(WindowAggregate.rowKey(starts.get(i - 1), g));
            Bytes higher = Bytes.wrap(WindowAggregate.rowKey(starts.get(i), new byte[0]));
            assertThat(lower.compareTo(higher))
                    .as("%d < %d", starts.get(i - 1), starts.get(i))
                    .isNegative();
        }
        for (long s : starts) {
            assertThat(WindowAggregate.startOf(WindowAggregate.rowKey(s, g))).isEqualTo(s);
        }
        byte[] key = WindowAggregate.rowKey(0, g);
        assertThat(key).hasSize(8 + g.length);
        assertThat(key[0]).isEqualTo((byte) 0x80);
        assertThat(new String(key, 8, g.length, StandardCharsets.UTF_8)).isEqualTo("[\"DE\"]");
    }

    @Test
    void aRecordTheAggregateCannotReadIsDeadLetteredAndCounted() {
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        WindowAggregate a =
                new WindowAggregate(MINUTES, "rows", "marks", new dev.sluice.kafka.metrics.PipelineMetrics(registry));
        a.init(context);
        byte[] garbage = "{\"id\":\"a\"}".getBytes(StandardCharsets.UTF_8);
        a.process(new Record<>(new byte[0], garbage, T0));
        a.process(prepared("b", T0, 1));
        emitOwed();
        var forwarded = context.forwarded();
        assertThat(forwarded).hasSize(2);
        assertThat(forwarded.get(0).record().value().target()).isEqualTo(Routed.Target.DLQ);
        assertThat(forwarded.get(0).record().value().bytes()).isEqualTo(garbage);
        assertThat(forwarded.get(1).record().value().target()).isEqualTo(Routed.Target.VIEW);
        var tags = new String[] {"component", "view", "name", "v"};
        assertThat(registry.get("sluice.errors")
                        .tags(tags)
                        .tag("stage", "process")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get("sluice.events.emitted").tags(tags).counter().count())
                .isEqualTo(1);
        assertThat(registry.get("sluice.events.discarded")
                        .tags(tags)
                        .tag("reason", "invalid")
                        .counter()
                        .count())
                .isEqualTo(1);
        var timer = registry.get("sluice.view.processing").tag("view", "v").timer();
        assertThat(timer.count()).isEqualTo(2);
        assertThat(timer.max(java.util.concurrent.TimeUnit.SECONDS))
                .as("each event's time, not a clock reading")
                .isLessThan(60);
    }

    @Test
    void anUpdateOwedWhenTheProcessDiedIsSentAfterTheRestart() {
        WindowAggregate a = start(MINUTES);
        a.process(prepared("a", T0 + 10_000, 4));
        // the commit saved the row; the process died before the punctuation sent its update
        rows.commit(java.util.Map.of());
        context.resetForwards();
        rows.init(context.getStateStoreContext(), rows); // the restart: only what was committed is there
        start(MINUTES);
        List<ViewRecord> out = forwardedViewRecords(MINUTES);
        assertThat(out).extracting(ViewRecord::kind).containsExactly(ViewRecord.Kind.UPDATE);
        assertThat(out.get(0).version()).isEqualTo(1);
        assertThat(out.get(0).state().results()).containsEntry("total", 4.0);
        rows.commit(java.util.Map.of());
        rows.init(context.getStateStoreContext(), rows);
        WindowAggregate again = start(MINUTES);
        assertThat(forwardedViewRecords(MINUTES))
                .as("sent once: the row stored that it was sent")
                .isEmpty();
        again.process(prepared("b", T0 + 20_000, 1));
        assertThat(forwardedViewRecords(MINUTES))
                .extracting(ViewRecord::version)
                .containsExactly(2L);
    }

    @Test
    void aRowsOwedUpdateGoesOutBeforeALateDeltaForIt() {
        WindowAggregate a = start(MINUTES);
        a.process(prepared("a", T0 + 10_000, 1)); // window T0, owes its update
        a.process(prepared("b", T0 + 2 * MINUTE, 1)); // watermark closes window T0 (row not yet expired)
        a.process(prepared("c", T0 + 20_000, 1)); // late for window T0
        List<ViewRecord> viewRecords = new ArrayList<>();
        for (var f : context.forwarded()) {
            if (f.record().value().target() == Routed.Target.VIEW) {
                viewRecords.add(ViewRecord.decode(MINUTES, f.record().value().bytes()));
            }
        }
        assertThat(viewRecords)
                .as("window T0's update (version 1) precedes its late delta, before any punctuation")
                .extracting(r -> r.kind() + "@" + r.windowStart())
                .containsExactly("UPDATE@" + T0, "LATE@" + T0);
        assertThat(viewRecords.get(0).version()).isEqualTo(1);
    }

    @Test
    void aWindowlessRowIsNeverLate() {
        ViewDef total = view(null);
        WindowAggregate a = start(total);
        a.process(prepared("a", T0 + 365L * 24 * 3600 * 1000, 1, total));
        a.process(prepared("b", 0, 2, total));
        List<ViewRecord> out = forwardedViewRecords(total);
        assertThat(out)
                .as("both events within one commit: one update of the row")
                .extracting(ViewRecord::kind)
                .containsExactly(ViewRecord.Kind.UPDATE);
        ViewRecord last = out.get(0);
        assertThat(last.windowStart()).isEqualTo(WindowAggregate.GLOBAL_START);
        assertThat(last.windowEnd()).isEqualTo(253402300799999L);
        assertThat(last.version()).isEqualTo(2);
        assertThat(last.state().results()).containsEntry("n", 2L).containsEntry("total", 3.0);
    }
}
