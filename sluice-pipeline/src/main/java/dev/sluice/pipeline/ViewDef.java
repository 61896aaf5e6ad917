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
 */
public record ViewDef(
        String name,
        String from,
        Map<String, Expression> derive,
        Expression filter,
        WindowDef window,
        List<String> groupBy,
        List<MeasureDef> measures,
        java.time.Duration sla) {

    public static final java.time.Duration DEFAULT_SLA = java.time.Duration.ofSeconds(5);

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
}
