package dev.sluice.processor.dedupe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.processor.ParsedEvent;
import dev.sluice.processor.Routed;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.EventTime;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Drops events whose id was already seen within the stream's dedup horizon.
 *
 * <p>Ids are remembered in a window store indexed by event time, so memory is bounded by the
 * horizon: an id is forgotten once the stream's time has moved more than the horizon past it.
 * Duplicates of one event share its key, so they meet in the same partition and the same store.
 * Whatever slips past (a duplicate later than the horizon) is still caught by the sinks, which
 * write raw events idempotently by id.
 */
public final class Dedupe implements Processor<byte[], byte[], byte[], Routed> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StreamDef stream;
    private final String storeName;
    private final long horizonMs;
    private ProcessorContext<byte[], Routed> context;
    private WindowStore<String, Long> seen;

    private final ComponentMetrics metrics;

    public Dedupe(StreamDef stream, String storeName) {
        this(stream, storeName, PipelineMetrics.none());
    }

    public Dedupe(StreamDef stream, String storeName, PipelineMetrics metrics) {
        this.metrics = metrics.stream(stream.name());
        this.stream = stream;
        this.storeName = storeName;
        this.horizonMs = stream.dedupHorizon().toMillis();
    }

    public static StoreBuilder<WindowStore<String, Long>> store(String name, Duration horizon) {
        return Stores.windowStoreBuilder(
                Stores.persistentWindowStore(name, horizon, Duration.ofMillis(1), false),
                Serdes.String(),
                Serdes.Long());
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.context = context;
        this.seen = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        metrics.received(1, record.value() == null ? 0 : record.value().length);
        ParsedEvent event;
        try {
            JsonNode node = JSON.readTree(record.value());
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            JsonNode id = node.get(stream.idField());
            if (id == null || id.isNull() || id.asText().isEmpty()) {
                throw new IllegalArgumentException("id field '" + stream.idField() + "' is missing");
            }
            event = new ParsedEvent(id.asText(), EventTime.of(node, stream.timeField()), node, record.value());
        } catch (Exception e) {
            metrics.error(ComponentMetrics.DECODE);
            metrics.discarded(ComponentMetrics.INVALID, 1);
            context.forward(record.withValue(Routed.dlq(DeadLetter.value(record.value())))
                    .withHeaders(DeadLetter.headers(
                            record.headers(),
                            "process",
                            stream.name(),
                            null,
                            "event",
                            (e.getMessage() == null ? e.toString() : e.getMessage())
                                    + DeadLetter.tooLargeNote(record.value()),
                            origin())));
            return;
        }
        long t = event.time();
        try (WindowStoreIterator<Long> it = seen.fetch(event.id(), t - horizonMs, t + horizonMs)) {
            if (it.hasNext()) {
                metrics.discarded(ComponentMetrics.DUPLICATE, 1);
                return;
            }
        }
        seen.put(event.id(), t, t);
        metrics.emitted(1);
        context.forward(record.withValue(Routed.next(event)));
    }

    private String origin() {
        return context.recordMetadata()
                .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
                .orElse(null);
    }
}
