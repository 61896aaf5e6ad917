package dev.sluice.sinks.clickhouse;

import static dev.sluice.sinks.clickhouse.ClickHouseHttp.ident;
import static dev.sluice.sinks.clickhouse.ClickHouseHttp.literal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.SinkBatch;
import dev.sluice.sinks.SinkConsumer;
import dev.sluice.sinks.SinkWriter;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.EventTime;
import dev.sluice.wire.ViewRecord;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes streams (raw events) and views (versioned rows) from Kafka into ClickHouse, in batches, so that nothing
 * is lost and nothing counts twice: the {@link SinkWriter} of a {@link dev.sluice.sinks.SinkLoop}, which reads and
 * batches the records.
 *
 * <p>ClickHouse has no transactions, so exactly-once comes from idempotent writes plus progress kept per partition,
 * the way ClickPipes does it:
 *
 * <ol>
 *   <li>a batch first records, per partition, the offset it reads up to as {@code pending} in
 *       {@code _sluice_progress};
 *   <li>then inserts the raw rows and the view rows, one insert per table;
 *   <li>then records the same offsets as {@code confirmed}.
 * </ol>
 *
 * On start (and after a failed write) the loop seeks to the confirmed offsets. Records below a partition's pending
 * offset may already be stored: that range is repaired by writing it again, and every write is idempotent. Raw
 * rows of the range whose id is stored are not inserted again; the raw table is a ReplacingMergeTree on the id as
 * well. For a stream that feeds rollups (materialized views count inserts, not rows) every batch's ids are looked
 * up, so each raw row is inserted once. A view row is replaced by a higher version (ReplacingMergeTree on {@code version}, read with
 * {@code FINAL}); a row rewritten at the same version is the same row. A late event is merged into its stored row
 * once: each row keeps the partition and offset of the record that last set it, and a late record at or below it
 * is already in.
 */
