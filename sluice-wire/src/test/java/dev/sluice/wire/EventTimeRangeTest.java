package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Epoch-millisecond times are read only within what RFC 3339 can write (years 0000 to 9999). */
class EventTimeRangeTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theEndsOfTheRangeAreRead() throws Exception {
        assertThat(EventTime.of(JSON.readTree("{\"t\":-62167219200000}"), "t")).isEqualTo(EventTime.MIN_EPOCH_MS);
        assertThat(EventTime.format(EventTime.MIN_EPOCH_MS)).isEqualTo("0000-01-01T00:00:00Z");
        assertThat(EventTime.of(JSON.readTree("{\"t\":253402300799999}"), "t")).isEqualTo(EventTime.MAX_EPOCH_MS);
        assertThat(EventTime.format(EventTime.MAX_EPOCH_MS)).isEqualTo("9999-12-31T23:59:59.999Z");
    }

    @Test
    void beyondItOrBeyondALongTheFieldIsNamed() {
        for (String t :
                new String[] {"-62167219200001", "253402300800000", "9223372036854775807", "1" + "0".repeat(30)}) {
            assertThatThrownBy(() -> EventTime.of(JSON.readTree("{\"t\":" + t + "}"), "t"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("time field 't' is out of range: epoch ms " + t);
        }
    }
}
