package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WindowDefTest {

    @Test
    void tumblingWindowsHoldEachTimeOnce() {
        WindowDef w = WindowDef.tumbling(Duration.ofMinutes(1), Duration.ZERO);
        assertThat(w.advance()).isEqualTo(w.size());
        assertThat(w.windowStarts(0)).containsExactly(0);
        assertThat(w.windowStarts(59_999)).containsExactly(0);
        assertThat(w.windowStarts(60_000)).containsExactly(60_000);
        assertThat(w.windowStarts(125_000)).containsExactly(120_000);
        assertThat(w.windowStarts(-1)).as("before the epoch").containsExactly(-60_000);
    }

    @Test
    void hoppingWindowsOverlap() {
        WindowDef w = WindowDef.hopping(Duration.ofMinutes(10), Duration.ofMinutes(5), Duration.ofMinutes(1));
        assertThat(w.windowStarts(0)).containsExactly(-300_000, 0);
        assertThat(w.windowStarts(7 * 60_000)).containsExactly(0, 300_000);
        assertThat(w.windowStarts(10 * 60_000)).containsExactly(300_000, 600_000);

        WindowDef m = WindowDef.hopping(Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ZERO);
        long t = 125_000;
        long[] starts = m.windowStarts(t);
        assertThat(starts).containsExactly(70_000, 80_000, 90_000, 100_000, 110_000, 120_000);
        for (long s : starts) {
            assertThat(t).isGreaterThanOrEqualTo(s).isLessThan(s + 60_000);
        }
    }

    @Test
    void hoppingWithAnAdvanceThatDoesNotDivideTheSize() {
        WindowDef w = WindowDef.hopping(Duration.ofSeconds(10), Duration.ofSeconds(4), Duration.ZERO);
        long[] starts = w.windowStarts(9_000);
        assertThat(starts).containsExactly(0, 4_000, 8_000);
        for (long s : starts) {
            assertThat(9_000L).isGreaterThanOrEqualTo(s).isLessThan(s + 10_000);
        }
    }
}
