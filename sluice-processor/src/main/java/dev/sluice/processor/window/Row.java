package dev.sluice.processor.window;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.processor.state.WriteBackStore;
import dev.sluice.wire.Accumulator;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One row of a view as its aggregate keeps it between commits: the window, the group, the accumulator, and how
 * far its updates have gone out. {@code emittedVersion} below the accumulator's version means the row changed
 * since its last update on the view topic; the row is stored with it, so an update still owed when the process
 * died is sent after the restart. {@code pendingSourceMs} is the earliest source time among the events folded
 * in since then: the update's {@code source_ms}, so its latency is that of the longest-waiting event.
 */
final class Row {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FORMAT = 1;

    final long start;
    final long end;
    final String groupKey;
    final Accumulator acc;
    long emittedVersion;
    long pendingSourceMs = Long.MAX_VALUE;
    private List<Object> group;
    /** The accumulator's bytes as last encoded, and the version they are of (-1: none). */
    private byte[] stateBytes;

    private long stateBytesVersion = -1;

    Row(long start, long end, String groupKey, Accumulator acc) {
        this.start = start;
        this.end = end;
        this.groupKey = groupKey;
        this.acc = acc;
    }

    /** The group values, in {@code group_by} order, as JSON gives them back (as they were sent before). */
    List<Object> group() {
        if (group == null) {
            try {
                group = JSON.readValue(groupKey, new TypeReference<List<Object>>() {});
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return group;
    }

    /** The accumulator's bytes, encoded once per version (for the update and the changelog alike). */
    byte[] stateBytes() {
        if (stateBytesVersion != acc.version() || stateBytes == null) {
            stateBytes = acc.toBytes();
            stateBytesVersion = acc.version();
        }
        return stateBytes;
    }

    boolean owesUpdate() {
        return acc.version() > emittedVersion;
    }

    static WriteBackStore.Codec<Row> codec(List<MeasureDef> measures) {
        return new WriteBackStore.Codec<>() {
            @Override
            public byte[] encode(Row r) {
                try {
                    byte[] state = r.stateBytes();
                    byte[] g = r.groupKey.getBytes(StandardCharsets.UTF_8);
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream(48 + g.length + state.length);
                    DataOutputStream out = new DataOutputStream(bytes);
                    out.writeByte(FORMAT);
                    out.writeLong(r.start);
                    out.writeLong(r.end);
                    out.writeLong(r.emittedVersion);
                    out.writeLong(r.pendingSourceMs);
                    out.writeInt(g.length);
                    out.write(g);
                    out.writeInt(state.length);
                    out.write(state);
                    out.flush();
                    return bytes.toByteArray();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public Row decode(byte[] bytes) {
                try {
                    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
                    int format = in.readByte();
                    if (format != FORMAT) {
                        throw new IllegalArgumentException("unknown row format " + format);
                    }
                    long start = in.readLong();
                    long end = in.readLong();
                    long emitted = in.readLong();
                    long pendingSource = in.readLong();
                    byte[] g = new byte[in.readInt()];
                    in.readFully(g);
                    byte[] state = new byte[in.readInt()];
                    in.readFully(state);
                    Row r = new Row(
                            start, end, new String(g, StandardCharsets.UTF_8), Accumulator.fromBytes(measures, state));
                    r.emittedVersion = emitted;
                    r.pendingSourceMs = pendingSource;
                    return r;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}
