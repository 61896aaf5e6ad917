package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.MeasureDef.Kind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every measure's value on small inputs whose answer is known by hand, how partial accumulators merge (either side
 * empty, each side holding the extreme), and what survives the byte form the state stores and the view topic carry.
 * Quantiles are exact here: below KLL's k (200) values the sketch keeps every value.
 */
class AccumulatorMeasuresTest {
    static final List<MeasureDef> ALL = List.of(
            new MeasureDef("n", Kind.COUNT, null),
            new MeasureDef("total", Kind.SUM, "amount"),
            new MeasureDef("lo", Kind.MIN, "amount"),
            new MeasureDef("hi", Kind.MAX, "amount"),
            new MeasureDef("mean", Kind.AVG, "amount"),
            new MeasureDef("users", Kind.COUNT_DISTINCT, "user"),
            new MeasureDef("p50", Kind.P50, "amount"),
            new MeasureDef("p95", Kind.P95, "amount"),
            new MeasureDef("p99", Kind.P99, "amount"));

    static Map<String, Object> event(Object amount, Object user) {
        Map<String, Object> m = new HashMap<>();
        m.put("amount", amount);
        m.put("user", user);
        return m;
    }

    /** 4, 1.5, 10, 2.5 by users a, b, a and one without amount or user. */
    static Accumulator fourAmounts() {
        Accumulator a = new Accumulator(ALL);
        a.add(event(4L, "a"));
        a.add(event(1.5, "b"));
        a.add(event(null, null));
        a.add(event(10, "a"));
        a.add(event(new BigDecimal("2.5"), null));
        return a;
    }

    static void assertFourAmounts(Accumulator a) {
        assertThat(a.version()).isEqualTo(5);
        Map<String, Object> r = a.results();
        assertThat(r.get("n")).isEqualTo(5L);
        assertThat(r.get("total")).isEqualTo(18.0);
        assertThat(r.get("lo")).isEqualTo(1.5);
        assertThat(r.get("hi")).isEqualTo(10.0);
        assertThat(r.get("mean"))
                .as("the sum over the 4 events that have an amount")
                .isEqualTo(4.5);
        assertThat(r.get("users")).isEqualTo(2L);
        // sorted 1.5, 2.5, 4, 10: the smallest value whose rank (fraction at or below) reaches q
        assertThat(r.get("p50")).isEqualTo(2.5);
        assertThat(r.get("p95")).isEqualTo(10.0);
        assertThat(r.get("p99")).isEqualTo(10.0);
        assertThat(a.exactSum(1)).isEqualByComparingTo("18.0");
    }

    @Test
    void everyMeasureOnKnownValues() {
        assertFourAmounts(fourAmounts());
    }

    @Test
    void resultsKeepTheDeclarationOrder() {
        assertThat(fourAmounts().results().keySet())
                .containsExactly("n", "total", "lo", "hi", "mean", "users", "p50", "p95", "p99");
    }

    @Test
    void quantilesOfOneToAHundred() {
        Accumulator a = new Accumulator(ALL);
        for (int i = 100; i >= 1; i--) {
            a.add(event(i, "u"));
        }
        assertThat(a.results().get("p50")).isEqualTo(50.0);
        assertThat(a.results().get("p95")).isEqualTo(95.0);
        assertThat(a.results().get("p99")).isEqualTo(99.0);
        assertThat(a.results().get("lo")).isEqualTo(1.0);
        assertThat(a.results().get("hi")).isEqualTo(100.0);
        assertThat(a.results().get("total")).isEqualTo(5050.0);
        assertThat(a.results().get("mean")).isEqualTo(50.5);
    }

    @Test
    void negativeValuesAreMinimaAndMaxima() {
        Accumulator a = new Accumulator(ALL);
        a.add(event(-3, "u"));
        a.add(event(-7.25, "u"));
        assertThat(a.results().get("lo")).isEqualTo(-7.25);
        assertThat(a.results().get("hi")).isEqualTo(-3.0);
        assertThat(a.results().get("total")).isEqualTo(-10.25);
    }

    @Test
    void anEmptyAccumulatorHasCountsAndNoValues() {
        Map<String, Object> r = new Accumulator(ALL).results();
        assertThat(r.get("n")).isEqualTo(0L);
        assertThat(r.get("total")).isEqualTo(0.0);
        assertThat(r.get("users")).isEqualTo(0L);
        for (String undefined : List.of("lo", "hi", "mean", "p50", "p95", "p99")) {
            assertThat(r).containsEntry(undefined, null);
        }
    }

    @Test
    void numbersOfEveryJavaTypeAreSummedExactly() {
        Accumulator a = new Accumulator(List.of(new MeasureDef("total", Kind.SUM, "amount")));
        a.add(event(1, null));
        a.add(event(2L, null));
        a.add(event((short) 3, null));
        a.add(event(BigInteger.valueOf(4), null));
        a.add(event(new BigDecimal("0.1"), null));
        a.add(event(0.5f, null));
        a.add(event(0.2, null));
        assertThat(a.exactSum(0)).isEqualByComparingTo("10.8");
        assertThat(a.results().get("total")).isEqualTo(10.8);
    }

