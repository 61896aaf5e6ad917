package dev.sluice.wire;

import java.nio.ByteBuffer;

/**
 * The processor's verdict on a run of records of a stream topic partition, in {@code <pipeline>.<stream>.accepted}:
 * every record at an offset in {@code [from, to)} was judged, and all of them were accepted (new events, counted by
 * the views) except those in the dropped ranges (duplicates within the dedup horizon, and records the processor
 * could not read). One is written per partition per commit, in the same transaction as the deduplication state,
 * so it agrees with what the views counted; a sink that stores raw events stores exactly the accepted records,
 * without a key index of its own.
 *
 * <p>Binary: a format byte, the partition (int), {@code from} and {@code to} (longs), the number of dropped ranges
 * (int), and each range's first offset and length (long, int). A verdict holds at most {@link #MAX_RANGES} ranges,
 * so it stays far below a Kafka request whatever the input.
 *
 * @param dropped the dropped ranges as pairs: {@code dropped[2i]} the first offset, {@code dropped[2i+1]} the
 *     length
 */
public record Accepted(int partition, long from, long to, long[] dropped) {
    private static final byte FORMAT = 1;

    /** The most dropped ranges one verdict holds (about 12 bytes each). */
    public static final int MAX_RANGES = 40_000;

    public byte[] encode() {
        int n = dropped.length / 2;
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 8 + 8 + 4 + n * 12);
        b.put(FORMAT).putInt(partition).putLong(from).putLong(to).putInt(n);
        for (int i = 0; i < n; i++) {
            b.putLong(dropped[2 * i]).putInt((int) dropped[2 * i + 1]);
        }
        return b.array();
    }

    public static Accepted decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte format = b.get();
        if (format != FORMAT) {
            throw new IllegalArgumentException("accepted-records verdict of unknown format " + format);
        }
        int partition = b.getInt();
        long from = b.getLong();
        long to = b.getLong();
        int n = b.getInt();
        if (n < 0 || n > MAX_RANGES || b.remaining() != n * 12) {
            throw new IllegalArgumentException("accepted-records verdict with a broken range list");
        }
        long[] dropped = new long[2 * n];
        for (int i = 0; i < n; i++) {
            dropped[2 * i] = b.getLong();
            dropped[2 * i + 1] = b.getInt();
        }
        return new Accepted(partition, from, to, dropped);
    }

    /** The key a verdict is written under: its partition, so it lands in the same partition number. */
    public static byte[] key(int partition) {
        return ByteBuffer.allocate(4).putInt(partition).array();
    }

    /**
     * Collects the verdict of one partition as records are judged in offset order: {@link #accept} or {@link
     * #drop} each; {@link #take} returns the verdict so far and starts the next one.
     */
    public static final class Builder {
        private int partition = -1;
        private long from = -1;
        private long to = -1;
        private long[] ranges = new long[16];
        private int n;

        public void accept(int partition, long offset) {
            judged(partition, offset);
        }

        public void drop(int partition, long offset) {
            judged(partition, offset);
            if (n > 0 && ranges[2 * n - 2] + ranges[2 * n - 1] == offset) {
                ranges[2 * n - 1]++;
                return;
            }
            if (2 * n + 2 > ranges.length) {
                ranges = java.util.Arrays.copyOf(ranges, ranges.length * 2);
            }
            ranges[2 * n] = offset;
            ranges[2 * n + 1] = 1;
            n++;
        }

        private void judged(int partition, long offset) {
            if (from < 0) {
                this.partition = partition;
                from = offset;
            } else if (partition != this.partition) {
                throw new IllegalStateException(
                        "one verdict per partition: got partition " + partition + " after " + this.partition);
            }
            to = offset + 1;
        }

        /** True when the next dropped record could need a range more than a verdict holds. */
        public boolean full() {
            return n >= MAX_RANGES;
        }

        public boolean isEmpty() {
            return from < 0;
        }

        /** The verdict of the records judged since the last one, or null when there were none. */
        public Accepted take() {
            if (from < 0) {
                return null;
            }
            Accepted a = new Accepted(partition, from, to, java.util.Arrays.copyOf(ranges, 2 * n));
            from = -1;
            to = -1;
            n = 0;
            return a;
        }
    }
}
