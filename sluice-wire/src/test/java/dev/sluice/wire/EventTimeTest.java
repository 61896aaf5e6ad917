package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class EventTimeTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsRfc3339WithAnyOffsetAndEpochMillis() throws Exception {
        assertThat(EventTime.of(JSON.readTree("{\"t\":\"2026-11-24T10:00:00Z\"}"), "t"))
                .isEqualTo(1795514400000L);
        assertThat(EventTime.of(JSON.readTree("{\"t\":\"2026-11-24T11:00:00+01:00\"}"), "t"))
                .isEqualTo(1795514400000L);
        assertThat(EventTime.of(JSON.readTree("{\"t\":1795514400000}"), "t")).isEqualTo(1795514400000L);
        assertThat(EventTime.format(1795514400000L)).isEqualTo("2026-11-24T10:00:00Z");
    }

    @Test
    void namesTheFieldWhenUnreadable() {
        assertThatThrownBy(() -> EventTime.of(JSON.readTree("{\"t\":\"noon\"}"), "t"))
                .hasMessageContaining("'t'")
                .hasMessageContaining("noon");
        assertThatThrownBy(() -> EventTime.of(JSON.readTree("{}"), "t")).hasMessageContaining("missing");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "2026-11-25T17:03:39Z",
                "2026-11-25T17:03:39.155Z",
                "2026-11-25T17:03:39.1Z",
                "2026-11-25T17:03:39.123456789Z",
                "2026-11-25t17:03:39.155z",
                "2026-11-25T17:03:39+01:00",
                "2026-11-25T17:03:39.5-05:30",
                "1969-12-31T23:59:59.999Z",
                "2024-02-29T00:00:00Z",
                "0001-01-01T00:00:00Z"
            })
    void theFastPathAgreesWithTheFormatter(String t) {
        long expected = java.time.OffsetDateTime.parse(t, java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                .toInstant()
                .toEpochMilli();
        assertThat(EventTime.parseFast(t)).isEqualTo(expected);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "2026-02-30T00:00:00Z",
                "2026-13-01T00:00:00Z",
                "2026-11-25T24:00:00Z",
                "2026-11-25T17:03:39",
                "2026-11-25 17:03:39Z",
                "2026-11-25T17:03:39.Z",
                "2026-11-25T17:03:39+0100",
                "20261125T170339Z"
            })
    void anythingElseIsLeftToTheFormatter(String t) {
        assertThat(EventTime.parseFast(t)).isEqualTo(Long.MIN_VALUE);
    }
}
