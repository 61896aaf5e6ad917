package dev.sluice.cli;

/**
 * What a {@code count_distinct} (HLL, lgK 12, the view's own sketch) may answer for a known exact
 * count: exactly the count while the sketch still keeps every value's coupon (up to {@value
 * #EXACT_UP_TO} distinct values), then within three relative standard errors (1.04 / sqrt(4096),
 * about 1.6 % each) on either side.
 */
final class DistinctBound {
    static final long EXACT_UP_TO = 384;
    static final double RELATIVE_STANDARD_ERROR = 1.04 / Math.sqrt(4096);

    private DistinctBound() {}

    static boolean accepts(long exact, long estimate) {
        if (exact <= EXACT_UP_TO) {
            return estimate == exact;
        }
        return Math.abs(estimate - exact) <= Math.ceil(3 * RELATIVE_STANDARD_ERROR * exact);
    }
}
