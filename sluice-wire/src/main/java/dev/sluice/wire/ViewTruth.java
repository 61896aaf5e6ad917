package dev.sluice.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.Expression;
import dev.sluice.pipeline.Expressions;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A view's rows computed the plain way, for checking the processor: every unique event is derived, filtered,
 * put in its windows and added to its group, all at once and in memory, with exact arithmetic. It shares the
 * pipeline's definitions (expressions, window boundaries) but none of the processor's incremental machinery
 * (state stores, watermarks, late routing, sketches): events beyond the grace are counted too, as the stored
 * view counts them through the late path. Quantiles are left out (the view estimates them); count_distinct is
 * exact here and estimated in the view.
 */
public final class ViewTruth {
    private static final long GLOBAL_START = 0;

    private final ViewDef view;
    private final String timeField;
    private final TreeMap<String, Row> rows = new TreeMap<>();
    private long skipped;

    /** One row's exact measures. */
    private static final class Row {
        final long windowStart;
        final long windowEnd;
        final List<Object> group;
        long count;
        /** Sums and value counts by measure name; extremes and distinct values by field (repeats change nothing). */
        final Map<String, BigDecimal> sum = new LinkedHashMap<>();

        final Map<String, Double> min = new LinkedHashMap<>();
        final Map<String, Double> max = new LinkedHashMap<>();
        final Map<String, Long> n = new LinkedHashMap<>();
        final Map<String, Set<String>> distinct = new LinkedHashMap<>();

        Row(long windowStart, long windowEnd, List<Object> group) {
            this.windowStart = windowStart;
            this.windowEnd = windowEnd;
            this.group = group;
        }
    }

    public ViewTruth(ViewDef view, String timeField) {
        this.view = view;
        this.timeField = timeField;
    }

    /** Adds one unique event (the caller removes duplicates and malformed events). */
    public void add(JsonNode event) {
        long t;
        Map<String, Object> fields;
        try {
            t = EventTime.of(event, timeField);
            fields = Expressions.fieldsOf(event);
            for (Map.Entry<String, Expression> d : view.derive().entrySet()) {
                fields.put(d.getKey(), d.getValue().eval(fields));
            }
            if (view.filter() != null && !view.filter().test(fields)) {
                return;
            }
        } catch (RuntimeException e) {
            skipped++; // the processor sends such an event to the dead-letter topic
            return;
        }
        List<Object> group = new ArrayList<>();
        for (String g : view.groupBy()) {
            group.add(fields.get(g));
        }
        WindowDef w = view.window();
        long[] starts = w == null ? new long[] {GLOBAL_START} : w.windowStarts(t);
        for (long start : starts) {
            long end = w == null ? Long.MAX_VALUE : start + w.size().toMillis();
            String key = String.format("%020d", start) + "|" + group;
            Row r = rows.computeIfAbsent(key, k -> new Row(start, end, group));
            r.count++;
            for (MeasureDef m : view.measures()) {
                if (m.field() == null) {
                    continue;
                }
                Object v = fields.get(m.field());
                if (v == null) {
                    continue;
                }
                switch (m.kind()) {
                    case SUM, AVG -> {
                        // by measure name: a sum and an avg of one field must not add the value twice
                        r.sum.merge(m.name(), new BigDecimal(v.toString()), BigDecimal::add);
                        r.n.merge(m.name(), 1L, Long::sum);
                    }
                    case MIN -> r.min.merge(m.field(), ((Number) v).doubleValue(), Math::min);
                    case MAX -> r.max.merge(m.field(), ((Number) v).doubleValue(), Math::max);
                    case COUNT_DISTINCT ->
                        r.distinct
                                .computeIfAbsent(m.field(), x -> new HashSet<>())
                                .add(String.valueOf(v));
                    default -> {
                        // quantiles: not computed here
                    }
                }
            }
        }
    }

    /** Events skipped because an expression or the time field failed on them. */
    public long skipped() {
        return skipped;
    }

    /**
     * The rows, ordered by window start then group, shaped like {@code GET /v1/views/{view}} rows: window_start,
     * window_end, the group fields, then each exact measure by name.
     */
    public List<Map<String, Object>> rows() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows.values()) {
            Map<String, Object> row = new LinkedHashMap<>();
            if (view.window() != null) {
                row.put("window_start", EventTime.format(r.windowStart));
                row.put("window_end", EventTime.format(r.windowEnd));
            }
            for (int i = 0; i < view.groupBy().size(); i++) {
                row.put(view.groupBy().get(i), r.group.get(i));
            }
            for (MeasureDef m : view.measures()) {
                switch (m.kind()) {
                    case COUNT -> row.put(m.name(), r.count);
                    case SUM -> row.put(m.name(), r.sum.getOrDefault(m.name(), BigDecimal.ZERO));
                    case AVG -> {
                        long n = r.n.getOrDefault(m.name(), 0L);
                        row.put(
                                m.name(),
                                n == 0
                                        ? null
                                        : r.sum.get(m.name())
                                                .divide(BigDecimal.valueOf(n), java.math.MathContext.DECIMAL64));
                    }
                    case MIN -> row.put(m.name(), r.min.get(m.field()));
                    case MAX -> row.put(m.name(), r.max.get(m.field()));
                    case COUNT_DISTINCT ->
                        row.put(m.name(), (long)
                                r.distinct.getOrDefault(m.field(), Set.of()).size());
                    default -> {
                        // quantiles: left out
                    }
                }
            }
            out.add(row);
        }
        return out;
    }

    /** Whether a measure is computed exactly by both sides (so any difference is a discrepancy). */
    public static boolean exact(MeasureDef.Kind kind) {
        return switch (kind) {
            case COUNT, SUM, MIN, MAX, AVG -> true;
            default -> false;
        };
    }
}
