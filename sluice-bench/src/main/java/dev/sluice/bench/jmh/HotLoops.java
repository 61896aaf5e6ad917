package dev.sluice.bench.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.cli.loadgen.Events;
import dev.sluice.pipeline.Expressions;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.wire.Accumulator;
import dev.sluice.wire.EventTime;
import dev.sluice.wire.ViewRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The processor's per-event work, piece by piece, on the ecommerce example's own events (bench/jmh.sh): what
 * dedupe does before its state store (parse the event, read its id and time), what the view's prepare step does
 * (fields and filter), the window update (the row's state from bytes, add the event, back to bytes), and
 * encoding and decoding the view record every update produces.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotLoops {
    static final ObjectMapper JSON = new ObjectMapper();

    ViewDef view;
    List<byte[]> raw;
    List<JsonNode> events;
    List<Map<String, Object>> values;
    byte[] state;
    ViewRecord record;
    byte[] encoded;
    int i;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        Path home = Path.of(System.getProperty("sluice.home", ".")).toAbsolutePath();
        Pipeline p = PipelineLoader.withSystemEnv().load(home.resolve("examples/ecommerce/pipeline.yaml"));
        view = p.views().get("gmv_by_country");
        raw = new ArrayList<>();
        events = new ArrayList<>();
        values = new ArrayList<>();
        for (Events.Record r : Events.valid(
                home.resolve("examples/ecommerce/loadgen.yaml"), 4096, 1, 10_000, System.currentTimeMillis())) {
            raw.add(r.value());
            events.add(r.event());
            values.add(Map.of(
                    "amount",
                    r.event().get("amount").asDouble(),
                    "user_id",
                    r.event().get("user_id").asText()));
        }
        // a row that has seen a few hundred buyers: its count_distinct sketch is past its smallest form
        Accumulator acc = new Accumulator(view.measures());
        for (int k = 0; k < 500; k++) {
            acc.add(values.get(k));
        }
        state = acc.toBytes();
        record = new ViewRecord(
                ViewRecord.Kind.UPDATE, 0, 60_000, List.of("DE", "EUR"), acc.version(), 0, null, acc, 1, 2);
        encoded = record.encode(view);
    }

    private int next() {
        i = (i + 1) & 4095;
        return i;
    }

    /** Dedupe before its store: parse the event, read its id and its time. */
    @Benchmark
    public long parseEventAndTime() throws Exception {
        JsonNode e = JSON.readTree(raw.get(next()));
        return e.get("event_id").asText().length() + EventTime.of(e, "created_at");
    }

    /** Prepare: the event's fields and the view's filter. */
    @Benchmark
    public boolean fieldsAndFilter() {
        Map<String, Object> f = Expressions.fieldsOf(events.get(next()));
        return view.filter().test(f);
    }

    /** Window update: the row's state from bytes, one event added, back to bytes. */
    @Benchmark
    public byte[] windowUpdate() {
        Accumulator acc = Accumulator.fromBytes(view.measures(), state);
        acc.add(values.get(next()));
        return acc.toBytes();
    }

    /** The view record of an update, encoded. */
    @Benchmark
    public byte[] encodeViewRecord() {
        return record.encode(view);
    }

    /** The view record of an update, decoded (the live hub and the sink each do it). */
    @Benchmark
    public ViewRecord decodeViewRecord() {
        return ViewRecord.decode(view, encoded);
    }
}
