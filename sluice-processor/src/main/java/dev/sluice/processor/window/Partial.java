package dev.sluice.processor.window;

import dev.sluice.pipeline.MeasureDef;
import dev.sluice.wire.Accumulator;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What one stream partition's pre-aggregation ({@link PreAggregate}) sends the task that owns a group, once per
 * commit: the group's windows that changed in that partition since the last commit, each as a partial
 * accumulator, plus the events of the group that partition found late, one by one. It travels in a {@link
 * #bundle} with the other partials of that commit for the same task, on the view's {@code <view>-partials}
 * topic, in a declared binary layout:
 *
 * <pre>
 * byte   format (1)
 * int    length of the group key, then its UTF-8 ({@code ViewRecord.groupKey}: the group values as a JSON array)
 * long   the sender's watermark (the highest event time its stream partition has seen, for this view)
 * utf    origin: {@code topic/partition@first-last} offsets of the events folded in ({@code @offset} for one)
 * int    events folded in (on time and late)
 * short  number of entries, then per entry:
 *          byte  1 for a late event, 0 for the partition's on-time events of a window
 *          long  window start, long window end (epoch ms)
 *          long  earliest source time among its events (epoch ms)
 *          utf   the event id (late entries), "" otherwise
 *          int   length of the accumulator state ({@link Accumulator#toBytes}), then the state
 * int    length of the event as it sits in the stream topic, then its bytes: only when the partial holds one
 *        event and it fits (-1 otherwise), so a partial that cannot be merged can be dead-lettered as the event
 * </pre>
 */
public record Partial(
        String groupKey, long senderWatermark, String origin, int events, List<Entry> entries, byte[] raw) {

    /** One window's share of the partial: the partition's on-time events, or one late event. */
    public record Entry(boolean late, long start, long end, long minSourceMs, String eventId, Accumulator acc) {}

    private static final int FORMAT = 1;

    /** The first byte of a bundle: the partials one sender sends one task in one commit. */
    private static final int BUNDLE = 2;

    /**
     * The partials of one commit for the groups one task owns, as one record ({@code <view>-partials} carries
     * bundles, keyed by the task's partition as a 4-byte int):
     *
     * <pre>
     * byte   2
     * int    number of partials, then per partial: int length, then the partial's bytes (format 1, above)
     * </pre>
     */
    public static byte[] bundle(List<byte[]> partials) {
        int size = 5;
        for (byte[] p : partials) {
            size += 4 + p.length;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size);
        b.put((byte) BUNDLE).putInt(partials.size());
        for (byte[] p : partials) {
            b.putInt(p.length).put(p);
        }
        return b.array();
    }

    /** The partials a record carries: those of a bundle, or the record itself when it is one partial. */
    public static List<byte[]> unbundle(byte[] record) {
        if (record.length == 0 || record[0] != BUNDLE) {
            return List.of(record);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(record);
        b.get();
        int n = b.getInt();
        if (n < 0 || n > record.length) {
            throw new IllegalArgumentException("not a bundle of partials (" + n + " partials)");
        }
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] p = new byte[b.getInt()];
            b.get(p);
            out.add(p);
        }
        return out;
    }

    /** The partition of {@code <view>-partials} (and so the task) that owns a group: as Kafka's partitioner keys. */
    public static int partitionOf(String groupKey, int partitions) {
        byte[] key = groupKey.getBytes(StandardCharsets.UTF_8);
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(key))
                % partitions;
    }

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 + (raw == null ? 0 : raw.length));
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            byte[] g = groupKey.getBytes(StandardCharsets.UTF_8);
            out.writeInt(g.length);
            out.write(g);
            out.writeLong(senderWatermark);
            out.writeUTF(origin == null ? "" : origin);
            out.writeInt(events);
            out.writeShort(entries.size());
            for (Entry e : entries) {
                out.writeByte(e.late() ? 1 : 0);
                out.writeLong(e.start());
                out.writeLong(e.end());
                out.writeLong(e.minSourceMs());
                out.writeUTF(e.eventId() == null ? "" : e.eventId());
                byte[] state = e.acc().toBytes();
                out.writeInt(state.length);
                out.write(state);
            }
            if (raw == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(raw.length);
                out.write(raw);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The event a partial of one event carries (alone, or alone in its bundle), read without decoding the
     * accumulators; null when none.
     */
    public static byte[] eventOf(byte[] data) {
        try {
            if (data.length > 0 && data[0] == BUNDLE) {
                List<byte[]> inner = unbundle(data);
                return inner.size() == 1 ? eventOf(inner.get(0)) : null;
            }
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
            if (in.readByte() != FORMAT) {
                return null;
            }
            in.skipNBytes(in.readInt());
            in.readLong();
            in.readUTF();
            in.readInt();
            int n = in.readShort();
            for (int i = 0; i < n; i++) {
                in.skipNBytes(1 + 8 + 8 + 8);
                in.readUTF();
                in.skipNBytes(in.readInt());
            }
            int rawLength = in.readInt();
            return rawLength < 0 ? null : in.readNBytes(rawLength);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    public static Partial decode(List<MeasureDef> measures, byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
            int format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("not a partial aggregate (format " + format + ")");
            }
            byte[] g = new byte[in.readInt()];
            in.readFully(g);
            long watermark = in.readLong();
            String origin = in.readUTF();
            int events = in.readInt();
            int n = in.readShort();
            List<Entry> entries = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                boolean late = in.readByte() == 1;
                long start = in.readLong();
                long end = in.readLong();
                long source = in.readLong();
                String id = in.readUTF();
                byte[] state = new byte[in.readInt()];
                in.readFully(state);
                entries.add(new Entry(
                        late, start, end, source, id.isEmpty() ? null : id, Accumulator.fromBytes(measures, state)));
            }
            int rawLength = in.readInt();
            byte[] raw = null;
            if (rawLength >= 0) {
                raw = new byte[rawLength];
                in.readFully(raw);
            }
            return new Partial(
                    new String(g, StandardCharsets.UTF_8),
                    watermark,
                    origin.isEmpty() ? null : origin,
                    events,
                    entries,
                    raw);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a partial aggregate: " + e, e);
        }
    }
}
