package dev.sluice.sinks;

import dev.sluice.pipeline.ViewDef;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A cache of views' latest windows the query API may answer from (Redis). */
public interface ViewCache {

    /** Rows from the cache, with its age, when it holds the view and covers the request; empty otherwise. */
    Optional<Cached> read(ViewDef view, Long from, Long to, Map<String, String> where);

    /**
     * @param rows the rows, as {@link ViewStore#queryView} answers them
     * @param ageMs how long ago the cache was written from the store
     */
    record Cached(List<Map<String, Object>> rows, long ageMs) {}
}
