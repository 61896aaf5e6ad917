package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.MeasureDef.Kind;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A value a measure cannot fold in is refused, naming the field, and leaves the accumulator as it was. */
class AccumulatorPoisonTest {
    static final List<MeasureDef> MEASURES = List.of(
            new MeasureDef("n", Kind.COUNT, null),
            new MeasureDef("users", Kind.COUNT_DISTINCT, "user"),
            new MeasureDef("total", Kind.SUM, "amount"),
            new MeasureDef("hi", Kind.MAX, "amount"));

    @Test
    void theTextInfinityIsNotANumberAndChangesNothing() {
        Accumulator a = new Accumulator(MEASURES);
        a.add(Map.of("amount", 2.5, "user", "u1"));
        byte[] before = a.toBytes();
        assertThatThrownBy(() -> a.add(Map.of("amount", "Infinity", "user", "u2")))
                .isInstanceOfSatisfying(Unprocessable.class, u -> {
                    assertThat(u.field()).isEqualTo("amount");
                    assertThat(u.rule()).isEqualTo("measure");
                })
                .hasMessage("sum(amount): value 'Infinity' is not a number");
        assertThat(a.toBytes()).as("not half-updated (count, distinct users)").isEqualTo(before);
        assertThat(a.version()).isEqualTo(1);
    }

    @Test
    void nonFiniteNumbersAreRefused() {
        Accumulator a = new Accumulator(MEASURES);
        assertThatThrownBy(() -> a.add(Map.of("amount", Double.POSITIVE_INFINITY)))
                .isInstanceOf(Unprocessable.class)
                .hasMessage("sum(amount): value Infinity is not finite");
        assertThatThrownBy(() -> a.add(Map.of("amount", Double.NaN)))
                .hasMessage("sum(amount): value NaN is not finite");
        assertThatThrownBy(() -> a.add(Map.of("amount", BigInteger.TEN.pow(400))))
                .hasMessageStartingWith("sum(amount): value 1000")
                .hasMessageEndingWith("is out of range (not finite)");
        assertThat(a.version()).isZero();
        assertThat(a.results()).containsEntry("n", 0L).containsEntry("total", 0.0);
    }

    @Test
    void aSumThatWouldLeaveTheRangeOfADoubleRefusesTheEventNotTheRow() {
        Accumulator a = new Accumulator(MEASURES);
        a.add(Map.of("amount", 1.5e308));
        assertThatThrownBy(() -> a.add(Map.of("amount", 1e308)))
                .isInstanceOfSatisfying(
                        Unprocessable.class, u -> assertThat(u.field()).isEqualTo("amount"))
                .hasMessageContaining("beyond the range of a double");
        a.add(Map.of("amount", 1.0));
        assertThat(a.version()).isEqualTo(2);
        assertThat(a.results())
                .containsEntry("n", 2L)
                .containsEntry("total", 1.5e308)
                .containsEntry("hi", 1.5e308);
    }
}
