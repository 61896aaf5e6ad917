package dev.sluice.sinks.clickhouse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Rows in ClickHouse's {@code RowBinary} format: little-endian numbers, length-prefixed strings. */
final class RowBinary {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
    private int rows;

    void endRow() {
        rows++;
    }

    int rows() {
        return rows;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    void int64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    void int32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write(v >>> (8 * i));
        }
    }

    void uint8(int v) {
        out.write(v);
    }

    void float64(double v) {
        int64(Double.doubleToRawLongBits(v));
    }

    /**
     * DateTime: seconds since the epoch as UInt32, so 1970 to 2106; a time beyond is written as the last second
     * (a windowless view's end, 9999-12-31, is read back as such by {@link ClickHouseStore}).
     */
    void dateTime(long epochMillis) {
        long s = Math.max(0, Math.min(0xFFFF_FFFFL, Math.floorDiv(epochMillis, 1000)));
        int32((int) s);
    }

    void string(String s) {
        bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    void bytes(byte[] b) {
        long n = b.length;
        while ((n & ~0x7FL) != 0) {
            out.write((int) ((n & 0x7F) | 0x80));
            n >>>= 7;
        }
        out.write((int) n);
        out.write(b, 0, b.length);
    }

    /** The marker of a {@code Nullable} column: true when the value follows, false for NULL. */
    boolean present(Object v) {
        out.write(v == null ? 1 : 0);
        return v != null;
    }
}
