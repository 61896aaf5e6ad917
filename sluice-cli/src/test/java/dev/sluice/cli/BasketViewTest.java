package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;
import org.junit.jupiter.api.Test;

/**
 * The quantile check the view tests rely on: it accepts what a real KLL sketch answers (k 200, the
 * view's own sketch) for every size, and refuses estimates that are off on either side, outside the
 * data, or not exact where the sketch is exact; and the same for distinct counts (HLL).
 */
class BasketViewTest {
    static final double[] RANKS = {0.50, 0.95, 0.99};

    @Test
    void acceptsWhatTheSketchAnswersForEverySize() {
        Random r = new Random(11);
        for (int n = 1; n <= 1200; n += (n < 250 ? 1 : 37)) {
            List<BigDecimal> xs = new ArrayList<>();
            KllDoublesSketch kll = KllDoublesSketch.newHeapInstance(200);
            for (int i = 0; i < n; i++) {
                BigDecimal x = BigDecimal.valueOf(1 + r.nextInt(50000)).movePointLeft(2);
                xs.add(x);
                kll.update(x.doubleValue());
            }
            xs.sort(null);
            for (double p : RANKS) {
                List<String> wrong = new ArrayList<>();
                BasketView.checkQuantile(xs, kll.getQuantile(p, QuantileSearchCriteria.INCLUSIVE), p, "q", wrong);
                assertThat(wrong).as("n=%d p=%s", n, p).isEmpty();
            }
        }
    }

    @Test
    void refusesEstimatesOffOnEitherSide() {
        List<BigDecimal> xs = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
            xs.add(BigDecimal.valueOf(i));
        }
        assertThat(wrongFor(xs, 990, 0.99)).isEmpty();
        assertThat(wrongFor(xs, 1001, 0.99)).as("above the maximum").isNotEmpty();
        assertThat(wrongFor(xs, 950, 0.99)).as("too low").isNotEmpty();
        assertThat(wrongFor(xs, 950, 0.95)).isEmpty();
        assertThat(wrongFor(xs, 990, 0.95)).as("too high").isNotEmpty();
        assertThat(wrongFor(xs, 910, 0.95)).as("too low").isNotEmpty();
        assertThat(wrongFor(xs, 500.5, 0.50)).as("not a measured value").isNotEmpty();
        assertThat(wrongFor(xs, 0, 0.50)).as("below the minimum").isNotEmpty();
    }

    @Test
    void smallSamplesMustBeExact() {
        List<BigDecimal> two = List.of(BigDecimal.ONE, BigDecimal.TEN);
        assertThat(wrongFor(two, 10, 0.99)).isEmpty();
        assertThat(wrongFor(two, 1, 0.99)).as("p99 of {1, 10} is 10").isNotEmpty();
        assertThat(wrongFor(two, 1, 0.50)).isEmpty();
        assertThat(wrongFor(two, 10, 0.50)).as("p50 of {1, 10} is 1").isNotEmpty();
        assertThat(wrongFor(two, 11, 0.99)).as("above the maximum").isNotEmpty();
        List<BigDecimal> twenty = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            twenty.add(BigDecimal.valueOf(i));
        }
        assertThat(wrongFor(twenty, 19, 0.95)).isEmpty();
        assertThat(wrongFor(twenty, 20, 0.95)).as("p95 of 1..20 is 19").isNotEmpty();
    }

    @Test
    void distinctCountsAreExactWhileTheSketchKeepsEveryValueThenWithinThreeErrors() {
        for (int n = 1; n <= 5000; n++) {
            HllSketch hll = new HllSketch(12);
            for (int i = 0; i < n; i++) {
                hll.update("u-" + i);
            }
            long estimate = Math.round(hll.getEstimate());
            assertThat(DistinctBound.accepts(n, estimate))
                    .as("n=%d estimate=%d", n, estimate)
                    .isTrue();
        }
        assertThat(DistinctBound.accepts(40, 41)).isFalse();
        assertThat(DistinctBound.accepts(384, 383)).isFalse();
        assertThat(DistinctBound.accepts(10_000, 10_480)).isTrue();
        assertThat(DistinctBound.accepts(10_000, 10_500)).isFalse();
        assertThat(DistinctBound.accepts(10_000, 9_500)).isFalse();
    }

    private static List<String> wrongFor(List<BigDecimal> sorted, double q, double p) {
        List<String> wrong = new ArrayList<>();
        BasketView.checkQuantile(sorted, q, p, "q", wrong);
        return wrong;
    }
}