    @Test
    void aLongBeyondDoublePrecisionIsSummedExactly() {
        Accumulator a = new Accumulator(List.of(new MeasureDef("total", Kind.SUM, "amount")));
        a.add(event(9_007_199_254_740_993L, null)); // 2^53 + 1: no double holds it
        a.add(event(1L, null));
        assertThat(a.exactSum(0)).isEqualByComparingTo("9007199254740994");
    }

    @Test
    void integersOfEveryJavaTypeSumToAnIntegerAndHugeOnesStayExact() {
        for (Object three : List.of(3, 3L, (short) 3, BigInteger.valueOf(3))) {
            Accumulator a = new Accumulator(List.of(new MeasureDef("total", Kind.SUM, "amount")));
            a.add(event(three, null));
            assertThat(a.exactSum(0)).as(three.getClass().getSimpleName()).isEqualTo(new BigDecimal("3"));
        }
        Accumulator a = new Accumulator(List.of(new MeasureDef("total", Kind.SUM, "amount")));
        a.add(event(BigInteger.TWO.pow(70).add(BigInteger.ONE), null));
        assertThat(a.exactSum(0)).isEqualTo(new BigDecimal("1180591620717411303425"));
    }

    @Test
    void onlyQuantileMeasuresKeepASketch() {
        // one measure holding 2: format 1, version 8, measures 2, count 8, scale 4, length 2 + unscaled 1,
        // min 8, max 8 = 42 bytes, then the HLL blob's length (-1: none) and the KLL blob's length and bytes
        List<MeasureDef> sum = List.of(new MeasureDef("total", Kind.SUM, "amount"));
        Accumulator a = new Accumulator(sum);
        a.add(event(2, null));
        byte[] b = a.toBytes();
        assertThat(b).hasSize(50);
        assertThat(java.nio.ByteBuffer.wrap(b, 42, 8).getInt()).isEqualTo(-1);
        assertThat(java.nio.ByteBuffer.wrap(b, 46, 4).getInt())
                .as("no KLL sketch")
                .isEqualTo(-1);
        for (Kind q : List.of(Kind.P50, Kind.P95, Kind.P99)) {
            List<MeasureDef> one = List.of(new MeasureDef("q", q, "amount"));
            Accumulator p = new Accumulator(one);
            p.add(event(2, null));
            assertThat(p.results().get("q")).as(q.name()).isEqualTo(2.0);
            byte[] pb = p.toBytes();
            assertThat(java.nio.ByteBuffer.wrap(pb, 42, 8).getInt()).isEqualTo(-1);
            assertThat(java.nio.ByteBuffer.wrap(pb, 46, 4).getInt())
                    .as(q.name())
                    .isEqualTo(pb.length - 50);
        }
    }

