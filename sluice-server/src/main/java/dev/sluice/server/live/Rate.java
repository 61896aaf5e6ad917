package dev.sluice.server.live;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A counter's rate per second over about the last ten seconds, from samples of its value taken when the value was
 * read (not when someone asks for the rate): the events between the newest sample and the newest sample at least
 * {@link #SPAN_MS} older, over the time between the two. Before the counter has been sampled for that long, the
 * oldest sample stands in; with one sample there is no rate yet (0 over 0 s).
 */
public final class Rate {
    public static final long SPAN_MS = 10_000;

    /** What the rate is computed from: {@code events} counted over {@code seconds}. */
    public record Window(long events, double seconds) {
        public double perSecond() {
            return seconds <= 0 ? 0 : events / seconds;
        }
    }

    private record Sample(long atMs, long value) {}

    private final Deque<Sample> samples = new ArrayDeque<>();

    /** Records the counter's value as read at {@code atMs}. */
    public synchronized void sample(long atMs, long value) {
        samples.addLast(new Sample(atMs, value));
        // keep the newest sample at least SPAN_MS older than the newest, drop those before it
        while (samples.size() > 2) {
            Sample second = samples.stream().skip(1).findFirst().orElseThrow();
            if (second.atMs() > atMs - SPAN_MS) {
                break;
            }
            samples.pollFirst();
        }
    }

    public synchronized Window window() {
        if (samples.size() < 2) {
            return new Window(0, 0);
        }
        Sample first = samples.peekFirst();
        Sample last = samples.peekLast();
        return new Window(Math.max(0, last.value() - first.value()), (last.atMs() - first.atMs()) / 1000.0);
    }
}
