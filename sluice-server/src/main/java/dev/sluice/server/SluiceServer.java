package dev.sluice.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SourceDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.graph.ProcessingGraph;
import dev.sluice.registry.SchemaRegistry;
import dev.sluice.registry.http.RegistryApi;
import dev.sluice.server.live.LiveHub;
import dev.sluice.server.live.LiveRoutes;
import dev.sluice.server.tables.TableReader;
import dev.sluice.server.tables.TableRoutes;
import dev.sluice.sinks.ViewCache;
import dev.sluice.sinks.ViewStore;
import dev.sluice.sources.http.HttpIngest;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP API of a running pipeline:
 *
 * <ul>
 *   <li>{@code POST /v1/streams/{stream}/events}: ingest (see {@link HttpIngest});
 *   <li>{@code GET /v1/views/{view}?from=&to=&<group field>=}: a view's rows;
 *   <li>{@code GET /v1/tables/{table}?key=}: a table's row for a key ({@link TableRoutes});
 *   <li>{@code GET /v1/streams}, {@code GET /v1/views}, {@code GET /v1/tables}: what the pipeline holds;
 *   <li>{@code GET /health}: broker, processor and store, 200 when all are up, else 503;
 *   <li>{@code GET /health/live}, {@code GET /health/ready}: for Kubernetes probes;
 *   <li>{@code GET /metrics} (Prometheus) and {@code GET /v1/lag}: see docs/metrics.md.
 * </ul>
 */
