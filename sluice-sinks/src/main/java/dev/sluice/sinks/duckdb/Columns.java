package dev.sluice.sinks.duckdb;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** How streams and views map to DuckDB tables and column types. */
final class Columns {
    private Columns() {}

    record Column(String name, String type, String jsonType) {}

    static String quote(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }

    /** Raw table columns: one per schema property; the time field as TIMESTAMP (UTC). */
    static List<Column> raw(StreamDef stream) {
        List<Column> cols = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it =
                stream.schema().path("properties").properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> p = it.next();
            String jsonType = p.getValue().path("type").asText("");
            String type = p.getKey().equals(stream.timeField()) ? "TIMESTAMP" : sqlType(jsonType);
            cols.add(new Column(p.getKey(), type, jsonType));
        }
        if (cols.stream().noneMatch(c -> c.name().equals(stream.idField()))) {
            cols.add(0, new Column(stream.idField(), "VARCHAR", "string"));
        }
        return cols;
    }

    static String sqlType(String jsonType) {
        return switch (jsonType) {
            case "integer" -> "BIGINT";
            case "number" -> "DOUBLE";
            case "boolean" -> "BOOLEAN";
            default -> "VARCHAR";
        };
    }

    /** Group column type: the schema's for a stream field, VARCHAR for a derived one. */
    static String groupType(StreamDef stream, String field) {
        JsonNode p = stream.schema().path("properties").path(field);
        return p.isMissingNode() ? "VARCHAR" : sqlType(p.path("type").asText(""));
    }

    static String measureType(MeasureDef m) {
        return switch (m.kind()) {
            case COUNT, COUNT_DISTINCT -> "BIGINT";
            default -> "DOUBLE";
        };
    }

    static List<String> viewColumnNames(ViewDef v) {
        List<String> names = new ArrayList<>();
        names.add("window_start");
        names.add("window_end");
        names.addAll(v.groupBy());
        v.measures().forEach(m -> names.add(m.name()));
        names.add("version");
        names.add("watermark");
        names.add("updated_at");
        names.add("_group_key");
        names.add("_state");
        return names;
    }
}
