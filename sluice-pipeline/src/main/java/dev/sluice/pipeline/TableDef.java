package dev.sluice.pipeline;

import java.util.List;

/**
 * The latest value per key of a stream: for each key (the values of {@code key}), the fields of the event with
 * the newest event time seen for it (an event older than the key's current one does not replace it; of two with
 * the same time, the later one read does). Kept in a compacted topic {@code <pipeline>.table.<name>} and restored
 * on restart; joins read it, {@code GET /v1/tables/<name>} queries it.
 *
 * @param from the stream read
 * @param key the fields whose values make the key, in order
 * @param fields the fields kept as the value, in order; empty keeps every field of the event
 */
public record TableDef(String name, String from, List<String> key, List<String> fields) {
    public TableDef {
        key = List.copyOf(key);
        fields = List.copyOf(fields);
    }
}
