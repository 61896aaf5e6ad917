package dev.sluice.server;

import dev.sluice.kafka.metrics.ConsumerLag;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.kafka.metrics.WaitingRecords;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.server.live.LiveHub;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running pipeline's metrics (docs/metrics.md): the Prometheus registry every component counts into, the
 * gauges read from the live hub, JVM and process binders, and consumer lag sampled every second.
 */
public final class Observability implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Observability.class);

    private final PrometheusMeterRegistry registry;
    private final PipelineMetrics metrics;
    private final WaitingRecords waiting;
    private final ConsumerLag lag;
    private final Clock clock;
    private JvmGcMetrics gc;
    private Thread sampler;
    private volatile boolean running = true;

    public Observability(Pipeline pipeline, Admin admin, String bootstrap, Clock clock) {
        this.clock = clock;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("pipeline", pipeline.name());
        this.metrics = new PipelineMetrics(registry);
        List<String> groups = new ArrayList<>();
        groups.add(pipeline.applicationId());
        for (SinkDef s : pipeline.sinks().values()) {
            if (s instanceof SinkDef.DuckDb || s instanceof SinkDef.Postgres || s instanceof SinkDef.ClickHouse) {
                groups.add(sinkGroup(pipeline, s.name()));
            }
        }
        this.waiting = new WaitingRecords(bootstrap);
        this.lag = new ConsumerLag(admin, waiting, groups, clock);
        // every component shows its whole set from the start, not only once it counted something
        pipeline.sources().keySet().forEach(metrics::source);
        pipeline.streams().keySet().forEach(metrics::stream);
        pipeline.views().keySet().forEach(v -> {
            metrics.view(v);
            metrics.processing(v);
        });
        pipeline.sinks().keySet().forEach(metrics::sink);
        new JvmMemoryMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The consumer group of a sink that reads from Kafka. */
    public static String sinkGroup(Pipeline pipeline, String sink) {
        return pipeline.applicationId() + "-sink-" + sink;
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    public ConsumerLag lag() {
        return lag;
    }

    /** Gauges over the live hub's figures and readiness; call once both exist. */
    public void bind(Pipeline pipeline, LiveHub hub, Health health) {
        for (ViewDef v : pipeline.views().values()) {
            String n = v.name();
            Gauge.builder("sluice.watermark.timestamp", hub, h -> {
                        Long wm = h.watermark(n);
                        return wm == null ? 0 : wm / 1000.0;
                    })
                    .tag("view", n)
                    .baseUnit("seconds")
                    .description("the view's watermark, epoch seconds")
                    .register(registry);
            Gauge.builder("sluice.watermark.lag", hub, h -> {
                        Long wm = h.watermark(n);
                        return wm == null ? 0 : Math.max(0, clock.millis() - wm) / 1000.0;
                    })
                    .tag("view", n)
                    .baseUnit("seconds")
                    .description("wall clock minus the view's watermark")
                    .register(registry);
            Gauge.builder("sluice.view.lag.events", hub, h -> h.lagOf(n).events())
                    .tag("view", n)
                    .description("events of the view's input topics the processor has not committed")
                    .register(registry);
            Gauge.builder("sluice.view.lag", hub, h -> h.lagOf(n).seconds())
                    .tag("view", n)
                    .baseUnit("seconds")
                    .description("how long the oldest uncommitted input event has waited")
                    .register(registry);
            Gauge.builder("sluice.view.sla", v, x -> x.sla().toMillis() / 1000.0)
                    .tag("view", n)
                    .baseUnit("seconds")
                    .description("the view's SLA from the pipeline file")
                    .register(registry);
            Gauge.builder(
                            "sluice.view.stale",
                            hub,
                            h -> h.lagOf(n).seconds() * 1000 > v.sla().toMillis() ? 1 : 0)
                    .tag("view", n)
                    .description("1 while the view's lag is over its SLA")
                    .register(registry);
        }
        FunctionCounter.builder("sluice.dead.letter.records", hub, h -> h.topicRecords(pipeline.dlqTopic()))
                .description("records committed to the dead-letter topic")
                .register(registry);
        for (String s : pipeline.streams().keySet()) {
            FunctionCounter.builder("sluice.late.events", hub, h -> h.topicRecords(pipeline.lateTopic(s)))
                    .tag("stream", s)
                    .description("records committed to the stream's late topic")
                    .register(registry);
        }
        Gauge.builder("sluice.live.clients", hub, LiveHub::clients)
                .description("connected SSE and WebSocket clients")
                .register(registry);
        FunctionCounter.builder("sluice.live.clients.dropped", hub, LiveHub::dropped)
                .description("live clients disconnected for staying behind")
                .register(registry);
        Gauge.builder("sluice.ready", health, h -> h.ready() ? 1 : 0)
                .description("1 when /health/ready answers 200")
                .register(registry);
    }

    /** Samples consumer lag every second (the lag-in-seconds estimate needs the history). */
    public void start() {
        sampler = Thread.ofPlatform().daemon().name("sluice-lag-sampler").start(() -> {
            while (running) {
                try {
                    lag.sample();
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    LOG.debug("lag sample failed: {}", e.toString());
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /**
     * The Prometheus text: every meter, then the consumer-lag families from the sampler's last sample (at most a
     * second old). A scrape never waits for the broker, so it answers in time while the broker is down.
     */
    public String scrape() {
        return registry.scrape() + lag.prometheus(lag.latest());
    }

    /** {@code GET /v1/lag}: the same figures as JSON, per group. */
    public Map<String, Object> lagJson() throws Exception {
        List<ConsumerLag.PartitionLag> all = lag.sample();
        List<Map<String, Object>> groups = new ArrayList<>();
        for (String g : lag.groups()) {
            List<Map<String, Object>> parts = new ArrayList<>();
            long total = 0;
            double seconds = 0;
            for (ConsumerLag.PartitionLag p : all) {
                if (!p.group().equals(g)) {
                    continue;
                }
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("topic", p.topic());
                m.put("partition", p.partition());
                m.put("current_offset", p.currentOffset());
                m.put("log_end_offset", p.logEndOffset());
                m.put("lag", p.lag());
                m.put("lag_seconds", p.lagSeconds());
                parts.add(m);
                total += p.lag();
                seconds = Math.max(seconds, p.lagSeconds());
            }
            Map<String, Object> gm = new java.util.LinkedHashMap<>();
            gm.put("group", g);
            gm.put("lag", total);
            gm.put("lag_seconds", seconds);
            gm.put("partitions", parts);
            groups.add(gm);
        }
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("at", java.time.Instant.ofEpochMilli(clock.millis()).toString());
        out.put("groups", groups);
        return out;
    }

    @Override
    public void close() {
        running = false;
        if (sampler != null) {
            sampler.interrupt();
        }
        if (gc != null) {
            gc.close();
        }
        registry.close();
        waiting.close();
    }
}
