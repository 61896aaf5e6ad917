package dev.sluice.processor.table;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A table row between the two halves of a table and in its store: the row's event time (8 bytes, big-endian) in
 * front of the row's JSON, the table topic's record value.
 */
final class TableRow {
    private TableRow() {}

    static byte[] encode(long time, byte[] json) {
        return ByteBuffer.allocate(8 + json.length).putLong(time).put(json).array();
    }

    static long time(byte[] row) {
        return ByteBuffer.wrap(row, 0, 8).getLong();
    }

    static byte[] json(byte[] row) {
        return Arrays.copyOfRange(row, 8, row.length);
    }
}
