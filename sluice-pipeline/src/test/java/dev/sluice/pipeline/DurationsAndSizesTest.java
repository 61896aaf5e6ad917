package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How the pipeline file's durations (window sizes, grace, dedup horizons) and sizes are read. */
class DurationsAndSizesTest {

    @Test
    void eachUnitIsRead() throws Exception {
        assertThat(Spec.parseDuration("250ms", false)).isEqualTo(Duration.ofMillis(250));
        assertThat(Spec.parseDuration("10s", false)).isEqualTo(Duration.ofSeconds(10));
        assertThat(Spec.parseDuration("1m", false)).isEqualTo(Duration.ofSeconds(60));
        assertThat(Spec.parseDuration("2h", false)).isEqualTo(Duration.ofMinutes(120));
        assertThat(Spec.parseDuration("7d", false)).isEqualTo(Duration.ofHours(168));
        assertThat(Spec.parseDuration(" 5m ", false)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void zeroIsADurationOnlyWhereAllowed() throws Exception {
        assertThat(Spec.parseDuration("0", true)).isEqualTo(Duration.ZERO);
        assertThat(Spec.parseDuration("0s", true)).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Spec.parseDuration("0s", false)).hasMessage("'0s': duration must be greater than 0");
        assertThatThrownBy(() -> Spec.parseDuration("0", false)).hasMessageContaining("'0' is not a duration");
    }

    @Test
    void anythingElseIsRefusedSayingWhatToWrite() {
        assertThatThrownBy(() -> Spec.parseDuration("1.5m", false))
                .hasMessage("'1.5m' is not a duration: write a whole number and a unit (ms, s, m, h, d),"
                        + " e.g. 250ms, 10s, 1m, 2h, 7d");
        assertThatThrownBy(() -> Spec.parseDuration("5", false)).hasMessageContaining("is not a duration");
        assertThatThrownBy(() -> Spec.parseDuration("99999999999999999999s", false))
                .hasMessage("'99999999999999999999s' is too large a duration");
        assertThatThrownBy(() -> Spec.parseDuration("9223372036854775807d", false))
                .hasMessage("'9223372036854775807d' is too large a duration");
    }

    @Test
    void sizesArePowersOf1024() throws Exception {
        assertThat(Spec.parseSize("512")).isEqualTo(512);
        assertThat(Spec.parseSize("512b")).isEqualTo(512);
        assertThat(Spec.parseSize("1")).isEqualTo(1);
        assertThat(Spec.parseSize("2KB")).isEqualTo(2048);
        assertThat(Spec.parseSize("2 kib")).isEqualTo(2048);
        assertThat(Spec.parseSize("3MB")).isEqualTo(3L << 20);
        assertThat(Spec.parseSize("3MiB")).isEqualTo(3L << 20);
        assertThat(Spec.parseSize("4GB")).isEqualTo(4L << 30);
        assertThat(Spec.parseSize("4gib")).isEqualTo(4L << 30);
        assertThatThrownBy(() -> Spec.parseSize("0KB")).hasMessage("'0KB': size must be greater than 0");
        assertThatThrownBy(() -> Spec.parseSize("9000000000GB")).hasMessage("'9000000000GB' is too large a size");
        assertThatThrownBy(() -> Spec.parseSize("ten")).hasMessageContaining("'ten' is not a size");
    }
}