    @Test
    void nonNumbersAndNonFiniteNumbersAreRefusedNamingTheMeasure() {
        Accumulator a = new Accumulator(List.of(new MeasureDef("total", Kind.SUM, "amount")));
        assertThatThrownBy(() -> a.add(event("12", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sum(amount)")
                .hasMessageContaining("'12'")
                .hasMessageContaining("not a number");
        assertThatThrownBy(() -> a.add(event(Double.NaN, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sum(amount)")
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> a.add(event(Double.POSITIVE_INFINITY, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sum(amount)")
                .hasMessageContaining("Infinity");
        assertThatThrownBy(() -> a.add(event(Float.NEGATIVE_INFINITY, null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Infinity");
    }

    @Test
    void distinctCountsNumbersByValueAndTextByText() {
        Accumulator a = new Accumulator(List.of(new MeasureDef("users", Kind.COUNT_DISTINCT, "user")));
        a.add(event(null, 7));
        a.add(event(null, 7L));
        a.add(event(null, 7.0));
        a.add(event(null, 8));
        a.add(event(null, "x"));
        a.add(event(null, "x"));
        a.add(event(null, "y"));
        assertThat(a.results().get("users")).isEqualTo(4L);
        assertThat(a.version()).isEqualTo(7);
    }

    @Test
    void mergingIntoAnEmptyAccumulatorGivesTheOther() {
        Accumulator empty = new Accumulator(ALL);
        empty.merge(fourAmounts());
        assertFourAmounts(empty);
    }

    @Test
    void mergingAnEmptyAccumulatorChangesNothing() {
        Accumulator a = fourAmounts();
        a.merge(new Accumulator(ALL));
        assertFourAmounts(a);
    }

    @Test
    void mergingPartialsTakesEachExtremeFromTheSideThatHasIt() {
        Accumulator left = new Accumulator(ALL);
        left.add(event(1.5, "a"));
        left.add(event(null, "b"));
        Accumulator right = new Accumulator(ALL);
        right.add(event(10, "b"));
        right.add(event(4, "c"));
        right.add(event(2.5, null));

        Accumulator l = Accumulator.fromBytes(ALL, left.toBytes());
        l.merge(right);
        Accumulator r = Accumulator.fromBytes(ALL, right.toBytes());
        r.merge(left);
        for (Accumulator merged : List.of(l, r)) {
            assertThat(merged.version()).isEqualTo(5);
            Map<String, Object> m = merged.results();
            assertThat(m.get("n")).isEqualTo(5L);
            assertThat(m.get("total")).isEqualTo(18.0);
            assertThat(m.get("lo")).isEqualTo(1.5);
            assertThat(m.get("hi")).isEqualTo(10.0);
            assertThat(m.get("mean")).isEqualTo(4.5);
            assertThat(m.get("users")).isEqualTo(3L);
            assertThat(m.get("p50")).isEqualTo(2.5);
            assertThat(m.get("p99")).isEqualTo(10.0);
        }
    }

    @Test
    void mergedSketchesKeepCounting() {
        Accumulator a = new Accumulator(ALL);
        a.add(event(1, "a"));
        Accumulator b = new Accumulator(ALL);
        b.add(event(3, "b"));
        a.merge(b);
        a.add(event(2, "c"));
        a.add(event(2, "a"));
        assertThat(a.results().get("users")).isEqualTo(3L);
        assertThat(a.results().get("p50")).isEqualTo(2.0);
        assertThat(a.version()).isEqualTo(4);
    }

    @Test
    void theByteFormKeepsEveryMeasureAndTheVersion() {
        Accumulator back = Accumulator.fromBytes(ALL, fourAmounts().toBytes());
        assertFourAmounts(back);
        back.add(event(0.5, "c"));
        assertThat(back.results().get("users")).isEqualTo(3L);
        assertThat(back.results().get("lo")).isEqualTo(0.5);
        assertThat(back.results().get("total")).isEqualTo(18.5);
        assertThat(back.version()).isEqualTo(6);
    }

    @Test
    void theByteFormOfAnEmptyAccumulatorIsEmpty() {
        Accumulator back = Accumulator.fromBytes(ALL, new Accumulator(ALL).toBytes());
        assertThat(back.version()).isZero();
        assertThat(back.results()).isEqualTo(new Accumulator(ALL).results());
        back.add(event(3, "a"));
        assertThat(back.results().get("lo")).isEqualTo(3.0);
        assertThat(back.results().get("hi")).isEqualTo(3.0);
    }

    @Test
    void theByteFormKeepsLargeNegativeAndFractionalSums() {
        List<MeasureDef> sum = List.of(new MeasureDef("total", Kind.SUM, "amount"));
        Accumulator a = new Accumulator(sum);
        a.add(event(new BigDecimal("-123456789012345678901234567890.125"), null));
        Accumulator back = Accumulator.fromBytes(sum, a.toBytes());
        assertThat(back.exactSum(0)).isEqualTo(new BigDecimal("-123456789012345678901234567890.125"));
    }

    @Test
    void theByteFormBeginsWithItsFormatAndTheVersion() {
        Accumulator a = new Accumulator(List.of(new MeasureDef("n", Kind.COUNT, null)));
        a.add(Map.of());
        a.add(Map.of());
        byte[] b = a.toBytes();
        // format 1, version 2 (8 bytes), 1 measure (2 bytes), count 2 (8 bytes), sum scale 0 (4 bytes),
        // unscaled length 1 and byte 0, min +inf, max -inf (8 bytes each), no HLL (-1), no KLL (-1)
        assertThat(b).hasSize(1 + 8 + 2 + 8 + 4 + 2 + 1 + 8 + 8 + 4 + 4);
        assertThat(b[0]).isEqualTo((byte) 1);
        assertThat(b[8]).isEqualTo((byte) 2);
        assertThat(b[10]).isEqualTo((byte) 1);
        assertThat(b[b.length - 1]).isEqualTo((byte) 0xFF);
    }

    @Test
    void anUnknownFormatOrADifferentMeasureListIsRefused() {
        byte[] b = fourAmounts().toBytes();
        b[0] = 2;
        assertThatThrownBy(() -> Accumulator.fromBytes(ALL, b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown accumulator format 2");
        byte[] good = fourAmounts().toBytes();
        assertThatThrownBy(() -> Accumulator.fromBytes(ALL.subList(0, 2), good))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stored state has 9 measures, the view has 2");
    }

    @Test
    void aTruncatedByteFormFails() {
        byte[] b = fourAmounts().toBytes();
        byte[] cut = java.util.Arrays.copyOf(b, b.length - 3);
        assertThatThrownBy(() -> Accumulator.fromBytes(ALL, cut)).isInstanceOf(RuntimeException.class);
    }
}
