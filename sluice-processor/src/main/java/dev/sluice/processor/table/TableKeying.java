package dev.sluice.processor.table;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.TableDef;
import dev.sluice.processor.ParsedEvent;
import dev.sluice.processor.Routed;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.ViewRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The first half of a table, in the task of a stream partition: each new event becomes the table row it would
 * make, keyed by the table's key (the JSON array of the key fields' values, as a view's group is keyed), to be
 * moved to the task owning the key ({@link TableRows}). The row is the table topic's record value: {@code
 * {"key":{...},"value":{...},"time":<event time, epoch ms>}}; the value holds the table's fields (every field of
 * the event when it names none), a field the event lacks as null. An event without a value for a key field
 * goes to the dead-letter topic with the reason.
 *
 * <p>The record forwarded is {@link TableRow#encode}: the event time in front of the row's JSON, so the owner
 * compares times without parsing.
 */
public final class TableKeying implements Processor<byte[], Routed, byte[], Routed> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TableDef table;
    private final ComponentMetrics metrics;
    private ProcessorContext<byte[], Routed> context;

    public TableKeying(TableDef table, PipelineMetrics metrics) {
        this.table = table;
        this.metrics = metrics.table(table.name());
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], Routed> record) {
        ParsedEvent e = (ParsedEvent) record.value().value();
        metrics.received(1, e.raw().length);
        List<Object> keyValues = new ArrayList<>(table.key().size());
        Map<String, Object> key = new LinkedHashMap<>();
        for (String k : table.key()) {
            Object v = e.fields().get(k);
            if (v == null) {
                deadLetter(record, e, k);
                return;
            }
            keyValues.add(v);
            key.put(k, v);
        }
        Map<String, Object> value;
        if (table.fields().isEmpty()) {
            value = e.fields();
        } else {
            value = new LinkedHashMap<>();
            for (String f : table.fields()) {
                value.put(f, e.fields().get(f));
            }
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("key", key);
        row.put("value", value);
        row.put("time", e.time());
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(row);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        metrics.emitted(1);
        context.forward(new Record<>(
                ViewRecord.groupKey(keyValues).getBytes(StandardCharsets.UTF_8),
                Routed.next(TableRow.encode(e.time(), json)),
                Math.max(0, e.time()),
                record.headers()));
    }

    private void deadLetter(Record<byte[], Routed> record, ParsedEvent e, String field) {
        metrics.error(ComponentMetrics.PROCESS);
        metrics.discarded(ComponentMetrics.INVALID, 1);
        var headers = DeadLetter.headers(
                record.headers(),
                "process",
                table.from(),
                field,
                "required",
                "table " + table.name() + ": key field '" + field + "' has no value",
                context.recordMetadata()
                        .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
                        .orElse(null));
        DeadLetter.put(headers, DeadLetter.TABLE, table.name());
        context.forward(record.withValue(Routed.dlq(DeadLetter.value(e.raw()))).withHeaders(headers));
    }
}
