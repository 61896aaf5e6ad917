package dev.sluice.registry;

import dev.sluice.schema.compat.ParsedSchema;

/** Finds a registered schema by its global id (what the Confluent wire format carries). */
public interface SchemaLookup {
    /** @throws RegistryException 40403 when no schema has this id */
    ParsedSchema byId(int id);
}
