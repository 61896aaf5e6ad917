package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.SalesTopology.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.Expression;
import dev.sluice.pipeline.Expressions;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.ViewRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/semantics.md rules 3 and 4 at their boundaries, on the whole processor topology: the dedup horizon, the
 * exact moment a window closes ({@code end + grace == watermark}), hopping windows that are late for one window and
 * not the other, late copies once per view, windowless views, derived fields and filters, and the counts the
 * processor reports in its metrics.
 */
class WindowSemanticsTest {
    static final long MINUTE = 60_000;
    static final List<MeasureDef> COUNT_AND_SUM = List.of(
            new MeasureDef("n", MeasureDef.Kind.COUNT, null), new MeasureDef("total", MeasureDef.Kind.SUM, "amount"));

    @TempDir
    Path stateDir;

    static ViewDef byCountry(String name, WindowDef window) {
        return new ViewDef(name, "sales", new LinkedHashMap<>(), null, window, List.of("country"), COUNT_AND_SUM);
    }

    static final ViewDef MINUTES =
            byCountry("minutes", WindowDef.tumbling(Duration.ofMinutes(1), Duration.ofMinutes(1)));

    SalesTopology run(ViewDef... views) {
        return new SalesTopology(stateDir, Duration.ofHours(1), views);
    }

    static String id(TestRecord<byte[], byte[]> r) {
        try {
            return SalesTopology.JSON.readTree(r.value()).get("id").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aWindowTakesEventsUntilTheWatermarkReachesItsEndPlusGrace() throws Exception {
        try (SalesTopology s = run(MINUTES)) {
            s.send("a", T0 + 10_000, "DE", 1);
            s.send("w1", T0 + 2 * MINUTE - 1, "DE", 100); // watermark one ms short of T0 + 1m + 1m
            s.send("b", T0 + 59_999, "DE", 2); // the window's last millisecond: still open
            s.send("w2", T0 + 2 * MINUTE, "DE", 100); // watermark == end + grace: closed
            s.send("c", T0, "DE", 4);

            List<ViewRecord> out = s.view("minutes");
            assertThat(out)
                    .extracting(ViewRecord::kind, ViewRecord::windowStart, ViewRecord::version)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0, 1L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0 + MINUTE, 1L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0, 2L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0 + 2 * MINUTE, 1L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.LATE, T0, 1L));
            assertThat(out.get(2).state().results()).containsEntry("n", 2L).containsEntry("total", 3.0);
            assertThat(out.get(2).windowEnd()).isEqualTo(T0 + MINUTE);
            assertThat(out.get(2).watermark()).isEqualTo(T0 + 2 * MINUTE - 1);
            ViewRecord delta = out.get(4);
            assertThat(delta.eventId()).isEqualTo("c");
            assertThat(delta.windowEnd()).isEqualTo(T0 + MINUTE);
            assertThat(delta.state().results()).containsEntry("n", 1L).containsEntry("total", 4.0);

            List<TestRecord<byte[], byte[]>> late = s.late();
            assertThat(late).extracting(WindowSemanticsTest::id).containsExactly("c");
            assertThat(new String(late.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("c");
            assertThat(SalesTopology.JSON.readTree(late.get(0).value()).toString())
                    .as("the late topic carries the event as it was sent")
                    .isEqualTo("{\"id\":\"c\",\"t\":" + T0 + ",\"country\":\"DE\",\"amount\":4.0}");

            assertThat(s.counter("sluice.events.received", "view", "minutes")).isEqualTo(5);
            assertThat(s.counter("sluice.events.emitted", "view", "minutes")).isEqualTo(4);
            assertThat(s.counter("sluice.events.discarded", "view", "minutes", "reason", "late"))
                    .isEqualTo(1);
            assertThat(s.registry
                            .get("sluice.view.processing")
                            .tag("view", "minutes")
                            .timer()
                            .count())
                    .isEqualTo(5);
        }
    }

    @Test
    void aHoppingEventLateForItsOlderWindowUpdatesTheNewerOneAndGoesToTheLateTopicOnce() {
        ViewDef hops =
                byCountry("hops", WindowDef.hopping(Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ZERO));
        try (SalesTopology s = run(hops)) {
            s.send("a", T0 + 7 * MINUTE, "DE", 1); // windows T0 and T0+5m
            s.send("b", T0 + 12 * MINUTE, "DE", 2); // windows T0+5m and T0+10m; watermark closes T0 (ends T0+10m)
            s.send("c", T0 + 8 * MINUTE, "DE", 4); // T0: late; T0+5m: open until T0+15m
            List<ViewRecord> out = s.view("hops");
            assertThat(out)
                    .extracting(ViewRecord::kind, ViewRecord::windowStart, ViewRecord::version)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0, 1L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0 + 5 * MINUTE, 1L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0 + 5 * MINUTE, 2L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0 + 10 * MINUTE, 1L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.LATE, T0, 1L),
                            org.assertj.core.groups.Tuple.tuple(ViewRecord.Kind.UPDATE, T0 + 5 * MINUTE, 3L));
            assertThat(out.get(4).windowEnd()).isEqualTo(T0 + 10 * MINUTE);
            assertThat(out.get(5).windowEnd()).isEqualTo(T0 + 15 * MINUTE);
            assertThat(out.get(5).state().results()).containsEntry("total", 7.0);
            assertThat(s.late()).extracting(WindowSemanticsTest::id).containsExactly("c");
            assertThat(s.counter("sluice.events.discarded", "view", "hops", "reason", "late"))
                    .isEqualTo(1);
            assertThat(s.counter("sluice.events.emitted", "view", "hops")).isEqualTo(5);
        }
    }

