package dev.sluice.pipeline;

import java.time.Duration;

/**
 * An event-time window. A window [start, start + size) accepts events until the view's watermark
 * (the highest event time seen) passes {@code start + size + grace}; later events are late: they
 * are stored raw, routed to the stream's late topic, and correct the stored aggregate.
 */
public record WindowDef(Type type, Duration size, Duration advance, Duration grace) {

    public enum Type {
        TUMBLING,
        HOPPING
    }

    public static WindowDef tumbling(Duration size, Duration grace) {
        return new WindowDef(Type.TUMBLING, size, size, grace);
    }

    public static WindowDef hopping(Duration size, Duration advance, Duration grace) {
        return new WindowDef(Type.HOPPING, size, advance, grace);
    }

    /** Start times (epoch ms) of every window containing {@code time}, oldest first. */
    public long[] windowStarts(long time) {
        long sizeMs = size.toMillis();
        long advanceMs = advance.toMillis();
        long last = Math.floorDiv(time, advanceMs) * advanceMs;
        long first = Math.floorDiv(time - sizeMs, advanceMs) * advanceMs + advanceMs;
        int n = (int) ((last - first) / advanceMs) + 1;
        long[] starts = new long[n];
        for (int i = 0; i < n; i++) {
            starts[i] = first + (long) i * advanceMs;
        }
        return starts;
    }
}
