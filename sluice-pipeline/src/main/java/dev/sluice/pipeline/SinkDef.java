package dev.sluice.pipeline;

import java.util.List;

/** Where streams and views land. */
public sealed interface SinkDef {

    String name();

    /** Streams (raw events) and views written by this sink; empty means all of them. */
    List<String> inputs();

    /**
     * An embedded DuckDB database.
     *
     * @param path the database file; null means {@code sluice.duckdb} in the data directory
     */
    record DuckDb(String name, String path, List<String> inputs) implements SinkDef {}
}
