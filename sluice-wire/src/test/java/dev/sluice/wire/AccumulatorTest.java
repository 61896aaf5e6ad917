package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.MeasureDef.Kind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AccumulatorTest {
    static final List<MeasureDef> MEASURES = List.of(
            new MeasureDef("n", Kind.COUNT, null),
            new MeasureDef("total", Kind.SUM, "amount"),
            new MeasureDef("lo", Kind.MIN, "amount"),
            new MeasureDef("hi", Kind.MAX, "amount"),
            new MeasureDef("mean", Kind.AVG, "amount"),
            new MeasureDef("users", Kind.COUNT_DISTINCT, "user"),
            new MeasureDef("median", Kind.P50, "amount"),
            new MeasureDef("p99", Kind.P99, "amount"));

    static Map<String, Object> event(double amount, String user) {
        Map<String, Object> m = new HashMap<>();
        m.put("amount", amount);
        m.put("user", user);
        return m;
    }

    @Test
    void sumsAreExactForDecimalAmounts() {
        Accumulator a = new Accumulator(MEASURES);
        for (int i = 0; i < 10; i++) {
            a.add(event(0.1, "u"));
        }
        // 0.1 added ten times in doubles is 0.9999999999999999
        assertThat(a.results().get("total")).isEqualTo(1.0);
        assertThat(a.results().get("n")).isEqualTo(10L);
        assertThat(a.version()).isEqualTo(10);
    }

    @Test
    void mergingTwoHalvesEqualsFoldingTheWhole() {
        Random r = new Random(1);
        Accumulator whole = new Accumulator(MEASURES);
        Accumulator left = new Accumulator(MEASURES);
        Accumulator right = new Accumulator(MEASURES);
        for (int i = 0; i < 1000; i++) {
            Map<String, Object> e = event(Math.round(r.nextDouble() * 10000) / 100.0, "u" + r.nextInt(300));
            whole.add(e);
            (i % 3 == 0 ? left : right).add(e);
        }
        left.merge(right);
        Map<String, Object> w = whole.results();
        Map<String, Object> m = left.results();
        assertThat(m.get("n")).isEqualTo(w.get("n"));
        assertThat(m.get("total")).isEqualTo(w.get("total"));
        assertThat(m.get("lo")).isEqualTo(w.get("lo"));
        assertThat(m.get("hi")).isEqualTo(w.get("hi"));
        assertThat(m.get("users")).isEqualTo(w.get("users"));
        assertThat(left.version()).isEqualTo(1000);
        assertThat((double) m.get("median"))
                .isCloseTo((double) w.get("median"), org.assertj.core.data.Offset.offset(5.0));
    }

    @Test
    void distinctCountIsWithinTheSketchError() {
        Accumulator a = new Accumulator(MEASURES);
        for (int i = 0; i < 20_000; i++) {
            a.add(event(1, "user-" + (i % 5000)));
        }
        long estimate = (long) a.results().get("users");
        assertThat(estimate).isBetween(5000L - 250, 5000L + 250); // 3 x 1.6% RSE
    }

    @Test
    void quantilesAreWithinTheSketchRankError() {
        Accumulator a = new Accumulator(MEASURES);
        for (int i = 1; i <= 10_000; i++) {
            a.add(event(i, "u"));
        }
        assertThat((double) a.results().get("median")).isBetween(5000 - 330.0, 5000 + 330.0);
        assertThat((double) a.results().get("p99")).isBetween(9900 - 330.0, 10_000.0);
    }

    @Test
    void survivesSerialization() {
        Accumulator a = new Accumulator(MEASURES);
        a.add(event(12.34, "a"));
        a.add(event(0.66, "b"));
        Accumulator b = Accumulator.fromBytes(MEASURES, a.toBytes());
        assertThat(b.results()).isEqualTo(a.results());
        assertThat(b.version()).isEqualTo(2);
        assertThat(b.results().get("total")).isEqualTo(13.0);
    }

    @Test
    void absentValuesAreSkippedButCounted() {
        Accumulator a = new Accumulator(MEASURES);
        a.add(new HashMap<>());
        assertThat(a.results().get("n")).isEqualTo(1L);
        assertThat(a.results().get("lo")).isNull();
        assertThat(a.results().get("mean")).isNull();
        assertThat(a.results().get("users")).isEqualTo(0L);
    }
}
