package dev.sluice.schema.compat;

import java.util.List;

/**
 * A parsed, valid schema. Implementations: {@link AvroSchema} (exposes the {@code org.apache.avro.Schema}) and
 * {@link JsonSchema} (exposes the Jackson tree). Instances are immutable and thread-safe.
 */
public interface ParsedSchema {
    SchemaType type();

    /**
     * The text used for identity: same schema (ignoring whitespace/key order where the type allows) => same
     * canonical string. Avro: the parsed schema's {@code Schema.toString()} (Confluent's canonical string; keeps
     * docs and defaults; named types taken from references are written out in full). JSON: the document
     * re-serialized with object keys sorted, no whitespace.
     */
    String canonical();

    List<SchemaReference> references();

    /** The original text as registered. */
    String text();
}
