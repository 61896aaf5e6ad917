package dev.sluice.kafka.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The counters every source, stream, view and sink has (see docs/metrics.md): events received, emitted,
 * refused, discarded by reason, errors by stage, bytes received. All are registered up front at 0.
 */
public final class ComponentMetrics {
    /** Why an event was not passed on. */
    public static final String DUPLICATE = "duplicate";

    public static final String LATE = "late";
    public static final String INVALID = "invalid";
    public static final String FILTERED = "filtered";

    private static final String[] REASONS = {DUPLICATE, LATE, INVALID, FILTERED};

    /** Where an error happened. */
    public static final String INGEST = "ingest";

    public static final String DECODE = "decode";
    public static final String PROCESS = "process";
    public static final String WRITE = "write";

    private static final String[] STAGES = {INGEST, DECODE, PROCESS, WRITE};

    private final Counter received;
    private final Counter emitted;
    private final Counter refused;
    private final Counter bytes;
    private final Map<String, Counter> discarded = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();

    ComponentMetrics(MeterRegistry registry, String component, String name) {
        Tags tags = Tags.of("component", component, "name", name);
        received = counter(registry, "sluice.events.received", tags, "events that reached the component");
        emitted = counter(registry, "sluice.events.emitted", tags, "events the component passed on");
        refused = counter(registry, "sluice.events.refused", tags, "events refused back to the producer");
        bytes = counter(registry, "sluice.bytes.received", tags, "bytes of the events received");
        for (String r : REASONS) {
            discarded.put(
                    r,
                    counter(
                            registry,
                            "sluice.events.discarded",
                            tags.and("reason", r),
                            "events not passed on, by reason"));
        }
        for (String s : STAGES) {
            errors.put(s, counter(registry, "sluice.errors", tags.and("stage", s), "failures, by stage"));
        }
    }

    private static Counter counter(MeterRegistry registry, String name, Tags tags, String help) {
        return Counter.builder(name).tags(tags).description(help).register(registry);
    }

    public void received(long n) {
        received.increment(n);
    }

    public void received(long n, long byteCount) {
        received.increment(n);
        bytes.increment(byteCount);
    }

    public void emitted(long n) {
        emitted.increment(n);
    }

    public void refused(long n) {
        refused.increment(n);
    }

    /** @param reason one of {@link #DUPLICATE}, {@link #LATE}, {@link #INVALID}, {@link #FILTERED} */
    public void discarded(String reason, long n) {
        discarded.get(reason).increment(n);
    }

    /** @param stage one of {@link #INGEST}, {@link #DECODE}, {@link #PROCESS}, {@link #WRITE} */
    public void error(String stage) {
        errors.get(stage).increment();
    }

    public double receivedCount() {
        return received.count();
    }

    public double emittedCount() {
        return emitted.count();
    }
}
