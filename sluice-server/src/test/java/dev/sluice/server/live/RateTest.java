package dev.sluice.server.live;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateTest {
    @Test
    void noRateFromOneSample() {
        Rate r = new Rate();
        r.sample(1_000, 500);
        assertThat(r.window()).isEqualTo(new Rate.Window(0, 0));
        assertThat(r.window().perSecond()).isZero();
    }

    @Test
    void beforeTenSecondsTheOldestSampleIsTheStart() {
        Rate r = new Rate();
        r.sample(0, 100);
        r.sample(1_000, 150);
        r.sample(4_000, 300);
        assertThat(r.window()).isEqualTo(new Rate.Window(200, 4.0));
        assertThat(r.window().perSecond()).isEqualTo(50.0);
    }

    @Test
    void theWindowStartsAtTheNewestSampleAtLeastTenSecondsOld() {
        Rate r = new Rate();
        for (int s = 0; s <= 30; s++) {
            r.sample(s * 1_000L + (s % 3) * 100L, 50L * s); // 50 a second, sampled a little irregularly
        }
        // the newest sample is at 30.0 s; the newest at or before 20.0 s is the one at 19.1 s (20 s was at 20.2 s)
        assertThat(r.window()).isEqualTo(new Rate.Window(50 * 11, 10.9));
        assertThat(r.window().perSecond()).isCloseTo(550 / 10.9, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aBurstAloneInTheWindowIsCountedExactly() {
        Rate r = new Rate();
        for (int s = 0; s <= 12; s++) {
            r.sample(s * 1_000L, 1_000);
        }
        assertThat(r.window()).isEqualTo(new Rate.Window(0, 10.0));
        r.sample(13_000, 1_037);
        assertThat(r.window()).isEqualTo(new Rate.Window(37, 10.0));
        assertThat(r.window().perSecond()).isEqualTo(3.7);
    }

    @Test
    void aCounterThatGoesDownReadsNoNegativeRate() {
        Rate r = new Rate();
        r.sample(0, 100);
        r.sample(1_000, 40); // the count restarted
        assertThat(r.window().events()).isZero();
    }
}
