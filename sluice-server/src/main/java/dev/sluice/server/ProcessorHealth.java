package dev.sluice.server;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Whether the processor is failing, as the health endpoints tell it. Kafka Streams replaces a stream thread
 * that died ({@code REPLACE_THREAD}), so its state stays {@code RUNNING} or {@code REBALANCING} while a thread
 * fails on the same record again and again and nothing moves: the state alone would say "up". So every thread
 * failure is recorded here, and the processor counts as failing while one happened within the last
 * {@link #WINDOW}: a processor that keeps failing is reported down for as long as it keeps failing (a replaced
 * thread rejoins, restores its state and meets the same record again; that took 30 to 60 s on a loaded test
 * machine), one that recovered is up again five minutes after its last failure.
 */
public final class ProcessorHealth {
    /** How long a stream thread failure keeps the processor reported as failing. */
    public static final Duration WINDOW = Duration.ofMinutes(5);

    private record Failure(long atMs, String what) {}

    private final Clock clock;
    private final Deque<Failure> recent = new ArrayDeque<>();
    private long total;

    public ProcessorHealth(Clock clock) {
        this.clock = clock;
    }

    /** A stream thread died with {@code e} (it is being replaced). */
    public synchronized void failed(Throwable e) {
        total++;
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        recent.addLast(new Failure(clock.millis(), root.getClass().getSimpleName() + ": " + root.getMessage()));
        trim();
    }

    /** Stream thread failures since start. */
    public synchronized long failures() {
        return total;
    }

    /** Why the processor counts as failing, or null when no thread failed within the last {@link #WINDOW}. */
    public synchronized String problem() {
        trim();
        if (recent.isEmpty()) {
            return null;
        }
        Failure last = recent.peekLast();
        long ago = Math.max(0, clock.millis() - last.atMs()) / 1000;
        return "failing: a stream thread failed " + recent.size() + " time" + (recent.size() == 1 ? "" : "s")
                + " in the last " + WINDOW.toMinutes() + " min, last " + ago + " s ago (" + last.what() + ")";
    }

    private void trim() {
        long cutoff = clock.millis() - WINDOW.toMillis();
        while (!recent.isEmpty() && recent.peekFirst().atMs() <= cutoff) {
            recent.pollFirst();
        }
    }
}
