package dev.sluice.schema.compat;

import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;

/** A parsed Avro schema. Create with {@link Schemas#parse}. */
public final class AvroSchema implements ParsedSchema {
    private final Schema avro;
    private final String text;
    private final List<SchemaReference> references;
    private final String canonical;

    AvroSchema(Schema avro, String text, List<SchemaReference> references) {
        this.avro = avro;
        this.text = text;
        this.references = List.copyOf(references);
        // Confluent's canonical form: Avro's own JSON rendering of the parsed schema. It normalises whitespace
        // and key order but keeps docs, defaults, aliases and custom properties, so a changed default is a new
        // schema. Named types that come from references are rendered in full where they are used.
        this.canonical = avro.toString();
    }

    /** The parsed Avro schema (immutable once parsed; do not add properties to it). */
    public Schema avro() {
        return avro;
    }

    @Override
    public SchemaType type() {
        return SchemaType.AVRO;
    }

    @Override
    public String canonical() {
        return canonical;
    }

    @Override
    public List<SchemaReference> references() {
        return references;
    }

    @Override
    public String text() {
        return text;
    }

    /** Equal when the canonical strings and the references are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof AvroSchema other
                && canonical.equals(other.canonical)
                && references.equals(other.references);
    }

    @Override
    public int hashCode() {
        return Objects.hash(canonical, references);
    }

    @Override
    public String toString() {
        return canonical;
    }
}
