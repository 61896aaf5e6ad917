package dev.sluice.processor.topology;

import static dev.sluice.processor.topology.SalesTopology.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.Expression;
import dev.sluice.pipeline.Expressions;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import dev.sluice.wire.DeadLetter;
import dev.sluice.wire.ViewRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/semantics.md rule 6 on the processor topology: each kind of event the processor cannot use goes to the
 * dead-letter topic unchanged, with where it came from, and is counted; the events around it are counted as usual.
 */
class PoisonRoutingTest {
    static final List<MeasureDef> COUNT = List.of(new MeasureDef("n", MeasureDef.Kind.COUNT, null));

    @TempDir
    Path stateDir;

    static ViewDef view(Map<String, Expression> derive) {
        return new ViewDef(
                "v", "sales", derive, null, WindowDef.tumbling(Duration.ofMinutes(1), Duration.ZERO), List.of(), COUNT);
    }

    @Test
    void eventsTheStreamCannotReadAreDeadLetteredUnchangedWithTheirOrigin() {
        List<String> poison = List.of(
                "{not json",
                "[1,2]",
                "\"text\"",
                "{\"t\":" + T0 + "}",
                "{\"id\":null,\"t\":" + T0 + "}",
                "{\"id\":\"\",\"t\":" + T0 + "}",
                "{\"id\":\"a\"}",
                "{\"id\":\"b\",\"t\":\"noon\"}");
        try (SalesTopology s = new SalesTopology(stateDir, Duration.ofHours(1), view(new LinkedHashMap<>()))) {
            s.send("ok1", T0, "DE", 1);
            for (String p : poison) {
                s.sendJson(p, T0);
            }
            s.send("ok2", T0 + 1, "DE", 1);

            List<TestRecord<byte[], byte[]>> dlq = s.dlq();
            assertThat(dlq)
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(poison);
            for (int i = 0; i < dlq.size(); i++) {
                var h = dlq.get(i).headers();
                assertThat(DeadLetter.get(h, DeadLetter.STAGE)).isEqualTo("process");
                assertThat(DeadLetter.get(h, DeadLetter.STREAM)).isEqualTo("sales");
                assertThat(DeadLetter.get(h, DeadLetter.ORIGIN)).isEqualTo("shop.sales/0@" + (i + 1));
                assertThat(DeadLetter.get(h, DeadLetter.REASON))
                        .as(poison.get(i))
                        .isNotBlank();
            }
            assertThat(s.view("v")).extracting(ViewRecord::version).containsExactly(1L, 2L);
            assertThat(s.counter("sluice.events.received", "stream", "sales")).isEqualTo(10);
            assertThat(s.counter("sluice.events.emitted", "stream", "sales")).isEqualTo(2);
            assertThat(s.counter("sluice.errors", "stream", "sales", "stage", "decode"))
                    .isEqualTo(8);
            assertThat(s.counter("sluice.events.discarded", "stream", "sales", "reason", "invalid"))
                    .isEqualTo(8);
        }
    }

    @Test
    void aRecordWithoutAValueIsDeadLetteredAndTheStreamGoesOn() {
        try (SalesTopology s = new SalesTopology(stateDir, Duration.ofHours(1), view(new LinkedHashMap<>()))) {
            s.send("a", T0, "DE", 1);
            s.sendNull(T0);
            s.send("b", T0 + 1, "DE", 1);
            List<TestRecord<byte[], byte[]>> dlq = s.dlq();
            assertThat(dlq).hasSize(1);
            assertThat(dlq.get(0).value()).isNull();
            assertThat(DeadLetter.get(dlq.get(0).headers(), DeadLetter.ORIGIN)).isEqualTo("shop.sales/0@1");
            assertThat(s.view("v")).extracting(ViewRecord::version).containsExactly(1L, 2L);
            assertThat(s.counter("sluice.events.received", "stream", "sales")).isEqualTo(3);
            assertThat(s.counter("sluice.errors", "stream", "sales", "stage", "decode"))
                    .isEqualTo(1);
        }
    }

    @Test
    void anEventAViewCannotComputeIsDeadLetteredNamingTheViewAndTheViewGoesOn() throws Exception {
        var vars =
                Expressions.variablesOf(SalesTopology.sales(Duration.ofHours(1)).schema());
        Map<String, Expression> derive = new LinkedHashMap<>();
        derive.put("double_amount", Expressions.compile("amount * 2.0", vars));
        try (SalesTopology s = new SalesTopology(stateDir, Duration.ofHours(1), view(derive))) {
            s.send("a", T0, "DE", 1);
            String noAmount = "{\"id\":\"b\",\"t\":" + (T0 + 1) + ",\"country\":\"DE\"}";
            s.sendJson(noAmount, T0);
            s.send("c", T0 + 2, "DE", 1);

            List<TestRecord<byte[], byte[]>> dlq = s.dlq();
            assertThat(dlq).hasSize(1);
            assertThat(new String(dlq.get(0).value(), StandardCharsets.UTF_8)).isEqualTo(noAmount);
            assertThat(DeadLetter.get(dlq.get(0).headers(), DeadLetter.VIEW)).isEqualTo("v");
            assertThat(DeadLetter.get(dlq.get(0).headers(), DeadLetter.STAGE)).isEqualTo("process");
            assertThat(DeadLetter.get(dlq.get(0).headers(), DeadLetter.STREAM)).isEqualTo("sales");
            assertThat(s.view("v")).extracting(ViewRecord::version).containsExactly(1L, 2L);
            assertThat(s.counter("sluice.errors", "view", "v", "stage", "process"))
                    .isEqualTo(1);
            assertThat(s.counter("sluice.events.discarded", "view", "v", "reason", "invalid"))
                    .isEqualTo(1);
        }
    }

    @Test
    void aStreamNoViewReadsAndNoSinkStoresGetsNoSubTopology() throws Exception {
        var sales = SalesTopology.sales(Duration.ofHours(1));
        var idle = new dev.sluice.pipeline.StreamDef(
                "idle",
                Path.of("idle.json"),
                sales.schema(),
                "id",
                "t",
                null,
                1,
                Duration.ofDays(1),
                Duration.ofHours(1));
        Pipeline p = new Pipeline(
                "shop",
                Path.of("p.yaml"),
                Map.of("sales", sales, "idle", idle),
                Map.of(),
                Map.of("v", view(new LinkedHashMap<>())),
                Map.of(
                        "store",
                        new dev.sluice.pipeline.SinkDef.DuckDb("store", null, java.util.List.of("sales", "v"))));
        StreamsBuilder b = new StreamsBuilder();
        GraphTopology.addTo(b, p);
        String described = b.build().describe().toString();
        assertThat(described).contains("shop.sales").contains("sales-dedupe");
        assertThat(described).doesNotContain("shop.idle").doesNotContain("idle-dedupe");

        // stored raw by the default DuckDB sink, it is deduplicated: the sink stores what its verdicts accept
        Pipeline stored = new Pipeline(
                "shop",
                Path.of("p.yaml"),
                Map.of("sales", sales, "idle", idle),
                Map.of(),
                Map.of("v", view(new LinkedHashMap<>())),
                Map.of());
        StreamsBuilder all = new StreamsBuilder();
        GraphTopology.addTo(all, stored);
        assertThat(all.build().describe().toString()).contains("idle-dedupe").contains("shop.idle.accepted");
    }
}
