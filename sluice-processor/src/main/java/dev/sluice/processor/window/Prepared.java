package dev.sluice.processor.window;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a view's prepare step sends its window aggregate over the view's {@code <view>-by-group} topic: one event,
 * reduced to what the aggregate needs, in a declared binary layout (no JSON between operators).
 *
 * <pre>
 * byte   format (1)
 * utf    id
 * long   event time (epoch ms)
 * long   source time (epoch ms)
 * utf    group key ({@code ViewRecord.groupKey}: the group values as a JSON array)
 * utf    origin ({@code topic/partition@offset} of the stream record; "" when unknown)
 * short  number of values, then per value: utf field, byte type, the value
 * int    length of the raw event, then its bytes (as they sit in the stream topic)
 * </pre>
 *
 * Value types keep what the measures see: {@code Long}, {@code Double}, {@code BigDecimal}, {@code BigInteger},
 * {@code String}, {@code Boolean}, or null.
 *
 * @param values the measure inputs by field name, in the view's measure order
 * @param raw the event's bytes as they sit in the stream topic, for the late and dead-letter topics
 */
public record Prepared(
        String id, long time, long sourceTime, String groupKey, String origin, Map<String, Object> values, byte[] raw) {

    private static final int FORMAT = 1;
    private static final byte NULL = 0;
    private static final byte LONG = 1;
    private static final byte DOUBLE = 2;
    private static final byte DECIMAL = 3;
    private static final byte INTEGER = 4;
    private static final byte STRING = 5;
    private static final byte BOOLEAN = 6;

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + raw.length);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT);
            out.writeUTF(id);
            out.writeLong(time);
            out.writeLong(sourceTime);
            writeString(out, groupKey);
            out.writeUTF(origin == null ? "" : origin);
            out.writeShort(values.size());
            for (Map.Entry<String, Object> e : values.entrySet()) {
                out.writeUTF(e.getKey());
                writeValue(out, e.getValue());
            }
            out.writeInt(raw.length);
            out.write(raw);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Prepared decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
            int format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("not a prepared event (format " + format + ")");
            }
            String id = in.readUTF();
            long time = in.readLong();
            long source = in.readLong();
            String group = readString(in);
            String origin = in.readUTF();
            int n = in.readShort();
            Map<String, Object> values = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                values.put(in.readUTF(), readValue(in));
            }
            byte[] raw = new byte[in.readInt()];
            in.readFully(raw);
            return new Prepared(id, time, source, group, origin.isEmpty() ? null : origin, values, raw);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a prepared event: " + e, e);
        }
    }

    /** A group key may exceed writeUTF's 64 KB; it is written with an int length. */
    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void writeValue(DataOutputStream out, Object v) throws IOException {
        if (v == null) {
            out.writeByte(NULL);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            out.writeByte(LONG);
            out.writeLong(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            out.writeByte(DOUBLE);
            out.writeDouble(((Number) v).doubleValue());
        } else if (v instanceof BigDecimal d) {
            out.writeByte(DECIMAL);
            writeString(out, d.toString());
        } else if (v instanceof BigInteger b) {
            out.writeByte(INTEGER);
            writeString(out, b.toString());
        } else if (v instanceof Boolean b) {
            out.writeByte(BOOLEAN);
            out.writeBoolean(b);
        } else {
            out.writeByte(STRING);
            writeString(out, v.toString());
        }
    }

    private static Object readValue(DataInputStream in) throws IOException {
        byte type = in.readByte();
        return switch (type) {
            case NULL -> null;
            case LONG -> in.readLong();
            case DOUBLE -> in.readDouble();
            case DECIMAL -> new BigDecimal(readString(in));
            case INTEGER -> new BigInteger(readString(in));
            case BOOLEAN -> in.readBoolean();
            case STRING -> readString(in);
            default -> throw new IOException("unknown value type " + type);
        };
    }
}
