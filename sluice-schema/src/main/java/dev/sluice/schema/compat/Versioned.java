package dev.sluice.schema.compat;

import java.util.Objects;

/** A previous schema of a subject with its version number, for {@link Compatibility#checkVersioned}. */
public record Versioned(int version, ParsedSchema schema) {
    public Versioned {
        Objects.requireNonNull(schema, "schema");
    }
}