    @Test
    void eachViewThatFindsAnEventLateSendsItsOwnCopy() {
        ViewDef strict = byCountry("strict", WindowDef.tumbling(Duration.ofMinutes(1), Duration.ZERO));
        ViewDef patient = byCountry("patient", WindowDef.tumbling(Duration.ofMinutes(1), Duration.ofMinutes(10)));
        try (SalesTopology s = run(strict, patient)) {
            s.send("a", T0 + 5 * MINUTE, "DE", 1);
            s.send("b", T0, "DE", 2); // late for strict only
            s.send("w", T0 + 20 * MINUTE, "DE", 1);
            s.send("c", T0 + 30_000, "DE", 4); // late for both
            List<TestRecord<byte[], byte[]>> late = s.late();
            assertThat(late)
                    .extracting(r -> id(r) + "@" + DeadLetter.get(r.headers(), DeadLetter.VIEW))
                    .containsExactlyInAnyOrder("b@strict", "c@strict", "c@patient");
            assertThat(s.view("patient"))
                    .extracting(ViewRecord::kind)
                    .containsExactly(
                            ViewRecord.Kind.UPDATE,
                            ViewRecord.Kind.UPDATE,
                            ViewRecord.Kind.UPDATE,
                            ViewRecord.Kind.LATE);
        }
    }

    @Test
    void repeatsWithinTheHorizonAreDroppedAndOneMillisecondBeyondItAreCounted() {
        ViewDef total = byCountry("total", null);
        try (SalesTopology s = run(total)) {
            long h = Duration.ofHours(1).toMillis();
            // a repeat is known by its id alone; the amounts tell which copy was counted
            s.send("a", T0, "DE", 1);
            s.send("a", T0, "DE", 1); // the same event again
            s.send("a", T0 + h, "DE", 10); // a repeat exactly the horizon later: still remembered
            s.send("b", T0 + h, "DE", 2);
            s.send("b", T0, "DE", 20); // a repeat that claims an earlier time, within the horizon
            s.send("a", T0 + h + 1, "DE", 100); // beyond the horizon: counted again (docs/semantics.md rule 3)
            List<ViewRecord> out = s.view("total");
            assertThat(out).extracting(r -> r.state().results().get("total")).containsExactly(1.0, 3.0, 103.0);
            assertThat(out).extracting(ViewRecord::version).containsExactly(1L, 2L, 3L);
            assertThat(s.counter("sluice.events.received", "stream", "sales")).isEqualTo(6);
            assertThat(s.counter("sluice.events.emitted", "stream", "sales")).isEqualTo(3);
            assertThat(s.counter("sluice.events.discarded", "stream", "sales", "reason", "duplicate"))
                    .isEqualTo(3);
            double bytes = 0;
            for (String json : List.of(
                    "{\"id\":\"a\",\"t\":" + T0 + ",\"country\":\"DE\",\"amount\":1.0}",
                    "{\"id\":\"a\",\"t\":" + T0 + ",\"country\":\"DE\",\"amount\":1.0}",
                    "{\"id\":\"a\",\"t\":" + (T0 + h) + ",\"country\":\"DE\",\"amount\":10.0}",
                    "{\"id\":\"b\",\"t\":" + (T0 + h) + ",\"country\":\"DE\",\"amount\":2.0}",
                    "{\"id\":\"b\",\"t\":" + T0 + ",\"country\":\"DE\",\"amount\":20.0}",
                    "{\"id\":\"a\",\"t\":" + (T0 + h + 1) + ",\"country\":\"DE\",\"amount\":100.0}")) {
                bytes += json.length();
            }
            assertThat(s.counter("sluice.bytes.received", "stream", "sales")).isEqualTo(bytes);
        }
    }

