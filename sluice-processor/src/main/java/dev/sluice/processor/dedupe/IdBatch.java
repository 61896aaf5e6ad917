package dev.sluice.processor.dedupe;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The new event ids of one commit of a stream partition, as {@link Dedupe} stores them in one record of its
 * batches store (and its changelog):
 *
 * <pre>
 * byte   format (1)
 * long   the run that wrote it
 * long   earliest event time, long newest event time (epoch ms)
 * int    number of ids, then per id: int length and UTF-8 of the id, long event time
 * </pre>
 */
final class IdBatch {
    private static final int FORMAT = 1;

    private final List<String> ids = new ArrayList<>();
    private final List<Long> times = new ArrayList<>();
    private long minTime = Long.MAX_VALUE;
    private long maxTime = Long.MIN_VALUE;
    private int bytes;

    void add(String id, long time) {
        ids.add(id);
        times.add(time);
        minTime = Math.min(minTime, time);
        maxTime = Math.max(maxTime, time);
        bytes += 10 + id.length() * 3;
    }

    int size() {
        return ids.size();
    }

    /** About the bytes of the encoded batch (at most). */
    int bytes() {
        return bytes;
    }

    void clear() {
        ids.clear();
        times.clear();
        minTime = Long.MAX_VALUE;
        maxTime = Long.MIN_VALUE;
        bytes = 0;
    }

    byte[] encode(long run) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream(32 + bytes);
            DataOutputStream out = new DataOutputStream(b);
            out.writeByte(FORMAT);
            out.writeLong(run);
            out.writeLong(minTime);
            out.writeLong(maxTime);
            out.writeInt(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                byte[] id = ids.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.writeInt(id.length);
                out.write(id);
                out.writeLong(times.get(i));
            }
            out.flush();
            return b.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long runOf(byte[] batch) {
        return ByteBuffer.wrap(batch, 1, 8).getLong();
    }

    static long maxTimeOf(byte[] batch) {
        return ByteBuffer.wrap(batch, 17, 8).getLong();
    }

    interface IdConsumer {
        void accept(String id, long time);
    }

    static void forEach(byte[] batch, IdConsumer each) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(batch));
            if (in.readByte() != FORMAT) {
                throw new IllegalStateException("unknown id batch format");
            }
            in.skipNBytes(24);
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                byte[] id = new byte[in.readInt()];
                in.readFully(id);
                each.accept(new String(id, java.nio.charset.StandardCharsets.UTF_8), in.readLong());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
