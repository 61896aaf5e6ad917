package dev.sluice.pipeline;

import java.util.List;
import java.util.Map;

/**
 * A continuously maintained result over a stream: derive fields, filter, window, group and
 * measure.
 *
 * @param from the stream read
 * @param derive fields computed per event, in order; each may use the event's fields and the fields
 *     derived before it
 * @param filter events for which this is false are not counted; it sees derived fields; null keeps
 *     all
 * @param window the event-time window; null means one row per group over all time
 * @param groupBy fields (of the event or derived) whose values make a row's group
 * @param measures in file order
 * @param sla how far behind the view may be before it is marked stale
 * @param rollup coarser tumbling window sizes kept as rollups where the store materializes them (ClickHouse)
 */
public record ViewDef(
        String name,
        String from,
        Map<String, Expression> derive,
        Expression filter,
        WindowDef window,
        List<String> groupBy,
        List<MeasureDef> measures,
        java.time.Duration sla,
        List<java.time.Duration> rollup) {

    public static final java.time.Duration DEFAULT_SLA = java.time.Duration.ofSeconds(5);

    /** A view without rollups. */
    public ViewDef(
            String name,
            String from,
            Map<String, Expression> derive,
            Expression filter,
            WindowDef window,
            List<String> groupBy,
            List<MeasureDef> measures,
            java.time.Duration sla) {
        this(name, from, derive, filter, window, groupBy, measures, sla, List.of());
    }

    /** A view with the default SLA. */
    public ViewDef(
            String name,
            String from,
            Map<String, Expression> derive,
            Expression filter,
            WindowDef window,
            List<String> groupBy,
            List<MeasureDef> measures) {
        this(name, from, derive, filter, window, groupBy, measures, DEFAULT_SLA);
    }

    /** A rollup size as it names tables and URLs: {@code 1d}, {@code 6h}, {@code 15m}, {@code 90s}. */
    public static String rollupLabel(java.time.Duration d) {
        long s = d.toSeconds();
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
