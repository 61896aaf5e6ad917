package dev.sluice.schema.compat;

import java.util.Locale;

/** The kinds of schema the registry accepts, named as in Confluent's {@code schemaType} field. */
public enum SchemaType {
    AVRO,
    JSON;

    /**
     * "AVRO" / "JSON" as in Confluent's {@code schemaType} field (case-insensitive); {@code null} or "" means
     * AVRO, Confluent's default.
     *
     * @throws InvalidSchemaException for any other value, e.g. PROTOBUF
     */
    public static SchemaType parse(String s) {
        if (s == null || s.isBlank()) {
            return AVRO;
        }
        String upper = s.trim().toUpperCase(Locale.ROOT);
        return switch (upper) {
            case "AVRO" -> AVRO;
            case "JSON" -> JSON;
            case "PROTOBUF" ->
                throw new InvalidSchemaException("schema type PROTOBUF is not supported; use AVRO or JSON");
            default -> throw new InvalidSchemaException("unknown schema type '" + s.trim() + "'; use AVRO or JSON");
        };
    }
}
