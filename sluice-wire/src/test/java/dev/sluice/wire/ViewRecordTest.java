package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The view topic's records as the sinks and live push read them: every field, and the round trip. */
class ViewRecordTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long START = 1795514400000L; // 2026-11-24T10:00:00Z
    static final List<MeasureDef> MEASURES = List.of(
            new MeasureDef("n", MeasureDef.Kind.COUNT, null), new MeasureDef("total", MeasureDef.Kind.SUM, "amount"));
    static final ViewDef VIEW = new ViewDef(
            "by_country",
            "sales",
            new LinkedHashMap<>(),
            null,
            WindowDef.tumbling(Duration.ofMinutes(1), Duration.ZERO),
            List.of("country", "shop"),
            MEASURES);

    static Accumulator twoSales() {
        Accumulator a = new Accumulator(MEASURES);
        a.add(Map.of("amount", 1.5));
        a.add(Map.of("amount", 2.25));
        return a;
    }

    static ViewRecord update() {
        return new ViewRecord(
                ViewRecord.Kind.UPDATE,
                START,
                START + 60_000,
                Arrays.asList("DE", 7),
                2,
                START + 61_500,
                null,
                twoSales(),
                START + 1_000,
                START + 2_000);
    }

    @Test
    void anUpdateCarriesTheRowsFullState() throws Exception {
        JsonNode o = JSON.readTree(update().encode(VIEW));
        assertThat(o.get("kind").asText()).isEqualTo("update");
        assertThat(o.get("view").asText()).isEqualTo("by_country");
        assertThat(o.get("window_start").asText()).isEqualTo("2026-11-24T10:00:00Z");
        assertThat(o.get("window_end").asText()).isEqualTo("2026-11-24T10:01:00Z");
        assertThat(o.get("window_start_ms").asLong()).isEqualTo(START);
        assertThat(o.get("window_end_ms").asLong()).isEqualTo(START + 60_000);
        assertThat(o.get("group").toString()).isEqualTo("{\"country\":\"DE\",\"shop\":7}");
        assertThat(o.get("version").asLong()).isEqualTo(2);
        assertThat(o.get("watermark").asText()).isEqualTo("2026-11-24T10:01:01.500Z");
        assertThat(o.get("measures").toString()).isEqualTo("{\"n\":2,\"total\":3.75}");
        assertThat(o.get("source_ms").asLong()).isEqualTo(START + 1_000);
        assertThat(o.get("emitted_ms").asLong()).isEqualTo(START + 2_000);
        assertThat(Accumulator.fromBytes(MEASURES, o.get("state").binaryValue()).results())
                .isEqualTo(Map.of("n", 2L, "total", 3.75));
        assertThat(o.has("event_id")).isFalse();
        assertThat(o.has("delta")).isFalse();
    }

    @Test
    void anUpdateDecodesToWhatWasEncoded() {
        ViewRecord back = ViewRecord.decode(VIEW, update().encode(VIEW));
        assertThat(back.kind()).isEqualTo(ViewRecord.Kind.UPDATE);
        assertThat(back.windowStart()).isEqualTo(START);
        assertThat(back.windowEnd()).isEqualTo(START + 60_000);
        assertThat(back.group()).containsExactly("DE", 7);
        assertThat(back.version()).isEqualTo(2);
        assertThat(back.watermark()).isEqualTo(START + 61_500);
        assertThat(back.eventId()).isNull();
        assertThat(back.state().version()).isEqualTo(2);
        assertThat(back.state().results()).containsEntry("n", 2L).containsEntry("total", 3.75);
        assertThat(back.sourceMs()).isEqualTo(START + 1_000);
        assertThat(back.emittedMs()).isEqualTo(START + 2_000);
    }

    @Test
    void aLateRecordCarriesTheEventIdAndAOneEventDelta() throws Exception {
        Accumulator delta = new Accumulator(MEASURES);
        delta.add(Map.of("amount", 5));
        ViewRecord late = new ViewRecord(
                ViewRecord.Kind.LATE,
                START,
                START + 60_000,
                Arrays.asList("FR", null),
                1,
                START + 200_000,
                "e9",
                delta);
        JsonNode o = JSON.readTree(late.encode(VIEW));
        assertThat(o.get("kind").asText()).isEqualTo("late");
        assertThat(o.get("event_id").asText()).isEqualTo("e9");
        assertThat(o.get("group").toString()).isEqualTo("{\"country\":\"FR\",\"shop\":null}");
        assertThat(o.has("version")).isFalse();
        assertThat(o.has("state")).isFalse();
        assertThat(o.has("measures")).isFalse();

        ViewRecord back = ViewRecord.decode(VIEW, late.encode(VIEW));
        assertThat(back.kind()).isEqualTo(ViewRecord.Kind.LATE);
        assertThat(back.eventId()).isEqualTo("e9");
        assertThat(back.version()).isEqualTo(1);
        assertThat(back.watermark()).isZero();
        assertThat(back.group()).containsExactly("FR", null);
        assertThat(back.windowStart()).isEqualTo(START);
        assertThat(back.state().results()).containsEntry("n", 1L).containsEntry("total", 5.0);
        assertThat(back.sourceMs()).isZero();
        assertThat(back.emittedMs()).isZero();
    }

    @Test
    void recordsWrittenBeforeLatencyFieldsExistedStillDecode() {
        String old = "{\"kind\":\"update\",\"view\":\"by_country\",\"window_start_ms\":" + START + ",\"window_end_ms\":"
                + (START + 60_000) + ",\"group\":{\"country\":\"DE\"},\"version\":2,"
                + "\"watermark\":\"2026-11-24T10:01:01.500Z\",\"state\":\""
                + java.util.Base64.getEncoder().encodeToString(twoSales().toBytes()) + "\"}";
        ViewRecord back = ViewRecord.decode(VIEW, old.getBytes(StandardCharsets.UTF_8));
        assertThat(back.group()).as("a group field the record lacks is null").containsExactly("DE", null);
        assertThat(back.sourceMs()).isZero();
        assertThat(back.emittedMs()).isZero();
        assertThat(back.watermark()).isEqualTo(START + 61_500);
    }

    @Test
    void theKeyIsTheWindowStartAndTheGroupAsJson() {
        assertThat(new String(update().key(), StandardCharsets.UTF_8)).isEqualTo(START + "|[\"DE\",7]");
        assertThat(update().groupKey()).isEqualTo("[\"DE\",7]");
        assertThat(ViewRecord.groupKey(Arrays.asList(null, "a\"b"))).isEqualTo("[null,\"a\\\"b\"]");
        assertThat(ViewRecord.groupKey(List.of())).isEqualTo("[]");
    }

    @Test
    void theGroupMapNamesEachValue() {
        assertThat(update().groupMap(VIEW)).containsExactly(Map.entry("country", "DE"), Map.entry("shop", 7));
    }

    @Test
    void theShortConstructorLeavesLatencyTimesUnknown() {
        ViewRecord r = new ViewRecord(ViewRecord.Kind.UPDATE, START, START + 1, List.of(), 1, START, null, twoSales());
        assertThat(r.sourceMs()).isZero();
        assertThat(r.emittedMs()).isZero();
    }
}