    @Test
    void aRepeatBeforeTheHorizonIsDroppedOneMillisecondEarlierIsCounted() {
        ViewDef total = byCountry("total", null);
        try (SalesTopology s = run(total)) {
            long h = Duration.ofHours(1).toMillis();
            s.send("a", T0 + h, "DE", 1);
            s.send("a", T0, "DE", 10); // exactly the horizon before: remembered
            s.send("b", T0 + h, "DE", 2);
            s.send("b", T0 - 1, "DE", 20); // beyond the horizon before: not found, counted
            List<ViewRecord> out = s.view("total");
            assertThat(out).extracting(r -> r.state().results().get("total")).containsExactly(1.0, 3.0, 23.0);
        }
    }

    @Test
    void aWindowlessViewKeepsOneRowPerGroupForAllTime() {
        ViewDef total = byCountry("total", null);
        try (SalesTopology s = run(total)) {
            s.send("a", T0, "DE", 1);
            s.send("b", T0 + 400L * 24 * 3600 * 1000, "FR", 2);
            s.send("c", 0, "DE", 4);
            List<ViewRecord> out = s.view("total");
            assertThat(out).extracting(ViewRecord::kind).containsOnly(ViewRecord.Kind.UPDATE);
            ViewRecord de = out.get(2);
            assertThat(de.group()).containsExactly("DE");
            assertThat(de.windowStart()).isZero();
            assertThat(de.windowEnd()).isEqualTo(253402300799999L); // 9999-12-31T23:59:59.999Z
            assertThat(de.version()).isEqualTo(2);
            assertThat(de.state().results()).containsEntry("n", 2L).containsEntry("total", 5.0);
            assertThat(s.late()).isEmpty();
        }
    }

    @Test
    void derivedFieldsGroupAndFiltersDropBeforeTheWindow() throws Exception {
        var vars =
                Expressions.variablesOf(SalesTopology.sales(Duration.ofHours(1)).schema());
        Map<String, Expression> derive = new LinkedHashMap<>();
        derive.put("size", Expressions.compile("amount >= 10.0 ? 'big' : 'small'", vars));
        ViewDef sized = new ViewDef(
                "sized",
                "sales",
                derive,
                Expressions.compile("country != 'XX'", vars),
                WindowDef.tumbling(Duration.ofMinutes(1), Duration.ZERO),
                List.of("size"),
                COUNT_AND_SUM);
        try (SalesTopology s = run(sized)) {
            s.send("a", T0, "DE", 10);
            s.send("b", T0 + 1, "XX", 50); // filtered out
            s.send("c", T0 + 2, "FR", 3);
            s.send("d", T0 + 3, "FR", 12);
            List<ViewRecord> out = s.view("sized");
            assertThat(out)
                    .extracting(
                            r -> r.group().get(0) + "=" + r.state().results().get("total"))
                    .containsExactly("big=10.0", "small=3.0", "big=22.0");
            assertThat(s.counter("sluice.events.discarded", "view", "sized", "reason", "filtered"))
                    .isEqualTo(1);
            assertThat(s.counter("sluice.events.received", "view", "sized")).isEqualTo(4);
            assertThat(s.counter("sluice.events.emitted", "view", "sized")).isEqualTo(3);
        }
    }

    @Test
    void updatesCarryTheEventsSourceTimeWhenItHasOne() {
        try (SalesTopology s = run(MINUTES)) {
            s.sendJson("{\"id\":\"a\",\"t\":" + (T0 + 5) + ",\"src\":" + (T0 + 1) + ",\"country\":\"DE\"}", T0);
            s.sendJson("{\"id\":\"b\",\"t\":" + (T0 + 6) + ",\"country\":\"DE\"}", T0);
            s.sendJson("{\"id\":\"c\",\"t\":" + (T0 + 7) + ",\"src\":\"noon\",\"country\":\"DE\"}", T0);
            List<ViewRecord> out = s.view("minutes");
            assertThat(out).extracting(ViewRecord::sourceMs).containsExactly(T0 + 1, T0 + 6, T0 + 7);
        }
    }
}
