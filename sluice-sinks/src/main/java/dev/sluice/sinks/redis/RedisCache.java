package dev.sluice.sinks.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.SinkConsumer;
import dev.sluice.sinks.ViewCache;
import dev.sluice.sinks.ViewStore;
import dev.sluice.wire.EventTime;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPooled;

/**
 * Views' latest windows cached in Redis for dashboards with many viewers: every {@code refresh} the cache is
 * rewritten from the pipeline's store (DuckDB or ClickHouse), one key per view,
 * {@code sluice:<pipeline>:view:<view>}, holding a JSON document:
 *
 * <pre>{"view": ..., "refreshed_ms": ..., "from_ms": ..., "rows": [...]}</pre>
 *
 * {@code from_ms} is the first window start cached (null for a view without window: all its rows are). The rows
 * are those the query API answers from the store. When {@code serve} is on, the query API answers a request from
 * here if the request starts at or after {@code from_ms}, with the cache's age.
 */
public final class RedisCache implements Runnable, ViewCache, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pipeline pipeline;
    private final SinkDef.Redis def;
    private final ViewStore store;
    private final Clock clock;
    private final ComponentMetrics metrics;
    private final JedisPooled redis;
    private final List<ViewDef> views = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean lastRefreshOk = false;
    private volatile long refreshes;

    public RedisCache(Pipeline pipeline, SinkDef.Redis def, ViewStore store, Clock clock, PipelineMetrics metrics) {
        this.pipeline = pipeline;
        this.def = def;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics.sink(def.name());
        this.redis = new JedisPooled(URI.create(def.url()), 5_000);
        for (ViewDef v : pipeline.views().values()) {
            if (def.inputs().isEmpty() || def.inputs().contains(v.name())) {
                views.add(v);
            }
        }
    }

    /** The Redis key of a view's cache. */
    public static String key(Pipeline pipeline, String view) {
        return "sluice:" + pipeline.name() + ":view:" + view;
    }

    /** True when the last refresh wrote every view. */
    public boolean writing() {
        return lastRefreshOk;
    }

    /** Refreshes done so far (all views each). */
    public long refreshes() {
        return refreshes;
    }

    @Override
    public void run() {
        try {
            while (running) {
                refresh();
                SinkConsumer.pause(def.refresh().toMillis(), () -> running);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    /** Rewrites every view's cache from the store now. */
    public void refresh() {
        boolean ok = true;
        for (ViewDef v : views) {
            try {
                Long latest = store.latestWindow(v);
                Long from = null;
                if (v.window() != null) {
                    long step = v.window().advance().toMillis();
                    // no window yet: the cache covers no request (Long.MAX_VALUE), rather than all of them
                    from = latest == null ? Long.MAX_VALUE : latest - (def.windows() - 1) * step;
                }
                List<Map<String, Object>> rows =
                        from != null && from == Long.MAX_VALUE ? List.of() : store.queryView(v, from, null, Map.of());
                ObjectNode doc = JsonNodeFactory.instance.objectNode();
                doc.put("view", v.name());
                doc.put("refreshed_ms", clock.millis());
                if (from == null) {
                    doc.putNull("from_ms");
                } else {
                    doc.put("from_ms", from);
                }
                doc.set("rows", JSON.valueToTree(rows));
                redis.set(key(pipeline, v.name()), JSON.writeValueAsString(doc));
                metrics.emitted(rows.size());
            } catch (Exception e) {
                ok = false;
                metrics.error(ComponentMetrics.WRITE);
                LOG.warn("redis cache '{}': refreshing view '{}' failed: {}", def.name(), v.name(), e.toString());
            }
        }
        lastRefreshOk = ok;
        refreshes++;
    }

    @Override
    public Optional<Cached> read(ViewDef view, Long from, Long to, Map<String, String> where) {
        if (!def.serve() || !views.contains(view)) {
            return Optional.empty();
        }
        JsonNode doc;
        try {
            String text = redis.get(key(pipeline, view.name()));
            if (text == null) {
                return Optional.empty();
            }
            doc = JSON.readTree(text);
        } catch (Exception e) {
            LOG.debug("redis cache '{}' unreadable, answering from the store: {}", def.name(), e.toString());
            return Optional.empty();
        }
        JsonNode fromMs = doc.path("from_ms");
        if (!fromMs.isNull() && !fromMs.isMissingNode() && (from == null || from < fromMs.asLong())) {
            return Optional.empty(); // the request reaches before the cached windows
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JsonNode r : doc.path("rows")) {
            long ws = EventTime.of(r, "window_start");
            if ((from != null && ws < from) || (to != null && ws >= to)) {
                continue;
            }
            boolean match = true;
            for (Map.Entry<String, String> w : where.entrySet()) {
                JsonNode v = r.get(w.getKey());
                if (v == null || v.isNull() || !matches(v, w.getValue())) {
                    match = false;
                    break;
                }
            }
            if (match) {
                @SuppressWarnings("unchecked")
                Map<String, Object> row = JSON.convertValue(r, Map.class);
                rows.add(row);
            }
        }
        return Optional.of(new Cached(
                rows, Math.max(0, clock.millis() - doc.path("refreshed_ms").asLong())));
    }

    private static boolean matches(JsonNode v, String wanted) {
        if (v.isNumber()) {
            try {
                return v.asDouble() == Double.parseDouble(wanted.strip());
            } catch (NumberFormatException e) {
                return false;
            }
        }
        if (v.isBoolean()) {
            return v.asBoolean() == Boolean.parseBoolean(wanted.strip());
        }
        return v.asText().equals(wanted);
    }

    @Override
    public void close() {
        running = false;
        try {
            stopped.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        redis.close();
    }
}
