package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.Expression;
import dev.sluice.pipeline.Expressions;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.MeasureDef.Kind;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plain recomputation behind {@code sluice verify}, on events whose rows are worked out by hand. */
class ViewTruthTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<MeasureDef> MEASURES = List.of(
            new MeasureDef("n", Kind.COUNT, null),
            new MeasureDef("total", Kind.SUM, "amount"),
            new MeasureDef("mean", Kind.AVG, "amount"),
            new MeasureDef("lo", Kind.MIN, "amount"),
            new MeasureDef("hi", Kind.MAX, "amount"),
            new MeasureDef("users", Kind.COUNT_DISTINCT, "user"),
            new MeasureDef("p50", Kind.P50, "amount"));

    static ViewTruth truth(WindowDef window, Expression filter) throws Exception {
        ViewDef v = new ViewDef("v", "sales", new LinkedHashMap<>(), filter, window, List.of("country"), MEASURES);
        ViewTruth t = new ViewTruth(v, "t");
        for (String e : List.of(
                "{\"t\":\"2026-11-24T10:00:05Z\",\"country\":\"DE\",\"amount\":0.1,\"user\":\"a\"}",
                "{\"t\":\"2026-11-24T10:00:59.999Z\",\"country\":\"DE\",\"amount\":0.2,\"user\":\"b\"}",
                "{\"t\":\"2026-11-24T10:01:00Z\",\"country\":\"DE\",\"amount\":3,\"user\":\"a\"}",
                "{\"t\":\"2026-11-24T10:00:30Z\",\"country\":\"FR\",\"user\":\"a\"}",
                "{\"t\":\"2026-11-24T10:00:10Z\",\"country\":\"DE\",\"amount\":0.3,\"user\":\"a\"}",
                "{\"t\":\"yesterday\",\"country\":\"DE\",\"amount\":100}")) {
            t.add(JSON.readTree(e));
        }
        return t;
    }

    static Map<String, Object> row(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void rowsPerWindowAndGroupWithExactMeasures() throws Exception {
        ViewTruth t = truth(WindowDef.tumbling(Duration.ofMinutes(1), Duration.ZERO), null);
        assertThat(t.skipped()).as("the unreadable time").isEqualTo(1);
        assertThat(t.rows())
                .containsExactly(
                        row(
                                "window_start",
                                "2026-11-24T10:00:00Z",
                                "window_end",
                                "2026-11-24T10:01:00Z",
                                "country",
                                "DE",
                                "n",
                                3L,
                                "total",
                                new BigDecimal("0.6"),
                                "mean",
                                new BigDecimal("0.2"),
                                "lo",
                                0.1,
                                "hi",
                                0.3,
                                "users",
                                2L),
                        row(
                                "window_start",
                                "2026-11-24T10:00:00Z",
                                "window_end",
                                "2026-11-24T10:01:00Z",
                                "country",
                                "FR",
                                "n",
                                1L,
                                "total",
                                BigDecimal.ZERO,
                                "mean",
                                null,
                                "lo",
                                null,
                                "hi",
                                null,
                                "users",
                                1L),
                        row(
                                "window_start",
                                "2026-11-24T10:01:00Z",
                                "window_end",
                                "2026-11-24T10:02:00Z",
                                "country",
                                "DE",
                                "n",
                                1L,
                                "total",
                                new BigDecimal("3"),
                                "mean",
                                new BigDecimal("3"),
                                "lo",
                                3.0,
                                "hi",
                                3.0,
                                "users",
                                1L));
    }

    @Test
    void aWindowlessViewHasOneRowPerGroupWithoutWindowFields() throws Exception {
        ViewTruth t = truth(null, null);
        List<Map<String, Object>> rows = t.rows();
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0))
                .isEqualTo(row(
                        "country",
                        "DE",
                        "n",
                        4L,
                        "total",
                        new BigDecimal("3.6"),
                        "mean",
                        new BigDecimal("0.9"),
                        "lo",
                        0.1,
                        "hi",
                        3.0,
                        "users",
                        2L));
        assertThat(rows.get(1)).containsEntry("country", "FR").containsEntry("n", 1L);
    }

    @Test
    void hoppingWindowsCountAnEventInEachWindowThatHoldsIt() throws Exception {
        ViewTruth t = truth(WindowDef.hopping(Duration.ofMinutes(2), Duration.ofMinutes(1), Duration.ZERO), null);
        assertThat(t.rows())
                .extracting(r -> r.get("window_start") + " " + r.get("country") + " " + r.get("n"))
                .containsExactly(
                        "2026-11-24T09:59:00Z DE 3",
                        "2026-11-24T09:59:00Z FR 1",
                        "2026-11-24T10:00:00Z DE 4",
                        "2026-11-24T10:00:00Z FR 1",
                        "2026-11-24T10:01:00Z DE 1");
    }

    @Test
    void filteredEventsAreLeftOutButNotCountedAsSkipped() throws Exception {
        var vars = Expressions.variablesOf(
                JSON.readTree("{\"properties\":{\"country\":{\"type\":\"string\"},\"amount\":{\"type\":\"number\"},"
                        + "\"user\":{\"type\":\"string\"}}}"));
        ViewTruth t = truth(null, Expressions.compile("country == 'FR'", vars));
        assertThat(t.skipped()).isEqualTo(1);
        assertThat(t.rows())
                .extracting(r -> r.get("country") + " " + r.get("n"))
                .containsExactly("FR 1");
    }

    @Test
    void aSumAndAnAvgOfTheSameFieldEachCountAValueOnce() throws Exception {
        List<MeasureDef> both = List.of(
                new MeasureDef("total", Kind.SUM, "amount"),
                new MeasureDef("again", Kind.SUM, "amount"),
                new MeasureDef("mean", Kind.AVG, "amount"));
        ViewTruth t = new ViewTruth(new ViewDef("v", "sales", new LinkedHashMap<>(), null, null, List.of(), both), "t");
        t.add(JSON.readTree("{\"t\":0,\"amount\":1}"));
        t.add(JSON.readTree("{\"t\":0,\"amount\":2}"));
        assertThat(t.rows())
                .containsExactly(
                        row("total", new BigDecimal("3"), "again", new BigDecimal("3"), "mean", new BigDecimal("1.5")));
    }

    @Test
    void onlyCountsSumsAndExtremesAreExactOnBothSides() {
        assertThat(ViewTruth.exact(Kind.COUNT)).isTrue();
        assertThat(ViewTruth.exact(Kind.SUM)).isTrue();
        assertThat(ViewTruth.exact(Kind.AVG)).isTrue();
        assertThat(ViewTruth.exact(Kind.MIN)).isTrue();
        assertThat(ViewTruth.exact(Kind.MAX)).isTrue();
        assertThat(ViewTruth.exact(Kind.COUNT_DISTINCT)).isFalse();
        assertThat(ViewTruth.exact(Kind.P99)).isFalse();
    }
}
