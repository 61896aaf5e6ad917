package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Event times at the edges of the hand-written RFC 3339 reader, against epoch milliseconds worked out
 * independently (GNU {@code date -u -d TIME +%s%3N}).
 */
class EventTimeBoundariesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static long read(String json) throws Exception {
        return EventTime.of(JSON.readTree(json), "t");
    }

    @ParameterizedTest
    @CsvSource({
        "2026-11-25T17:03:39Z, 1795626219000",
        "2026-11-25T17:03:39.12Z, 1795626219120",
        "2026-11-25T17:03:39.1299Z, 1795626219129", // digits past the millisecond are cut, not rounded
        "2026-11-25T17:03:39.000000001Z, 1795626219000",
        "2026-11-25T18:03:39+01:00, 1795626219000",
        "2026-11-25T11:18:39-05:45, 1795626219000",
        "2026-11-25T17:03:39+00:00, 1795626219000",
        "2026-11-25T17:03:39-00:00, 1795626219000",
        "2026-11-26T16:03:39+23:00, 1795626219000",
        "2026-11-25T23:59:59+00:59, 1795647659000",
        "1969-12-31T23:59:59Z, -1000",
        "1969-12-31T23:59:59.999Z, -1",
        "1970-01-01T00:00:00Z, 0",
        "2000-03-01T00:00:00Z, 951868800000",
        "2026-11-25T23:59:59.9Z, 1795651199900"
    })
    void theFastPathReadsTheExactMillisecond(String text, long epochMs) throws Exception {
        assertThat(EventTime.parseFast(text)).isEqualTo(epochMs);
        assertThat(read("{\"t\":\"" + text + "\"}")).isEqualTo(epochMs);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "2026-11-25T17:03:60Z",
                "2026-11-25T17:60:39Z",
                "2026-11-25T17:03:39+24:00",
                "2026-11-25T17:03:39+01:60",
                "2026-11-25T17:03:39+0a:00",
                "2026-11-25T17:03:39+01-00",
                "2026-11-25T17:03:39*01:00",
                "2026-11-25T17:03:39ZZ",
                "2026-11-25T17:03:39.5",
                "2026-11-25T17:03:39.5X",
                "2026-11-25T17:03:3aZ",
                "2026/11/25T17:03:39Z",
                "2026-11/25T17:03:39Z",
                "2026-11-25T17-03:39Z",
                "2026-11-25T17:03-39Z",
                "2026-11-25T17:03:9Z",
                // a non-digit in each field (a letter sorts above '9', a space below '0')
                "202a-11-25T17:03:39Z",
                "2026-1a-25T17:03:39Z",
                "2026-11-2aT17:03:39Z",
                "2026-11-25T1a:03:39Z",
                "2026-11-25T17:0a:39Z",
                "2026-11-25T17:03:3 Z",
                " 026-11-25T17:03:39Z"
            })
    void anythingOffTheCommonShapesIsLeftToTheFormatter(String t) {
        assertThat(EventTime.parseFast(t)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void shapesOnlyTheFormatterKnowsAreStillRead() throws Exception {
        // no seconds: shorter than the fast path's shortest shape
        assertThat(read("{\"t\":\"2026-11-25T17:03Z\"}")).isEqualTo(1795626180000L);
        // offset with seconds
        assertThat(read("{\"t\":\"2026-11-25T18:03:39+01:00:00\"}")).isEqualTo(1795626219000L);
    }

    @Test
    void epochMillisAreReadAsTheyAre() throws Exception {
        assertThat(read("{\"t\":-1}")).isEqualTo(-1L);
        assertThat(read("{\"t\":0}")).isZero();
        assertThat(read("{\"t\":1795626219000}")).isEqualTo(1795626219000L);
    }

    @Test
    void eachUnreadableTimeIsRefusedNamingTheFieldAndWhy() {
        assertThatThrownBy(() -> read("{\"t\":null}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("time field 't' is missing");
        assertThatThrownBy(() -> read("{\"x\":1}")).hasMessage("time field 't' is missing");
        assertThatThrownBy(() -> read("{\"t\":1.5}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("time field 't' is neither RFC 3339 text nor epoch ms");
        assertThatThrownBy(() -> read("{\"t\":true}"))
                .hasMessage("time field 't' is neither RFC 3339 text nor epoch ms");
        assertThatThrownBy(() -> read("{\"t\":\"2026-02-30T00:00:00Z\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("time field 't' is not an RFC 3339 timestamp: 2026-02-30T00:00:00Z");
    }

    @Test
    void formatWritesUtcWithMilliseconds() {
        assertThat(EventTime.format(1795626219120L)).isEqualTo("2026-11-25T17:03:39.120Z");
        assertThat(EventTime.format(-1)).isEqualTo("1969-12-31T23:59:59.999Z");
        assertThat(EventTime.format(0)).isEqualTo("1970-01-01T00:00:00Z");
    }
}