public final class SluiceServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the Confluent-compatible schema registry API is served: a client's base URL ends with it. */
    public static final String REGISTRY_PREFIX = "/registry";

    private final Javalin app;

    private SluiceServer(Javalin app) {
        this.app = app;
    }

    public static SluiceServer start(
            Pipeline pipeline,
            HttpIngest ingest,
            ViewStore store,
            ViewCache cache,
            SchemaRegistry registry,
            Health health,
            Live live,
            Observability observability,
            String host,
            int port) {
        long maxBody = Math.max(ingest.maxBodyBytes(), 1024 * 1024);
        Javalin app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.useVirtualThreads = true;
            // a little above the largest max_body, so the ingest itself can answer 413 with its own message
            cfg.http.maxRequestSize = maxBody + 1;
            cfg.jetty.defaultHost = host;
            cfg.jetty.defaultPort = port;
            if (SluiceServer.class.getResource("/dashboard/index.html") != null) {
                cfg.staticFiles.add(sf -> {
                    sf.hostedPath = "/";
                    sf.directory = "/dashboard";
                    sf.location = io.javalin.http.staticfiles.Location.CLASSPATH;
                });
            }
        });
        app.exception(io.javalin.http.HttpResponseException.class, (e, ctx) -> {
            ctx.status(e.getStatus()).json(Map.of("error", e.getMessage()));
        });
        app.exception(Exception.class, (e, ctx) -> {
            ctx.status(500).json(Map.of("error", String.valueOf(e.getMessage())));
        });
        if (registry != null) {
            RegistryApi.mount(app, registry, REGISTRY_PREFIX);
        }
        app.post("/v1/streams/{stream}/events", ctx -> ingest(ctx, ingest));
        if (live != null) {
            LiveRoutes.mount(app, pipeline, live.hub());
            TableRoutes.mount(app, live.tables());
            app.get("/v1/stats", ctx -> ctx.json(Stats.of(pipeline, ingest, live)));
            app.get("/v1/streams/{stream}/recent", ctx -> {
                String stream = ctx.pathParam("stream");
                if (!pipeline.streams().containsKey(stream)) {
                    ctx.status(404).json(Map.of("error", "unknown stream '" + stream + "'"));
                    return;
                }
                ctx.json(Inspect.recentEvents(live.bootstrap(), pipeline, stream, limit(ctx)));
            });
            app.get("/v1/dlq", ctx -> ctx.json(Inspect.deadLetters(live.bootstrap(), pipeline, limit(ctx))));
            app.post("/v1/admin/processor/pause", ctx -> {
                live.controls().pauseProcessor().run();
                ctx.json(Map.of("processor", live.controls().processorState().get()));
            });
            app.post("/v1/admin/processor/resume", ctx -> {
                live.controls().resumeProcessor().run();
                ctx.json(Map.of("processor", live.controls().processorState().get()));
            });
        }
        app.get("/v1/views/{view}", ctx -> queryView(ctx, pipeline, store, cache));
        app.get("/v1/views/{view}/truth", ctx -> recompute(ctx, pipeline, store));
        app.get("/v1/views/{view}/rollups/{size}", ctx -> queryRollup(ctx, pipeline, store));
        app.get("/v1/streams", ctx -> ctx.json(describeStreams(pipeline)));
        app.get("/v1/views", ctx -> ctx.json(describeViews(pipeline)));
        app.get("/health/live", ctx -> {
            // alive unless a part has stopped for good: a restart is what helps then (a store that does not
            // answer makes the server not ready, not dead: the sink retries)
            boolean p = health.processor().getAsBoolean();
            boolean s = health.sinks().getAsBoolean();
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("status", p && s ? "up" : "down");
            h.put("processor", p ? "up" : "down");
            putProblem(h, health, p);
            h.put("sinks", s ? "up" : "down");
            ctx.status(p && s ? 200 : 503).json(h);
        });
        app.get("/health/ready", ctx -> {
            boolean b = health.broker().getAsBoolean();
            boolean up = health.processor().getAsBoolean();
            boolean p = up && health.processorReady().getAsBoolean();
            boolean s = health.store().getAsBoolean();
            boolean k = health.sinks().getAsBoolean();
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("status", b && p && s && k ? "ready" : "not ready");
            h.put("broker", b ? "up" : "down");
            h.put("processor", p ? "ready" : up ? "not ready (starting, rebalancing or restoring state)" : "down");
            putProblem(h, health, up);
            h.put("store", s ? "up" : "down (not answering, or the sink's last write failed)");
            h.put("sinks", k ? "up" : "stopped");
            ctx.status(b && p && s && k ? 200 : 503).json(h);
        });
        if (observability != null) {
            app.get(
                    "/metrics",
                    ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                            .result(observability.scrape()));
            app.get("/v1/lag", ctx -> ctx.json(observability.lagJson()));
        }
        app.get("/health", ctx -> {
            Map<String, Object> h = new LinkedHashMap<>();
            boolean b = health.broker().getAsBoolean();
            boolean p = health.processor().getAsBoolean();
            boolean s = health.store().getAsBoolean() && health.sinks().getAsBoolean();
            h.put("status", b && p && s ? "up" : "down");
            h.put("broker", b ? "up" : "down");
            h.put("processor", p ? "up" : "down");
            putProblem(h, health, p);
            h.put("store", s ? "up" : "down");
            ctx.status(b && p && s ? 200 : 503).json(h);
        });
        app.start();
        // Bound what the kernel buffers per connection (64 KB instead of up to 4 MB with autotuning): with
        // thousands of live clients this bounds memory, and a client that stops reading blocks its own writer
        // soon, so the hub's coalescing queue and drop rule take over (docs/live.md, "Slow clients").
        for (var c : app.jettyServer().server().getConnectors()) {
            if (c instanceof org.eclipse.jetty.server.ServerConnector sc) {
                sc.setAcceptedSendBufferSize(64 * 1024);
            }
        }
        return new SluiceServer(app);
    }

    /** Adds {@code processor_error}, saying why, when the processor is not up. */
    private static void putProblem(Map<String, Object> h, Health health, boolean up) {
        if (!up) {
            String why = health.processorProblem().get();
            if (why != null) {
                h.put("processor_error", why);
            }
        }
    }

    /** The schema registry API alone, at the root of its own port (a Confluent client's base URL). */
    public static SluiceServer registryOnly(SchemaRegistry registry, String host, int port) {
        Javalin app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.useVirtualThreads = true;
            cfg.jetty.defaultHost = host;
            cfg.jetty.defaultPort = port;
        });
        RegistryApi.mount(app, registry, "");
        app.start();
        return new SluiceServer(app);
    }

    public int port() {
        return app.port();
    }

    private static void ingest(Context ctx, HttpIngest ingest) {
        String stream = ctx.pathParam("stream");
        long limit = ingest.maxBodyBytes(stream);
        long declared = ctx.contentLength();
        if (limit >= 0 && declared > limit) {
            ctx.status(413).json(Map.of("error", "body of " + declared + " bytes exceeds max_body " + limit));
            return;
        }
        byte[] body;
        try {
            body = ctx.bodyAsBytes();
        } catch (RuntimeException e) {
            ctx.status(413).json(Map.of("error", "body too large: " + e.getMessage()));
            return;
        }
        ctx.future(() -> ingest.ingest(stream, body, ctx.contentType()).thenAccept(r -> {
            if (r.retryAfterSeconds() != null) {
                ctx.header("Retry-After", String.valueOf(r.retryAfterSeconds()));
            }
            ctx.status(r.status()).json(r.body());
        }));
    }

    /** The view of the {@code {view}} path parameter; null, with a 404 naming the views there are, if none. */
    private static ViewDef view(Context ctx, Pipeline pipeline) {
        String name = ctx.pathParam("view");
        ViewDef view = pipeline.views().get(name);
        if (view == null) {
            ctx.status(404)
                    .json(Map.of(
                            "error",
                            "unknown view '" + name + "'",
                            "views",
                            pipeline.views().keySet()));
        }
        return view;
    }

    /** The bounds and group filters of a view query; null after answering 400. */
    private record Query(Long from, Long to, Map<String, String> where) {}

    private static Query query(Context ctx, ViewDef view) {
        Long from;
        Long to;
        try {
            from = time(ctx.queryParam("from"));
            to = time(ctx.queryParam("to"));
        } catch (IllegalArgumentException e) {
            ctx.status(400).json(Map.of("error", e.getMessage()));
            return null;
        }
        Map<String, String> where = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> q : ctx.queryParamMap().entrySet()) {
            String k = q.getKey();
            if (k.equals("from") || k.equals("to")) {
                continue;
            }
            if (!view.groupBy().contains(k)) {
                ctx.status(400)
                        .json(Map.of(
                                "error",
                                "unknown parameter '" + k + "': filter on a group field of view '" + view.name() + "' "
                                        + view.groupBy() + ", or use from/to"));
                return null;
            }
            where.put(k, q.getValue().get(0));
        }
        return new Query(from, to, where);
    }

    private static void queryView(Context ctx, Pipeline pipeline, ViewStore store, ViewCache cache) throws Exception {
        ViewDef view = view(ctx, pipeline);
        Query q = view == null ? null : query(ctx, view);
        if (q == null) {
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("view", view.name());
        var cached = cache == null
                ? java.util.Optional.<ViewCache.Cached>empty()
                : cache.read(view, q.from(), q.to(), q.where());
        if (cached.isPresent()) {
            out.put("source", "redis");
            out.put("cache_age_ms", cached.get().ageMs());
            out.put("rows", cached.get().rows());
        } else {
            List<Map<String, Object>> rows;
            try {
                rows = store.queryView(view, q.from(), q.to(), q.where());
            } catch (IllegalArgumentException e) {
                ctx.status(400).json(Map.of("error", e.getMessage()));
                return;
            }
            out.put("source", store.kind());
            out.put("rows", rows);
        }
        ctx.json(out);
    }

    /** {@code GET /v1/views/{view}/rollups/{size}}: the view in coarser windows, one of its {@code rollup} sizes. */
    private static void queryRollup(Context ctx, Pipeline pipeline, ViewStore store) throws Exception {
        ViewDef view = view(ctx, pipeline);
        if (view == null) {
            return;
        }
        String label = ctx.pathParam("size");
        java.time.Duration size = view.rollup().stream()
                .filter(d -> ViewDef.rollupLabel(d).equals(label))
                .findFirst()
                .orElse(null);
        if (size == null) {
            ctx.status(404)
                    .json(Map.of(
                            "error",
                            "view '" + view.name() + "' has no rollup '" + label + "'",
                            "rollups",
                            view.rollup().stream().map(ViewDef::rollupLabel).toList()));
            return;
        }
        Query q = query(ctx, view);
        if (q == null) {
            return;
        }
        List<Map<String, Object>> rows;
        try {
            rows = store.queryRollup(view, size, q.from(), q.to(), q.where());
        } catch (IllegalArgumentException e) {
            ctx.status(400).json(Map.of("error", e.getMessage()));
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("view", view.name());
        out.put("rollup", label);
        out.put("source", store.kind());
        out.put("rows", rows);
        ctx.json(out);
    }

    /**
     * {@code GET /v1/views/{view}/truth}: the view recomputed from the raw events in the store, the plain way
     * ({@link dev.sluice.wire.ViewTruth}), for {@code sluice verify --recompute}.
     */
    private static void recompute(Context ctx, Pipeline pipeline, ViewStore store) throws Exception {
        ViewDef view = view(ctx, pipeline);
        if (view == null) {
            return;
        }
        String name = view.name();
        var truth =
                new dev.sluice.wire.ViewTruth(view, pipeline.stream(view.from()).timeField());
        long[] events = new long[1];
        store.forEachRaw(view.from(), e -> {
            events[0]++;
            truth.add(e);
        });
        Map<String, Object> measures = new LinkedHashMap<>();
        view.measures().forEach(m -> measures.put(m.name(), m.kind().keyword()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("view", name);
        out.put("raw_events", events[0]);
        out.put("skipped", truth.skipped());
        out.put("windowed", view.window() != null);
        out.put("group_by", view.groupBy());
        out.put("measures", measures);
        out.put("rows", truth.rows());
        ctx.json(out);
    }

    private static int limit(Context ctx) {
        String l = ctx.queryParam("limit");
        try {
            return l == null ? 50 : Math.max(1, Math.min(1000, Integer.parseInt(l)));
        } catch (NumberFormatException e) {
            return 50;
        }
    }

    /** What the live parts of the server need. */
    public record Live(LiveHub hub, Controls controls, String bootstrap, TableReader tables) {}

    /** RFC 3339 or epoch milliseconds. */
    private static Long time(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        if (s.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(s);
        }
        try {
            return java.time.OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(s).toEpochMilli();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("'" + s + "' is not an RFC 3339 time or epoch milliseconds");
            }
        }
    }

    private static List<Map<String, Object>> describeStreams(Pipeline p) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (StreamDef s : p.streams().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("topic", p.streamTopic(s.name()));
            m.put("id", s.idField());
            m.put("time", s.timeField());
            m.put("key", s.keyField());
            m.put("partitions", s.partitions());
            m.put("retention", s.retention().toString());
            m.put("dedup", s.dedupHorizon().toString());
            m.put("schema", JSON.convertValue(s.schema(), Object.class));
            m.put(
                    "sources",
                    p.sources().values().stream()
                            .filter(src -> src.stream().equals(s.name()))
                            .map(SluiceServer::describeSource)
                            .toList());
            m.put("late_topic", p.lateTopic(s.name()));
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> describeSource(SourceDef s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        switch (s) {
            case SourceDef.Http h -> {
                m.put("type", "http");
                m.put("path", "/v1/streams/" + h.stream() + "/events");
            }
            case SourceDef.Kafka k -> {
                m.put("type", "kafka");
                m.put("topic", k.topic());
            }
            case SourceDef.Generator g -> {
                m.put("type", "generator");
                m.put("rate", g.ratePerSecond());
            }
        }
        return m;
    }

    private static List<Map<String, Object>> describeViews(Pipeline p) {
        List<Map<String, Object>> out = new ArrayList<>();
        ProcessingGraph graph = ProcessingGraph.compile(p);
        for (ViewDef v : p.views().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", v.name());
            m.put("from", v.from());
            m.put("inputs", graph.node(ProcessingGraph.id("view", v.name())).inputs());
            m.put("filter", v.filter() == null ? null : v.filter().source());
            if (v.window() != null) {
                Map<String, Object> w = new LinkedHashMap<>();
                w.put("type", v.window().type().name().toLowerCase(java.util.Locale.ROOT));
                w.put("size", v.window().size().toString());
                w.put("advance", v.window().advance().toString());
                w.put("grace", v.window().grace().toString());
                m.put("window", w);
            }
            m.put("group_by", v.groupBy());
            List<Map<String, Object>> ms = new ArrayList<>();
            for (MeasureDef md : v.measures()) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("name", md.name());
                x.put("kind", md.kind().keyword());
                x.put("field", md.field());
                ms.add(x);
            }
            m.put("measures", ms);
            m.put("topic", p.viewTopic(v.name()));
            m.put("path", "/v1/views/" + v.name());
            out.add(m);
        }
        return out;
    }

    @Override
    public void close() {
        app.stop();
    }
}
