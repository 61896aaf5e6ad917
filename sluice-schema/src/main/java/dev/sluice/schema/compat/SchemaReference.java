package dev.sluice.schema.compat;

/**
 * A schema's reference to a schema registered under another subject, as in Confluent's {@code references}
 * field.
 *
 * @param name how the referencing schema names it: for Avro the full name of the referenced named type (e.g.
 *     {@code com.acme.Address}), for JSON Schema the {@code $ref} value that points at it (e.g. {@code
 *     address.json})
 * @param subject the subject the referenced schema is registered under
 * @param version its version in that subject
 */
public record SchemaReference(String name, String subject, int version) {}
