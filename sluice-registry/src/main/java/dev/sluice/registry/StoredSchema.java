package dev.sluice.registry;

import dev.sluice.schema.compat.SchemaReference;
import dev.sluice.schema.compat.SchemaType;
import java.util.List;

/** A schema as the registry keeps it under its global id. */
public record StoredSchema(int id, SchemaType type, String text, String canonical, List<SchemaReference> references) {
    /** What makes two registrations the same schema: type, canonical text and references. */
    public String contentKey() {
        return contentKey(type, canonical, references);
    }

    static String contentKey(SchemaType type, String canonical, List<SchemaReference> references) {
        return type + "\n" + canonical + "\n" + references;
    }
}
