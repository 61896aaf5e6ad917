package dev.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** A processor whose stream threads keep failing is reported as failing; one that recovered is up again. */
class ProcessorHealthTest {
    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-11-24T12:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aThreadFailureMakesTheProcessorFailingForFiveMinutes() {
        MovableClock clock = new MovableClock();
        ProcessorHealth h = new ProcessorHealth(clock);
        assertThat(h.problem()).isNull();
        h.failed(new RuntimeException(
                "wrapped", new IllegalArgumentException("sum(amount): value 'Infinity' is not a number")));
        clock.now = clock.now.plusSeconds(5);
        h.failed(new IllegalArgumentException("sum(amount): value 'Infinity' is not a number"));
        clock.now = clock.now.plusSeconds(3);
        assertThat(h.problem())
                .isEqualTo("failing: a stream thread failed 2 times in the last 5 min, last 3 s ago"
                        + " (IllegalArgumentException: sum(amount): value 'Infinity' is not a number)");
        clock.now = clock.now.plus(ProcessorHealth.WINDOW).minusSeconds(4);
        assertThat(h.problem()).startsWith("failing: a stream thread failed 1 time in the last 5 min");
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertThat(h.problem()).as("five minutes after the last failure").isNull();
        assertThat(h.failures()).isEqualTo(2);
    }
}
