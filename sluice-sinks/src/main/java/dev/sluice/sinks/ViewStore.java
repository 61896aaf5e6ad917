package dev.sluice.sinks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.ViewDef;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The store a pipeline's query API, dashboard snapshots and recompute read: DuckDB embedded, or ClickHouse. Both
 * give the same answers for the same events.
 */
public interface ViewStore {

    /** {@code duckdb} or {@code clickhouse}: where answers come from, as the query API reports it. */
    String kind();

    /**
     * Rows of a view, oldest window first, then by the group fields.
     *
     * @param from inclusive lower bound on window_start, epoch ms, or null
     * @param to exclusive upper bound on window_start, epoch ms, or null
     * @param where equality filters on group fields (values as text, read as the field's type)
     * @return rows with window_start and window_end as RFC 3339 text, the group fields, the measures and version
     */
    List<Map<String, Object>> queryView(ViewDef view, Long from, Long to, Map<String, String> where) throws Exception;

    /**
     * A rollup of a view: its rows merged into coarser tumbling windows of {@code size} (one of the view's
     * {@code rollup} sizes), oldest first, then by group: window_start, window_end, the group fields and the
     * measures.
     */
    List<Map<String, Object>> queryRollup(
            ViewDef view, java.time.Duration size, Long from, Long to, Map<String, String> where) throws Exception;

    /** The start of the view's latest stored window (epoch ms), or null when it has none. */
    Long latestWindow(ViewDef view) throws Exception;

    /** Every raw event stored for a stream, as JSON (times as RFC 3339 text, absent fields left out). */
    void forEachRaw(String stream, Consumer<ObjectNode> each) throws Exception;

    /** Raw events stored for a stream, each id once. */
    long countRaw(String stream) throws Exception;

    /** True when the store answers a trivial query. */
    boolean healthy();
}
