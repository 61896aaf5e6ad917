package dev.sluice.processor.window;

import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Expression;
import dev.sluice.pipeline.Expressions;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.processor.ParsedEvent;
import dev.sluice.processor.Routed;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.Unprocessable;
import dev.sluice.wire.ViewRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Per event and view: derive fields, filter, and key the event by its group, keeping only what the
 * aggregate needs as a {@link Prepared} record (id, time, measure inputs, the origin {@code topic/partition@offset},
 * and the raw event for the late and dead-letter topics). An expression that fails on an event, or a measure input
 * that is not a finite number, sends that event to the dead-letter topic; the view goes on.
 */
public final class PrepareView implements Processor<byte[], Routed, byte[], Routed> {
    private final ViewDef view;
    private final String sourceTimeField;
    private ProcessorContext<byte[], Routed> context;

    private final ComponentMetrics metrics;

    public PrepareView(ViewDef view) {
        this(view, null, PipelineMetrics.none());
    }

    /** @param sourceTimeField the stream's source timestamp field, or null to use the event time */
    public PrepareView(ViewDef view, String sourceTimeField, PipelineMetrics metrics) {
        this.metrics = metrics.view(view.name());
        this.view = view;
        this.sourceTimeField = sourceTimeField;
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.context = context;
    }

    /** The event's source time for latency; the event time when the field is absent or unreadable. */
    private long sourceTime(ParsedEvent e) {
        if (sourceTimeField == null || !e.event().hasNonNull(sourceTimeField)) {
            return e.time();
        }
        try {
            return dev.sluice.wire.EventTime.of(e.event(), sourceTimeField);
        } catch (RuntimeException ex) {
            return e.time();
        }
    }

    /** {@code topic/partition@offset} of the stream-topic record being prepared. */
    private String origin() {
        return context.recordMetadata()
                .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
                .orElse(null);
    }

    @Override
    public void process(Record<byte[], Routed> record) {
        ParsedEvent e = (ParsedEvent) record.value().value();
        metrics.received(1, e.raw().length);
        byte[] prepared;
        byte[] key;
        try {
            Map<String, Object> fields = Expressions.fieldsOf(e.event());
            for (Map.Entry<String, Expression> d : view.derive().entrySet()) {
                fields.put(d.getKey(), d.getValue().eval(fields));
            }
            if (view.filter() != null && !view.filter().test(fields)) {
                metrics.discarded(ComponentMetrics.FILTERED, 1);
                return;
            }
            List<Object> group = new ArrayList<>(view.groupBy().size());
            for (String g : view.groupBy()) {
                group.add(fields.get(g));
            }
            String groupKey = ViewRecord.groupKey(group);
            key = groupKey.getBytes(StandardCharsets.UTF_8);
            Map<String, Object> values = new LinkedHashMap<>();
            for (MeasureDef m : view.measures()) {
                if (m.field() != null) {
                    Object x = fields.get(m.field());
                    if (x instanceof Double d && !Double.isFinite(d)) {
                        // a derived field can overflow (amount * 1e300) or divide by zero
                        throw new Unprocessable(m.field(), "finite", m.field() + ": number out of range (not finite)");
                    }
                    values.put(m.field(), x);
                }
            }
            prepared = new Prepared(e.id(), e.time(), sourceTime(e), groupKey, origin(), values, e.raw()).encode();
            if (key.length + prepared.length > Routed.MAX_RECORD_BYTES) {
                throw new Unprocessable(
                        null,
                        "size",
                        "the event makes a record of " + (key.length + prepared.length) + " bytes for view "
                                + view.name() + ", more than " + Routed.MAX_RECORD_BYTES + ": shorten its fields");
            }
        } catch (Exception ex) {
            metrics.error(ComponentMetrics.PROCESS);
            metrics.discarded(ComponentMetrics.INVALID, 1);
            Unprocessable u = ex instanceof Unprocessable x ? x : null;
            var headers = DeadLetter.headers(
                    record.headers(),
                    "process",
                    view.from(),
                    u == null ? null : u.field(),
                    u == null ? "expression" : u.rule(),
                    (ex.getMessage() == null ? ex.toString() : ex.getMessage()) + DeadLetter.tooLargeNote(e.raw()),
                    origin());
            DeadLetter.put(headers, DeadLetter.VIEW, view.name());
            context.forward(
                    record.withValue(Routed.dlq(DeadLetter.value(e.raw()))).withHeaders(headers));
            return;
        }
        context.forward(record.withKey(key).withValue(Routed.next(prepared)));
    }
}