public final class ClickHouseSink implements SinkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Ids looked up per query; with ids of UUID length, about 40 KB of SQL. */
    static final int LOOKUP_SLICE = 1_000;

    private final Pipeline pipeline;
    private final SinkDef.ClickHouse def;
    private final ClickHouseStore store;
    private final ClickHouseHttp http;
    private final Clock clock;
    private final Map<String, StreamDef> rawTopics = new HashMap<>();
    private final Map<String, ViewDef> viewTopics = new HashMap<>();
    private final AtomicLong rowsWritten = new AtomicLong();
    private final AtomicLong repaired = new AtomicLong();
    private final ComponentMetrics metrics;
    /** Per partition, the offset below which records may already be stored (a batch not confirmed). */
    private final Map<TopicPartition, Long> pending = new HashMap<>();
    /** Streams feeding rollups: each raw row must be inserted once, as the materialized views count inserts. */
    private final Set<String> rollupStreams = new HashSet<>();

    public ClickHouseSink(Pipeline pipeline, ClickHouseStore store, Clock clock, PipelineMetrics metrics) {
        this.pipeline = pipeline;
        this.def = store.def();
        this.store = store;
        this.http = store.http();
        this.clock = clock;
        this.metrics = metrics.sink(def.name());
        for (StreamDef s : pipeline.streams().values()) {
            if (ClickHouseStore.writes(def, s.name())) {
                rawTopics.put(pipeline.streamTopic(s.name()), s);
            }
        }
        for (ViewDef v : pipeline.views().values()) {
            if (ClickHouseStore.writes(def, v.name())) {
                viewTopics.put(pipeline.viewTopic(v.name()), v);
            }
        }
        ClickHouseStore.rollupViews(pipeline, def).forEach(v -> rollupStreams.add(v.from()));
    }

    /** Rows written so far (raw and view). */
    public long rowsWritten() {
        return rowsWritten.get();
    }

    /** Raw rows found already stored while repairing a batch that was not confirmed. */
    public long repairedRows() {
        return repaired.get();
    }

    @Override
    public String describe() {
        return "clickhouse sink '" + def.name() + "'";
    }

    @Override
    public ComponentMetrics metrics() {
        return metrics;
    }

    @Override
    public List<String> topics() {
        List<String> topics = new ArrayList<>(rawTopics.keySet());
        topics.addAll(viewTopics.keySet());
        return topics;
    }

    /** Creates the tables, and returns the confirmed offsets; notes the pending ones to repair. */
    @Override
    public Map<TopicPartition, Long> open(List<TopicPartition> parts) throws IOException {
        store.createTables();
        Map<TopicPartition, Long> confirmed = new HashMap<>();
        Map<TopicPartition, Long> pend = new HashMap<>();
        String answer = http.query("SELECT topic, part, state, max(next_offset) FROM _sluice_progress WHERE sink = "
                + literal(def.name()) + " GROUP BY topic, part, state FORMAT TabSeparated");
        for (String line : answer.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            TopicPartition tp = new TopicPartition(f[0], Integer.parseInt(f[1]));
            ("confirmed".equals(f[2]) ? confirmed : pend).put(tp, Long.parseLong(f[3]));
        }
        pending.clear();
        for (TopicPartition tp : parts) {
            Long next = confirmed.get(tp);
            Long p = pend.get(tp);
            if (p != null && p > (next == null ? 0 : next)) {
                pending.put(tp, p);
                LOG.info(
                        "clickhouse sink '{}': {} offsets {}..{} were written but not confirmed; repairing them",
                        def.name(),
                        tp,
                        next == null ? 0 : next,
                        p - 1);
            }
        }
        return confirmed;
    }

    /** A view row as it will be written, with the partition and offset of the record that last set it. */
    private record Row(
            ViewDef view,
            long windowStart,
            long windowEnd,
            List<Object> group,
            long watermark,
            Accumulator state,
            int part,
            long offset) {}

    private record Raw(JsonNode event, boolean repair) {}

    /** Pending progress, the rows (one insert per table), confirmed progress: see the class comment. */
    @Override
    public void write(SinkBatch batch) throws IOException {
        Map<TopicPartition, Long> next = batch.nextOffsets();
        Map<StreamDef, Map<String, Raw>> raw = new LinkedHashMap<>();
        Map<String, Row> rows = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : batch.records()) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            StreamDef st = rawTopics.get(r.topic());
            if (st != null) {
                addRaw(raw, st, r, r.offset() < pending.getOrDefault(tp, -1L));
                continue;
            }
            ViewDef v = viewTopics.get(r.topic());
            if (v != null) {
                addView(rows, v, r);
            }
        }
        progress(next, "pending");
        long written = 0;
        for (Map.Entry<StreamDef, Map<String, Raw>> e : raw.entrySet()) {
            written += insertRaw(e.getKey(), e.getValue());
        }
        Map<ViewDef, List<Row>> byView = rows.values().stream()
                .collect(Collectors.groupingBy(Row::view, LinkedHashMap::new, Collectors.toList()));
        for (Map.Entry<ViewDef, List<Row>> e : byView.entrySet()) {
            insertView(e.getKey(), e.getValue());
            written += e.getValue().size();
        }
        progress(next, "confirmed");
        for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
            if (pending.containsKey(e.getKey()) && e.getValue() >= pending.get(e.getKey())) {
                pending.remove(e.getKey());
            }
        }
        rowsWritten.addAndGet(written);
        metrics.emitted(written);
    }

    private void addRaw(
            Map<StreamDef, Map<String, Raw>> raw, StreamDef st, ConsumerRecord<byte[], byte[]> r, boolean repair) {
        try {
            JsonNode e = JSON.readTree(r.value());
            JsonNode id = e.get(st.idField());
            if (id != null && !id.isNull()) {
                EventTime.of(e, st.timeField()); // a raw row needs its time
                raw.computeIfAbsent(st, x -> new LinkedHashMap<>()).putIfAbsent(id.asText(), new Raw(e, repair));
            }
        } catch (Exception ex) {
            metrics.discarded(ComponentMetrics.INVALID, 1);
            LOG.warn("skipping unreadable raw event {}/{}@{}: {}", r.topic(), r.partition(), r.offset(), ex.toString());
        }
    }

    private void addView(Map<String, Row> rows, ViewDef v, ConsumerRecord<byte[], byte[]> r) throws IOException {
        ViewRecord vr = SinkConsumer.decodeView(v, r, metrics);
        if (vr == null) {
            return;
        }
        String k = v.name() + "|" + vr.windowStart() + "|" + vr.groupKey();
        Row cur = rows.get(k);
        if (vr.kind() == ViewRecord.Kind.UPDATE) {
            if (cur == null || vr.version() > cur.state().version()) {
                rows.put(
                        k,
                        new Row(
                                v,
                                vr.windowStart(),
                                vr.windowEnd(),
                                vr.group(),
                                vr.watermark(),
                                vr.state(),
                                r.partition(),
                                r.offset()));
            }
            return;
        }
        if (cur == null) {
            cur = storedRow(v, vr);
        }
        if (cur.part() == r.partition() && cur.offset() >= r.offset()) {
            return; // this late event is already merged into the stored row
        }
        Accumulator merged = cur.state();
        merged.merge(vr.state());
        rows.put(
                k,
                new Row(
                        v,
                        vr.windowStart(),
                        vr.windowEnd(),
                        vr.group(),
                        Math.max(cur.watermark(), vr.watermark()),
                        merged,
                        r.partition(),
                        r.offset()));
    }

    /** The stored row a late event merges into, or an empty one. */
    private Row storedRow(ViewDef v, ViewRecord vr) throws IOException {
        String answer =
                http.query("SELECT hex(_state), _kafka_partition, _kafka_offset, watermark FROM " + ident(v.name())
                        + " FINAL WHERE window_start = toDateTime(" + Math.floorDiv(vr.windowStart(), 1000) + ")"
                        + " AND _group_key = " + literal(vr.groupKey()) + " FORMAT TabSeparated");
        String line = answer.strip();
        if (line.isEmpty()) {
            return new Row(
                    v,
                    vr.windowStart(),
                    vr.windowEnd(),
                    vr.group(),
                    vr.watermark(),
                    new Accumulator(v.measures()),
                    -1,
                    -1);
        }
        String[] f = line.split("\t");
        Accumulator acc = Accumulator.fromBytes(v.measures(), HexFormat.of().parseHex(f[0]));
        return new Row(
                v,
                vr.windowStart(),
                vr.windowEnd(),
                vr.group(),
                Long.parseLong(f[3]),
                acc,
                Integer.parseInt(f[1]),
                Long.parseLong(f[2]));
    }

    private void progress(Map<TopicPartition, Long> next, String state) throws IOException {
        RowBinary b = new RowBinary();
        long now = clock.millis();
        for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
            b.string(def.name());
            b.string(e.getKey().topic());
            b.int32(e.getKey().partition());
            b.string(state);
            b.int64(e.getValue());
            b.dateTime(now);
            b.endRow();
        }
        http.insert("_sluice_progress", "sink, topic, part, state, next_offset, at", b.bytes());
    }

    private long insertRaw(StreamDef st, Map<String, Raw> events) throws IOException {
        boolean all = rollupStreams.contains(st.name());
        List<String> repair = events.entrySet().stream()
                .filter(e -> all || e.getValue().repair())
                .map(Map.Entry::getKey)
                .toList();
        Set<String> stored = new HashSet<>();
        if (!repair.isEmpty()) {
            // in slices: the whole statement must stay under the server's max_query_size (256 KiB by default)
            for (int i = 0; i < repair.size(); i += LOOKUP_SLICE) {
                String in = repair.subList(i, Math.min(i + LOOKUP_SLICE, repair.size())).stream()
                        .map(ClickHouseHttp::literal)
                        .collect(Collectors.joining(", "));
                String answer = http.query("SELECT " + ident(st.idField()) + " FROM " + ident(st.name()) + " WHERE "
                        + ident(st.idField()) + " IN (" + in + ") FORMAT TSVRaw");
                for (String id : answer.split("\n")) {
                    if (!id.isEmpty()) {
                        stored.add(id);
                    }
                }
            }
            long inRepair = events.entrySet().stream()
                    .filter(e -> e.getValue().repair() && stored.contains(e.getKey()))
                    .count();
            repaired.addAndGet(inRepair);
        }
        List<ClickHouseStore.Column> cols = ClickHouseStore.rawColumns(st);
        RowBinary b = new RowBinary();
        for (Map.Entry<String, Raw> e : events.entrySet()) {
            if (stored.contains(e.getKey())) {
                continue;
            }
            JsonNode ev = e.getValue().event();
            long time = EventTime.of(ev, st.timeField());
            for (ClickHouseStore.Column c : cols) {
                if (c.type() == ClickHouseStore.Type.TIME) {
                    b.dateTime(time);
                } else if (c.name().equals(st.idField())) {
                    b.string(e.getKey());
                } else {
                    JsonNode v = ev.get(c.name());
                    if (b.present(v == null || v.isNull() ? null : v)) {
                        switch (c.type()) {
                            case INT -> b.int64(v.asLong());
                            case FLOAT -> b.float64(v.asDouble());
                            case BOOL -> b.uint8(v.asBoolean() ? 1 : 0);
                            default -> b.string(v.isTextual() ? v.textValue() : v.toString());
                        }
                    }
                }
            }
            b.int64(time);
            b.endRow();
        }
        if (b.rows() == 0) {
            return 0;
        }
        String names = cols.stream().map(c -> ident(c.name())).collect(Collectors.joining(", ")) + ", _time_ms";
        http.insert(ident(st.name()), names, b.bytes());
        return b.rows();
    }

    private void insertView(ViewDef v, List<Row> rows) throws IOException {
        List<ClickHouseStore.Column> cols = ClickHouseStore.viewColumns(pipeline, v);
        int groups = v.groupBy().size();
        long now = clock.millis();
        RowBinary b = new RowBinary();
        for (Row r : rows) {
            b.dateTime(r.windowStart());
            b.dateTime(r.windowEnd());
            for (int i = 0; i < groups; i++) {
                value(b, cols.get(2 + i), r.group().get(i));
            }
            for (int i = 0; i < v.measures().size(); i++) {
                value(b, cols.get(2 + groups + i), r.state().result(i));
            }
            b.int64(r.state().version());
            b.int64(r.watermark());
            b.dateTime(now);
            b.string(ViewRecord.groupKey(r.group()));
            b.bytes(r.state().toBytes());
            b.int32(r.part());
            b.int64(r.offset());
            b.endRow();
        }
        String names = cols.stream().map(c -> ident(c.name())).collect(Collectors.joining(", "))
                + ", version, watermark, updated_at, _group_key, _state, _kafka_partition, _kafka_offset";
        http.insert(ident(v.name()), names, b.bytes());
    }

    private static void value(RowBinary b, ClickHouseStore.Column c, Object v) {
        if (c.nullable() && !b.present(v)) {
            return;
        }
        switch (c.type()) {
            case INT -> b.int64(v == null ? 0 : ((Number) v).longValue());
            case FLOAT -> b.float64(((Number) v).doubleValue());
            case BOOL -> b.uint8(Boolean.TRUE.equals(v) ? 1 : 0);
            default -> b.string(String.valueOf(v));
        }
    }
}
