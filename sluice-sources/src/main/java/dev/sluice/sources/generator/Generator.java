package dev.sluice.sources.generator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SourceDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.sources.Admission;
import dev.sluice.sources.Uuid7;
import dev.sluice.wire.EventTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synthesises events from a stream's JSON Schema at a steady rate, for demos and load: enums pick a
 * value, numbers fall within their bounds, {@code date-time} strings are the clock's now (or the
 * past, for the share of events made late), the id field gets a UUIDv7, other strings get one of
 * {@code cardinality} values. Per-field overrides in the pipeline file ({@code values}, {@code min},
 * {@code max}, {@code cardinality}) shape the data. Generated events pass through the same
 * admission as any other source, so they obey the contract.
 */
public final class Generator implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Generator.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pipeline pipeline;
    private final SourceDef.Generator source;
    private final StreamDef stream;
    private final Admission admission;
    private final Producer<byte[], byte[]> producer;
    private final Clock clock;
    private final SplittableRandom random = new SplittableRandom();
    private volatile boolean running = true;

    private final ComponentMetrics metrics;

    public Generator(Pipeline pipeline, SourceDef.Generator source, Producer<byte[], byte[]> producer, Clock clock) {
        this(pipeline, source, producer, clock, PipelineMetrics.none());
    }

    public Generator(
            Pipeline pipeline,
            SourceDef.Generator source,
            Producer<byte[], byte[]> producer,
            Clock clock,
            PipelineMetrics metrics) {
        this.metrics = metrics.source(source.name());
        this.pipeline = pipeline;
        this.source = source;
        this.stream = pipeline.stream(source.stream());
        this.admission = new Admission(stream, clock);
        this.producer = producer;
        this.clock = clock;
    }

    public void stop() {
        running = false;
    }

    @Override
    public void run() {
        String topic = pipeline.streamTopic(stream.name());
        double rate = Math.max(source.ratePerSecond(), 0.001);
        long start = System.nanoTime();
        long sent = 0;
        while (running && (source.limit() == 0 || sent < source.limit())) {
            long due = start + (long) (sent * 1_000_000_000L / rate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            ObjectNode event = next();
            metrics.received(1);
            if (admission.admit(event, () -> Uuid7.next(clock).toString()) instanceof Admission.Accepted a) {
                ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, null, a.time(), a.key(), a.value());
                producer.send(rec, (md, ex) -> {
                    if (ex == null) {
                        metrics.emitted(1);
                    } else {
                        metrics.error(ComponentMetrics.INGEST);
                        LOG.warn("generator {}: Kafka refused an event: {}", source.name(), ex.toString());
                    }
                });
                if (random.nextDouble() < source.duplicateRatio()) {
                    producer.send(rec);
                }
            } else {
                metrics.refused(1);
                LOG.warn("generator {} made an event its stream refuses: {}", source.name(), event);
            }
            sent++;
        }
        producer.flush();
    }

    /** One synthetic event. */
    public ObjectNode next() {
        ObjectNode e = JSON.createObjectNode();
        JsonNode props = stream.schema().path("properties");
        Iterator<Map.Entry<String, JsonNode>> it = props.properties().iterator();
        boolean late = random.nextDouble() < source.lateRatio();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> p = it.next();
            String name = p.getKey();
            if (name.equals(stream.idField())) {
                continue;
            }
            JsonNode spec = p.getValue();
            JsonNode override = source.fields().get(name);
            e.set(name, value(name, spec, override, late));
        }
        return e;
    }

    private JsonNode value(String name, JsonNode spec, JsonNode override, boolean late) {
        if (override != null && override.has("values")) {
            JsonNode values = override.get("values");
            return values.get(random.nextInt(values.size()));
        }
        if (spec.has("enum")) {
            JsonNode values = spec.get("enum");
            return values.get(random.nextInt(values.size()));
        }
        String type = spec.path("type").asText("string");
        if (name.equals(stream.timeField())
                || "date-time".equals(spec.path("format").asText())) {
            long now = clock.millis();
            long t =
                    late ? now - 1 - random.nextLong(Math.max(1, source.lateBy().toMillis())) : now;
            return JSON.getNodeFactory().textNode(EventTime.format(t));
        }
        switch (type) {
            case "number", "integer" -> {
                double min = override != null && override.has("min")
                        ? override.get("min").asDouble()
                        : spec.has("minimum")
                                ? spec.get("minimum").asDouble()
                                : spec.has("exclusiveMinimum")
                                        ? spec.get("exclusiveMinimum").asDouble() + 1
                                        : 0;
                double max = override != null && override.has("max")
                        ? override.get("max").asDouble()
                        : spec.has("maximum") ? spec.get("maximum").asDouble() : min + 200;
                double v = min + random.nextDouble() * (max - min);
                return "integer".equals(type)
                        ? JSON.getNodeFactory().numberNode(Math.round(v))
                        : JSON.getNodeFactory().numberNode(Math.round(v * 100) / 100.0);
            }
            case "boolean" -> {
                return JSON.getNodeFactory().booleanNode(random.nextBoolean());
            }
            default -> {
                int cardinality = override != null && override.has("cardinality")
                        ? override.get("cardinality").asInt()
                        : 1000;
                return JSON.getNodeFactory()
                        .textNode(name.replace("_id", "") + "-" + random.nextInt(Math.max(1, cardinality)));
            }
        }
    }

    /** Convenience for tests and the load generator: n events. */
    public List<ObjectNode> next(int n) {
        List<ObjectNode> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }
}
