package dev.sluice.processor;

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
}
