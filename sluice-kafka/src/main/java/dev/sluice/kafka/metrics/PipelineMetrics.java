package dev.sluice.kafka.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A pipeline's meters, on the registry the server exposes at {@code /metrics}: one {@link ComponentMetrics} per
 * source, stream, view and sink, and the per-view histograms. Names and labels: docs/metrics.md.
 */
public final class PipelineMetrics {
    private final MeterRegistry registry;
    private final Map<String, ComponentMetrics> components = new ConcurrentHashMap<>();
    private final Map<String, Timer> processing = new ConcurrentHashMap<>();

    /** @param registry carries the {@code pipeline} common tag */
    public PipelineMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Meters that go nowhere, for tests and tools that run a topology without a server. */
    public static PipelineMetrics none() {
        return new PipelineMetrics(new SimpleMeterRegistry());
    }

    public MeterRegistry registry() {
        return registry;
    }

    public ComponentMetrics source(String name) {
        return component("source", name);
    }

    public ComponentMetrics stream(String name) {
        return component("stream", name);
    }

    public ComponentMetrics view(String name) {
        return component("view", name);
    }

    public ComponentMetrics table(String name) {
        return component("table", name);
    }

    public ComponentMetrics sink(String name) {
        return component("sink", name);
    }

    private ComponentMetrics component(String kind, String name) {
        return components.computeIfAbsent(kind + "/" + name, k -> new ComponentMetrics(registry, kind, name));
    }

    /** Time the processor spends on one event of a view. */
    public Timer processing(String view) {
        return processing.computeIfAbsent(
                view,
                v -> histogram(
                                Timer.builder("sluice.view.processing")
                                        .description("time the processor spends on one event of the view"),
                                Duration.ofNanos(1_000),
                                Duration.ofSeconds(1))
                        .tag("view", v)
                        .register(registry));
    }

    /** Source time → {@code stage} ({@code emitted} or {@code pushed}) for a view's updates. */
    public Timer endToEnd(String view, String stage) {
        return histogram(
                        Timer.builder("sluice.end.to.end.latency")
                                .description("from the event's source time to the update emitted or pushed"),
                        Duration.ofMillis(1),
                        Duration.ofHours(1))
                .tags("view", view, "stage", stage)
                .register(registry);
    }

    private static Timer.Builder histogram(Timer.Builder b, Duration min, Duration max) {
        return b.publishPercentileHistogram().minimumExpectedValue(min).maximumExpectedValue(max);
    }
}
