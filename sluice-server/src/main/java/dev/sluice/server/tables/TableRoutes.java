package dev.sluice.server.tables;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.TableDef;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/tables}: each table with its stream, key and fields and the keys it holds. {@code GET
 * /v1/tables/{table}?key=}: one key's row ({@code key} for a one-field key, else one parameter per key field,
 * {@code ?portfolio=p1&symbol=AAPL}), 404 when the table holds no such key; without a key, the rows in key order
 * ({@code limit}, default 1000). A row is {@code {"key":{...},"value":{...},"time":"<RFC 3339>"}}.
 */
public final class TableRoutes {
    private TableRoutes() {}

    public static void mount(Javalin app, TableReader tables) {
        Pipeline p = tables.pipeline();
        app.get("/v1/tables", ctx -> {
            List<Map<String, Object>> out = new ArrayList<>();
            for (TableDef t : p.tables().values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", t.name());
                m.put("from", t.from());
                m.put("key", t.key());
                m.put("fields", t.fields());
                m.put("topic", p.tableTopic(t.name()));
                m.put("keys", tables.size(t.name()));
                out.add(m);
            }
            ctx.json(out);
        });
        app.get("/v1/tables/{table}", ctx -> query(ctx, p, tables));
    }

    private static void query(Context ctx, Pipeline p, TableReader tables) {
        String name = ctx.pathParam("table");
        TableDef t = p.tables().get(name);
        if (t == null) {
            ctx.status(404).json(Map.of("error", "unknown table '" + name + "'"));
            return;
        }
        List<String> values = new ArrayList<>();
        String key = ctx.queryParam("key");
        if (key != null) {
            if (t.key().size() != 1) {
                ctx.status(400)
                        .json(Map.of(
                                "error",
                                "table " + name + " has a key of " + t.key().size() + " fields " + t.key()
                                        + ": give each as a parameter (?"
                                        + t.key().get(0) + "=...)"));
                return;
            }
            values.add(key);
        } else {
            for (String k : t.key()) {
                String v = ctx.queryParam(k);
                if (v != null) {
                    values.add(v);
                }
            }
            if (!values.isEmpty() && values.size() != t.key().size()) {
                ctx.status(400)
                        .json(Map.of("error", "table " + name + " is keyed by " + t.key() + ": give every key field"));
                return;
            }
        }
        if (values.isEmpty()) {
            int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(1000);
            ctx.json(tables.rows(name, limit).stream().map(TableRoutes::shown).toList());
            return;
        }
        var row = tables.row(name, values);
        if (row.isEmpty()) {
            ctx.status(404).json(Map.of("error", "table " + name + " holds no key " + values));
            return;
        }
        ctx.json(shown(row.get()));
    }

    /** A row as the API shows it: its event time in RFC 3339. */
    private static Map<String, Object> shown(JsonNode row) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", row.path("key"));
        m.put("value", row.path("value"));
        m.put("time", dev.sluice.wire.EventTime.format(row.path("time").asLong()));
        return m;
    }
}
