package dev.sluice.sources.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.registry.RegistryException;
import dev.sluice.registry.SchemaLookup;
import dev.sluice.registry.WireFormat;
import dev.sluice.schema.avro.AvroJson;
import dev.sluice.schema.compat.AvroSchema;
import dev.sluice.schema.compat.ParsedSchema;
import dev.sluice.sources.Utf8;

/**
 * Turns a Kafka message into a JSON event: plain JSON, or the Confluent wire format (magic byte 0, schema id,
 * then Avro binary or JSON) decoded with the writer's schema from the registry. JSON must be one value (nothing
 * after it) in strict UTF-8.
 */
final class Decoder {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Why a message cannot be read; {@code rule} goes to the dead-letter header. */
    static final class Undecodable extends Exception {
        private static final long serialVersionUID = 1L;
        private final String rule;

        Undecodable(String rule, String message) {
            super(message);
            this.rule = rule;
        }

        String rule() {
            return rule;
        }
    }

    private final String format;
    private final SchemaLookup registry;

    Decoder(String format, SchemaLookup registry) {
        this.format = format == null ? "auto" : format;
        this.registry = registry;
    }

    JsonNode decode(byte[] value) throws Undecodable {
        if (value == null || value.length == 0) {
            throw new Undecodable("json", "empty message (a tombstone or no body)");
        }
        boolean framed =
                switch (format) {
                    case "json" -> false;
                    case "confluent" -> true;
                    default -> WireFormat.looksFramed(value);
                };
        return framed ? framed(value) : json(value, 0, value.length);
    }

    private JsonNode framed(byte[] value) throws Undecodable {
        int id;
        try {
            id = WireFormat.schemaId(value);
        } catch (IllegalArgumentException e) {
            throw new Undecodable("wire-format", e.getMessage());
        }
        if (registry == null) {
            throw new Undecodable("schema-id", "message carries schema id " + id + " but no registry is running");
        }
        ParsedSchema schema;
        try {
            schema = registry.byId(id);
        } catch (RegistryException e) {
            throw new Undecodable("schema-id", "unknown schema id " + id + ": it is not in the schema registry");
        }
        int off = WireFormat.HEADER;
        if (schema instanceof AvroSchema avro) {
            try {
                return AvroJson.decode(value, off, value.length - off, avro.avro());
            } catch (RuntimeException e) {
                throw new Undecodable(
                        "avro", "cannot decode Avro with schema id " + id + ": " + firstLine(e.getMessage()));
            }
        }
        return json(value, off, value.length - off);
    }

    private static JsonNode json(byte[] value, int off, int len) throws Undecodable {
        int bad = Utf8.firstMalformed(value, off, len);
        if (bad >= 0) {
            throw new Undecodable("json", "not JSON: not valid UTF-8 (byte " + (bad - off + 1) + ")");
        }
        try {
            return JSON.readTree(value, off, len);
        } catch (Exception e) {
            throw new Undecodable("json", "not JSON: " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
