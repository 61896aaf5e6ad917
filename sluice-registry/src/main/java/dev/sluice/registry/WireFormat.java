package dev.sluice.registry;

import java.nio.ByteBuffer;

/**
 * The Confluent wire format: magic byte 0, the schema's global id as a 4-byte big-endian integer, then the
 * serialized body (Avro binary, or JSON text for JSON Schema).
 */
public final class WireFormat {
    public static final byte MAGIC = 0;
    public static final int HEADER = 5;

    private WireFormat() {}

    /** The schema id of a framed message; the body starts at {@link #HEADER}. */
    public static int schemaId(byte[] message) {
        if (message == null || message.length < HEADER) {
            throw new IllegalArgumentException("message of " + (message == null ? 0 : message.length)
                    + " bytes is too short for the Confluent wire format (magic byte and 4-byte schema id)");
        }
        if (message[0] != MAGIC) {
            throw new IllegalArgumentException(String.format(
                    "wrong magic byte 0x%02x: not in the Confluent wire format (expected 0x00)", message[0]));
        }
        return ByteBuffer.wrap(message, 1, 4).getInt();
    }

    /** True when the message starts like the wire format (JSON text never starts with a 0 byte). */
    public static boolean looksFramed(byte[] message) {
        return message != null && message.length >= HEADER && message[0] == MAGIC;
    }

    public static byte[] frame(int schemaId, byte[] body) {
        return ByteBuffer.allocate(HEADER + body.length)
                .put(MAGIC)
                .putInt(schemaId)
                .put(body)
                .array();
    }
}
