package dev.sluice.server;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.SourceDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.server.live.LiveHub;
import dev.sluice.server.live.Rate;
import dev.sluice.sources.http.HttpIngest;
import dev.sluice.wire.EventTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** {@code GET /v1/stats}: counts, rates and lag for each node of the pipeline graph (see docs/live.md). */
final class Stats {
    /**
     * Per counter read live here (HTTP source, view updates): its samples, taken on each request. A stream's
     * events are counted by the lag probe, so its rate comes from the probe's samples ({@link LiveHub#streamRate}).
     */
    private static final Map<String, Rate> LIVE_COUNTERS = new ConcurrentHashMap<>();

    private Stats() {}

    private static Rate.Window sampled(String name, long value) {
        Rate r = LIVE_COUNTERS.computeIfAbsent(name, x -> new Rate());
        r.sample(System.currentTimeMillis(), value);
        return r.window();
    }

    /** {@code rate} (per second) and {@code rate_window}, the events and seconds it is computed from. */
    private static void putRate(Map<String, Object> m, Rate.Window w) {
        m.put("rate", w.perSecond());
        m.put("rate_window", Map.of("events", w.events(), "seconds", w.seconds()));
    }

    static Map<String, Object> of(Pipeline p, HttpIngest ingest, SluiceServer.Live live) {
        var hub = live.hub();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pipeline", p.name());
        Map<String, Object> sources = new LinkedHashMap<>();
        for (SourceDef s : p.sources().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("stream", s.stream());
            switch (s) {
                case SourceDef.Http h -> {
                    m.put("type", "http");
                    long n = ingest.accepted(h.stream());
                    m.put("events", n);
                    putRate(m, sampled(p.name() + "/source/" + s.name(), n));
                }
                case SourceDef.Kafka k -> {
                    m.put("type", "kafka");
                    m.put("topic", k.topic());
                }
                case SourceDef.Generator g -> {
                    m.put("type", "generator");
                    m.put("rate_target", g.ratePerSecond());
                }
            }
            sources.put(s.name(), m);
        }
        out.put("sources", sources);
        Map<String, Object> streams = new LinkedHashMap<>();
        for (StreamDef s : p.streams().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            long n = hub.streamEvents().getOrDefault(s.name(), 0L);
            m.put("events", n);
            putRate(m, hub.streamRate(s.name()));
            long lagEvents = 0;
            double lagSeconds = 0;
            for (ViewDef v : p.viewsOf(s.name())) {
                lagEvents = Math.max(lagEvents, hub.lagOf(v.name()).events());
                lagSeconds = Math.max(lagSeconds, hub.lagOf(v.name()).seconds());
            }
            m.put("lag_events", lagEvents);
            m.put("lag_seconds", lagSeconds);
            m.put("late", hub.topicRecords(p.lateTopic(s.name())));
            streams.put(s.name(), m);
        }
        out.put("streams", streams);
        out.put("dlq", hub.topicRecords(p.dlqTopic()));
        Map<String, Object> views = new LinkedHashMap<>();
        for (ViewDef v : p.views().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("from", v.from());
            long n = hub.updates(v.name());
            m.put("updates", n);
            putRate(m, sampled(p.name() + "/view/" + v.name(), n));
            var lag = hub.lagOf(v.name());
            m.put("lag_events", lag.events());
            m.put("lag_seconds", lag.seconds());
            m.put("stale", lag.seconds() * 1000 > v.sla().toMillis());
            m.put("sla_ms", v.sla().toMillis());
            Long wm = hub.watermark(v.name());
            m.put("watermark", wm == null ? null : EventTime.format(wm));
            m.put("latency_ms", hub.latency(v.name()));
            views.put(v.name(), m);
        }
        out.put("views", views);
        Map<String, Object> sinks = new LinkedHashMap<>();
        for (SinkDef s : p.sinks().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(
                    "type",
                    switch (s) {
                        case SinkDef.Kafka k -> "kafka";
                        case SinkDef.Postgres pg -> "postgres";
                        case SinkDef.DuckDb d -> "duckdb";
                        case SinkDef.ClickHouse c -> "clickhouse";
                        case SinkDef.Redis r -> "redis";
                    });
            m.put("inputs", s.inputs().isEmpty() ? allInputs(p, s) : s.inputs());
            sinks.put(s.name(), m);
        }
        out.put("sinks", sinks);
        out.put("processor", live.controls().processorState().get());
        out.put("live_clients", hub.clients());
        out.put("live_clients_dropped", hub.dropped());
        return out;
    }

    private static java.util.List<String> allInputs(Pipeline p, SinkDef s) {
        java.util.List<String> all = new java.util.ArrayList<>(p.streams().keySet());
        if (s instanceof SinkDef.Redis) {
            return new java.util.ArrayList<>(p.views().keySet());
        }
        if (!(s instanceof SinkDef.Kafka)) {
            all.addAll(p.views().keySet());
        }
        return all;
    }
}
