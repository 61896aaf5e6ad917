package dev.sluice.processor.window;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Expression;
import dev.sluice.pipeline.Expressions;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.processor.ParsedEvent;
import dev.sluice.processor.Routed;
import dev.sluice.processor.state.WriteBackStore;
import dev.sluice.wire.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The first half of a view's aggregation, in one stream partition's task, driven through Kafka Streams'
 * {@link MockProcessorContext} with an in-memory watermark store: what one commit sends (one partial per changed
 * group, one bundle per owning task, with the events' offsets, the partition's watermark and, for a one-event
 * partial, the event), lateness judged by this partition's watermark, late events to the late topic at once, and
 * poison dead-lettered without moving anything.
 */
class PreAggregateTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long T0 = Instant.parse("2026-11-24T10:00:00Z").toEpochMilli();
    static final long MINUTE = 60_000;
    static final List<MeasureDef> MEASURES = List.of(
            new MeasureDef("n", MeasureDef.Kind.COUNT, null), new MeasureDef("total", MeasureDef.Kind.SUM, "amount"));
    static final Bytes WATERMARK = Bytes.wrap("watermark".getBytes(StandardCharsets.UTF_8));

    static ViewDef view(Map<String, Expression> derive, Expression filter, List<MeasureDef> measures) {
        return view("v", derive, filter, measures);
    }

    static ViewDef view(String name, Map<String, Expression> derive, Expression filter, List<MeasureDef> measures) {
        return new ViewDef(
                name,
                "sales",
                derive,
                filter,
                WindowDef.tumbling(Duration.ofMinutes(1), Duration.ofMinutes(1)),
                List.of("country"),
                measures);
    }

    static final ViewDef MINUTES = view(new LinkedHashMap<>(), null, MEASURES);

    /** The watermark store's committed contents (what its changelog holds), and how often it was written. */
    KeyValueStore<Bytes, byte[]> committed;

    int watermarkWrites;
    WriteBackStore<Long> marks;
    MockProcessorContext<byte[], Routed> context;
    List<MeasureDef> measures = MEASURES;

    @BeforeEach
    void freshStore() {
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore("marks"), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
        committed = counting(store);
        context = new MockProcessorContext<>();
        committed.init(context.getStateStoreContext(), committed);
    }

    /** The store, counting the writes that reach it. */
    @SuppressWarnings("unchecked")
    KeyValueStore<Bytes, byte[]> counting(KeyValueStore<Bytes, byte[]> store) {
        return (KeyValueStore<Bytes, byte[]>) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("put")) {
                        watermarkWrites++;
                    } else if (method.getName().equals("putAll")) {
                        watermarkWrites += ((List<?>) args[0]).size();
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** A task start (or restart) over what the watermark store committed. */
    PreAggregate start(ViewDef view, String sourceTimeField, int partitions) {
        context = new MockProcessorContext<>();
        marks = WriteBackStore.over(committed, PreAggregate.LONG, 1);
        context.addStateStore(marks);
        measures = view.measures();
        PreAggregate p = new PreAggregate(view, sourceTimeField, partitions, "marks", PipelineMetrics.none());
        p.init(context);
        return p;
    }

    PreAggregate start() {
        return start(MINUTES, null, 1);
    }

    static String event(String id, long t, String country, double amount) {
        return "{\"id\":\"" + id + "\",\"t\":" + t + ",\"country\":\"" + country + "\",\"amount\":" + amount + "}";
    }

    /** Processes the event as the record at {@code offset} of partition 2 of the stream topic. */
    void read(PreAggregate p, long offset, String json) {
        context.setRecordMetadata("shop.sales", 2, offset);
        process(p, json);
    }

    /** Processes the event as a hand-made record, not read from a topic. */
    static void process(PreAggregate p, String json) {
        try {
            ParsedEvent e = ParsedEvent.parse(json.getBytes(StandardCharsets.UTF_8), "id", "t");
            p.process(new Record<>(e.id().getBytes(StandardCharsets.UTF_8), Routed.next(e), Math.max(0, e.time())));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Kafka Streams prepares a commit: the partials go out, then the watermark is written back. */
    void commit() {
        marks.flushCache();
    }

    /** A record on the partials topic: the task it is for, its timestamp and the partials of its bundle. */
    record Sent(int task, long timestamp, List<Partial> partials) {}

    /** The partial records forwarded since the last call. */
    List<Sent> sent() {
        List<Sent> out = new ArrayList<>();
        for (var f : context.forwarded()) {
            Routed r = f.record().value();
            if (r.target() != Routed.Target.NEXT) {
                continue;
            }
            List<Partial> ps = Partial.unbundle(r.bytes()).stream()
                    .map(b -> Partial.decode(measures, b))
                    .toList();
            out.add(new Sent(
                    ByteBuffer.wrap(f.record().key()).getInt(), f.record().timestamp(), ps));
        }
        context.resetForwards();
        return out;
    }

    List<Record<byte[], Routed>> forwarded(Routed.Target target) {
        List<Record<byte[], Routed>> out = new ArrayList<>();
        for (var f : context.forwarded()) {
            if (f.record().value().target() == target) {
                out.add(new Record<>(
                        f.record().key(),
                        f.record().value(),
                        f.record().timestamp(),
                        f.record().headers()));
            }
        }
        return out;
    }

    static String describe(Partial.Entry e) {
        return (e.late() ? "late " + e.eventId() + " " : "") + "[" + (e.start() - T0) / 1000 + "s,"
                + (e.end() - T0) / 1000 + "s) " + e.acc().results();
    }

    @Test
    void aCommitSendsOnePartialPerChangedGroupWithItsWindowsAndWhereItsEventsAre() {
        PreAggregate p = start();
        read(p, 10, event("a", T0 + 10_000, "DE", 1.5));
        read(p, 11, event("b", T0 + 20_000, "FR", 2));
        read(p, 12, event("c", T0 + 70_000, "DE", 4));
        read(p, 13, event("d", T0 + 15_000, "DE", 3));
        assertThat(sent()).as("nothing before the commit").isEmpty();
        commit();
        List<Sent> out = sent();
        assertThat(out).as("one record for the one task").hasSize(1);
        assertThat(out.get(0).task()).isZero();
        assertThat(out.get(0).timestamp()).as("the newest event time in it").isEqualTo(T0 + 70_000);
        List<Partial> ps = out.get(0).partials();
        assertThat(ps).extracting(Partial::groupKey).containsExactly("[\"DE\"]", "[\"FR\"]");

        Partial de = ps.get(0);
        assertThat(de.events()).isEqualTo(3);
        assertThat(de.origin()).isEqualTo("shop.sales/2@10-13");
        assertThat(de.senderWatermark()).isEqualTo(T0 + 70_000);
        assertThat(de.raw()).as("three events: no event to carry").isNull();
        assertThat(de.entries())
                .extracting(PreAggregateTest::describe)
                .containsExactly("[0s,60s) {n=2, total=4.5}", "[60s,120s) {n=1, total=4.0}");
        assertThat(de.entries()).extracting(Partial.Entry::minSourceMs).containsExactly(T0 + 10_000, T0 + 70_000);

        Partial fr = ps.get(1);
        assertThat(fr.events()).isEqualTo(1);
        assertThat(fr.origin()).as("one event: its offset alone").isEqualTo("shop.sales/2@11");
        assertThat(fr.senderWatermark()).isEqualTo(T0 + 70_000);
        assertThat(fr.raw())
                .as("a one-event partial carries the event, to be dead-lettered as itself")
                .isEqualTo(event("b", T0 + 20_000, "FR", 2).getBytes(StandardCharsets.UTF_8));
        assertThat(fr.entries()).extracting(PreAggregateTest::describe).containsExactly("[0s,60s) {n=1, total=2.0}");

        commit();
        assertThat(sent()).as("a commit with nothing new sends nothing").isEmpty();
        read(p, 14, event("e", T0 + 30_000, "FR", 1));
        commit();
        List<Sent> next = sent();
        assertThat(next).hasSize(1);
        assertThat(next.get(0).partials()).extracting(Partial::groupKey).containsExactly("[\"FR\"]");
        assertThat(next.get(0).partials().get(0).origin()).isEqualTo("shop.sales/2@14");
        assertThat(next.get(0).partials().get(0).entries())
                .extracting(PreAggregateTest::describe)
                .as("only what changed since the last commit")
                .containsExactly("[0s,60s) {n=1, total=1.0}");
    }

    @Test
    void theFirstOffsetOfAPartitionCountsInTheOrigin() {
        PreAggregate p = start();
        read(p, 0, event("a", T0, "DE", 1));
        read(p, 1, event("b", T0, "DE", 1));
        commit();
        assertThat(sent().get(0).partials().get(0).origin()).isEqualTo("shop.sales/2@0-1");
    }

    @Test
    void eventsNotReadFromATopicHaveNoOrigin() {
        PreAggregate p = start();
        process(p, event("a", T0, "DE", 1));
        commit();
        Partial only = sent().get(0).partials().get(0);
        assertThat(only.origin()).isNull();
        assertThat(only.events()).isEqualTo(1);
    }

    @Test
    void eachGroupGoesToTheTaskOwningItOneRecordPerTaskInTaskOrder() {
        PreAggregate p = start(MINUTES, null, 4);
        List<String> countries = List.of("DE", "FR", "IT", "ES", "PL", "NL", "SE", "AT");
        long offset = 0;
        for (String c : countries) {
            read(p, offset, event("e" + offset, T0 + offset * 1000, c, 1));
            offset++;
        }
        commit();
        List<Sent> out = sent();
        Map<Integer, List<String>> expected = new java.util.TreeMap<>();
        Map<Integer, Long> newest = new java.util.TreeMap<>();
        for (int i = 0; i < countries.size(); i++) {
            String key = "[\"" + countries.get(i) + "\"]";
            int task = Partial.partitionOf(key, 4);
            expected.computeIfAbsent(task, t -> new ArrayList<>()).add(key);
            newest.merge(task, T0 + i * 1000L, Math::max);
        }
        assertThat(expected).as("the groups spread over more than one task").hasSizeGreaterThan(1);
        assertThat(out).extracting(Sent::task).containsExactlyElementsOf(expected.keySet());
        for (Sent s : out) {
            assertThat(s.partials()).extracting(Partial::groupKey).containsExactlyElementsOf(expected.get(s.task()));
            assertThat(s.timestamp()).isEqualTo(newest.get(s.task()));
        }
    }

    @Test
    void anEventForAWindowThisPartitionClosedGoesToTheLateTopicAndTravelsAlone() {
        PreAggregate p = start();
        read(p, 0, event("a", T0 + 10_000, "DE", 1));
        read(p, 1, event("b", T0 + 2 * MINUTE - 1, "DE", 2)); // window [0s,60s) still open: 1 ms to go
        read(p, 2, event("c", T0 + 20_000, "DE", 4));
        assertThat(forwarded(Routed.Target.LATE)).isEmpty();
        read(p, 3, event("w", T0 + 2 * MINUTE, "DE", 8)); // end + grace == watermark: closed
        read(p, 4, event("late", T0 + 30_000, "DE", 16));

        List<Record<byte[], Routed>> late = forwarded(Routed.Target.LATE);
        assertThat(late).hasSize(1);
        assertThat(new String(late.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("late");
        assertThat(late.get(0).value().bytes())
                .isEqualTo(event("late", T0 + 30_000, "DE", 16).getBytes(StandardCharsets.UTF_8));
        assertThat(DeadLetter.get(late.get(0).headers(), DeadLetter.VIEW)).isEqualTo("v");

        commit();
        Partial de = sent().get(0).partials().get(0);
        assertThat(de.events()).isEqualTo(5);
        assertThat(de.origin()).isEqualTo("shop.sales/2@0-4");
        assertThat(de.senderWatermark()).isEqualTo(T0 + 2 * MINUTE);
        assertThat(de.entries())
                .extracting(PreAggregateTest::describe)
                .as("the late event is not also in its window's on-time share")
                .containsExactly(
                        "[0s,60s) {n=2, total=5.0}",
                        "[60s,120s) {n=1, total=2.0}",
                        "[120s,180s) {n=1, total=8.0}",
                        "late late [0s,60s) {n=1, total=16.0}");
    }

    @Test
    void anEntrysSourceTimeIsTheEarliestOfItsEvents() {
        PreAggregate p = start(MINUTES, "src", 1);
        read(p, 0, "{\"id\":\"a\",\"t\":" + (T0 + 50_000) + ",\"src\":" + (T0 + 5_000) + ",\"country\":\"DE\"}");
        read(p, 1, "{\"id\":\"b\",\"t\":" + (T0 + 50_000) + ",\"src\":" + (T0 + 1_000) + ",\"country\":\"DE\"}");
        read(p, 2, "{\"id\":\"c\",\"t\":" + (T0 + 50_000) + ",\"src\":" + (T0 + 3_000) + ",\"country\":\"DE\"}");
        read(p, 3, "{\"id\":\"d\",\"t\":" + (T0 + 65_000) + ",\"country\":\"DE\"}");
        read(p, 4, "{\"id\":\"e\",\"t\":" + (T0 + 130_000) + ",\"src\":\"yesterday\",\"country\":\"DE\"}");
        commit();
        assertThat(sent().get(0).partials().get(0).entries())
                .extracting(Partial.Entry::minSourceMs)
                .as("the earliest source time; the event time when it is absent or unreadable")
                .containsExactly(T0 + 1_000, T0 + 65_000, T0 + 130_000);
    }

    @Test
    void theWatermarkIsWrittenOncePerCommitWhenItMovedAndARestartKeepsClosedWindowsClosed() {
        PreAggregate p = start();
        read(p, 0, event("a", T0 + 2 * MINUTE, "DE", 1));
        read(p, 1, event("b", T0 + 70_000, "DE", 1));
        assertThat(committed.get(WATERMARK))
                .as("written as the commit is prepared")
                .isNull();
        commit();
        assertThat(ByteBuffer.wrap(committed.get(WATERMARK)).getLong()).isEqualTo(T0 + 2 * MINUTE);
        assertThat(watermarkWrites).isEqualTo(1);
        read(p, 2, event("c", T0 + 90_000, "DE", 1)); // does not move it
        commit();
        commit();
        assertThat(watermarkWrites).as("nothing written while it stands still").isEqualTo(1);
        sent();

        PreAggregate again = start(); // a restart: the stored watermark closes window [0s,60s) here
        read(again, 3, event("x", T0 + 30_000, "DE", 1));
        assertThat(forwarded(Routed.Target.LATE)).hasSize(1);
        commit();
        Partial x = sent().get(0).partials().get(0);
        assertThat(x.senderWatermark()).isEqualTo(T0 + 2 * MINUTE);
        assertThat(x.entries())
                .extracting(PreAggregateTest::describe)
                .containsExactly("late x [0s,60s) {n=1, total=1.0}");
        assertThat(watermarkWrites).isEqualTo(1);
    }

    @Test
    void aTaskRevivedAfterACrashForgetsThePartialsOfTheAbortedTransaction() {
        PreAggregate p = start();
        read(p, 0, event("a", T0, "DE", 1));
        commit();
        sent();
        read(p, 1, event("b", T0 + 1000, "FR", 2)); // its transaction never commits
        marks.clearCache();
        p.init(context); // Kafka Streams revives the task with the same processor
        read(p, 1, event("b", T0 + 1000, "FR", 2)); // read again from the committed offset
        commit();
        List<Sent> out = sent();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).partials()).hasSize(1);
        assertThat(out.get(0).partials().get(0).events()).as("b counted once").isEqualTo(1);
        assertThat(out.get(0).partials().get(0).origin()).isEqualTo("shop.sales/2@1");
    }

    @Test
    void aDerivedValueOutOfRangeIsDeadLetteredAndMovesNothing() throws Exception {
        var vars = Expressions.variablesOf(dev.sluice.processor.topology.SalesTopology.sales(Duration.ofHours(1))
                .schema());
        Map<String, Expression> derive = new LinkedHashMap<>();
        derive.put("big", Expressions.compile("amount * 1e308", vars));
        ViewDef v = view(derive, null, List.of(new MeasureDef("total", MeasureDef.Kind.SUM, "big")));
        PreAggregate p = start(v, null, 1);
        read(p, 7, event("poison", T0 + 5 * MINUTE, "DE", 10));
        List<Record<byte[], Routed>> dlq = forwarded(Routed.Target.DLQ);
        assertThat(dlq).hasSize(1);
        Headers h = dlq.get(0).headers();
        assertThat(dlq.get(0).value().bytes())
                .isEqualTo(event("poison", T0 + 5 * MINUTE, "DE", 10).getBytes(StandardCharsets.UTF_8));
        assertThat(DeadLetter.get(h, DeadLetter.RULE)).isEqualTo("finite");
        assertThat(DeadLetter.get(h, DeadLetter.FIELD)).isEqualTo("big");
        assertThat(DeadLetter.get(h, DeadLetter.REASON)).isEqualTo("big: number out of range (not finite)");
        assertThat(DeadLetter.get(h, DeadLetter.STAGE)).isEqualTo("process");
        assertThat(DeadLetter.get(h, DeadLetter.STREAM)).isEqualTo("sales");
        assertThat(DeadLetter.get(h, DeadLetter.VIEW)).isEqualTo("v");
        assertThat(DeadLetter.get(h, DeadLetter.ORIGIN)).isEqualTo("shop.sales/2@7");
        context.resetForwards();
        read(p, 8, event("ok", T0 + 10_000, "DE", 1e-300));
        commit();
        Partial ok = sent().get(0).partials().get(0);
        assertThat(ok.events()).isEqualTo(1);
        assertThat(ok.senderWatermark())
                .as("the poison moved no watermark: the window is still open")
                .isEqualTo(T0 + 10_000);
        assertThat(ok.entries()).extracting(Partial.Entry::late).containsExactly(false);
    }

    @Test
    void aFailureWithoutAMessageIsDeadLetteredWithItsName() {
        Expression broken = new Expression() {
            @Override
            public String source() {
                return "broken";
            }

            @Override
            public Object eval(Map<String, Object> fields) {
                throw new IllegalStateException();
            }
        };
        PreAggregate p = start(view(new LinkedHashMap<>(), broken, MEASURES), null, 1);
        read(p, 3, event("a", T0, "DE", 1));
        List<Record<byte[], Routed>> dlq = forwarded(Routed.Target.DLQ);
        assertThat(dlq).hasSize(1);
        Headers h = dlq.get(0).headers();
        assertThat(DeadLetter.get(h, DeadLetter.REASON)).isEqualTo("java.lang.IllegalStateException");
        assertThat(DeadLetter.get(h, DeadLetter.RULE)).isEqualTo("expression");
        assertThat(DeadLetter.get(h, DeadLetter.FIELD)).isNull();
        commit();
        assertThat(sent()).isEmpty();
    }

    static String group(int length) {
        return "x".repeat(length);
    }

    /** Reads one event of a group {@code length} characters long; returns the dead-letter reason, null if none. */
    String readGroupOf(PreAggregate p, long offset, int length) {
        context.resetForwards();
        read(p, offset, event("g" + offset, T0, group(length), 1));
        List<Record<byte[], Routed>> dlq = forwarded(Routed.Target.DLQ);
        return dlq.isEmpty() ? null : DeadLetter.get(dlq.get(0).headers(), DeadLetter.REASON);
    }

    @Test
    void aNewRowWhoseUpdateWouldNotFitAKafkaRecordIsRefused() {
        // the view's name (in the update's value) makes the record's fixed part even, so the limit can be hit exactly
        PreAggregate p = start(view("vw", new LinkedHashMap<>(), null, MEASURES), null, 1);
        assertThat(readGroupOf(p, 0, 600_000))
                .isEqualTo("the event makes a record of 1265980 bytes for view vw, more than 1000000 (a group value is"
                        + " too long)");
        // each character of the group is in the update's key and its value: two bytes
        assertThat(readGroupOf(p, 1, 600_001)).contains("a record of 1265982 bytes");
        int exact = (1_000_000 - (1_265_980 - 2 * 600_000)) / 2;
        assertThat(readGroupOf(p, 2, exact))
                .as("a record of exactly the limit fits")
                .isNull();
        assertThat(readGroupOf(p, 3, exact + 1))
                .isEqualTo("the event makes a record of 1000002 bytes for view vw, more than 1000000 (a group value is"
                        + " too long)");
        assertThat(readGroupOf(p, 4, 60_000))
                .as("a group of 60,000 characters is far from the limit")
                .isNull();
        commit();
        assertThat(sent().stream().flatMap(r -> r.partials().stream()))
                .extracting(Partial::groupKey)
                .as("the groups that fit are counted")
                .containsExactly("[\"" + group(exact) + "\"]", "[\"" + group(60_000) + "\"]");
    }

    @Test
    void aOneEventPartialCarriesTheEventOnlyWhenAllOfItFitsHalfARecord() {
        PreAggregate p = start();
        read(p, 0, event("big", T0, group(200_000), 1));
        commit();
        Partial big = sent().get(0).partials().get(0);
        assertThat(big.events()).isEqualTo(1);
        assertThat(big.raw())
                .as("partial, event and key together over half a record")
                .isNull();
    }

    /** The bytes of the one partial a commit sends for one event of a group {@code length} characters long. */
    int partialSize(int length) {
        PreAggregate p = start();
        read(p, 0, event("probe", T0, group(length), 1));
        commit();
        List<Sent> out = sent();
        return out.get(0).partials().get(0).encode().length;
    }

    /** The records one commit sends for one event in each of two groups of these lengths, all for one task. */
    List<Sent> twoGroups(int length1, int length2) {
        PreAggregate p = start();
        read(p, 0, event("a", T0, group(length1), 1));
        read(p, 1, event("b", T0, "y".repeat(length2), 1));
        commit();
        return sent();
    }

    @Test
    void aTasksPartialsAreSplitIntoBundlesOfAtMostHalfARecord() {
        int s1 = partialSize(250_000);
        int perChar = partialSize(250_001) - s1;
        assertThat(perChar).isEqualTo(1);
        // a bundle holds 4 bytes of length per partial: two partials of s1 and s2 bytes fill half a record exactly
        int s2 = 500_000 - 8 - s1;
        int length2 = 250_000 + (s2 - s1);
        assertThat(twoGroups(250_000, length2))
                .as("exactly half a record: one bundle")
                .extracting(r -> r.partials().size())
                .containsExactly(2);
        assertThat(twoGroups(250_000, length2 + 1))
                .as("one byte more: two bundles, in the order the groups changed")
                .extracting(r -> r.partials().get(0).groupKey().substring(0, 3))
                .containsExactly("[\"x", "[\"y");
        PreAggregate p = start();
        for (int i = 0; i < 3; i++) {
            read(p, i, event("e" + i, T0, String.valueOf(i).repeat(200_000), 1));
        }
        commit();
        assertThat(sent())
                .extracting(r -> r.partials().size())
                .as("three partials of 200 kB: two in the first bundle, one in the second")
                .containsExactly(2, 1);
    }

    @Test
    void aPartialLargerThanHalfARecordGoesAloneInItsBundle() {
        PreAggregate p = start();
        read(p, 0, event("first", T0 + 2 * MINUTE, group(460_000), 1));
        for (int i = 1; i <= 300; i++) {
            read(p, i, event("late-" + "i".repeat(200) + i, T0 + 10_000, group(460_000), 1));
        }
        assertThat(forwarded(Routed.Target.LATE)).hasSize(300);
        context.resetForwards();
        commit();
        List<Sent> out = sent();
        assertThat(out).hasSize(1);
        assertThat(out.get(0).partials()).hasSize(1);
        Partial only = out.get(0).partials().get(0);
        assertThat(only.encode().length).isGreaterThan(500_000);
        assertThat(only.events()).isEqualTo(301);
        assertThat(only.entries()).hasSize(301);
    }
}
