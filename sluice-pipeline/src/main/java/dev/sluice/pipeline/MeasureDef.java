package dev.sluice.pipeline;

/**
 * One measure of a view, written {@code name: kind(field)} in the pipeline file ({@code count} takes
 * no field).
 */
public record MeasureDef(String name, Kind kind, String field) {

    public enum Kind {
        COUNT,
        SUM,
        MIN,
        MAX,
        AVG,
        /** Distinct values, estimated with an HLL sketch (lgK 12: about 1.6% standard error). */
        COUNT_DISTINCT,
        /** Quantiles, estimated with a KLL sketch (k 200: about 1.65% rank error). */
        P50,
        P95,
        P99;

        public String keyword() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public boolean takesField() {
            return this != COUNT;
        }

        public double quantileRank() {
            return switch (this) {
                case P50 -> 0.50;
                case P95 -> 0.95;
                case P99 -> 0.99;
                default -> throw new IllegalStateException(this + " is not a quantile");
            };
        }
    }
}
