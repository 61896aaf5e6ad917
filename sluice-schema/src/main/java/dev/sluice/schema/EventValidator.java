package dev.sluice.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Checks events against a stream's JSON Schema (draft 2020-12 unless the schema says otherwise),
 * with {@code format} asserted, so a malformed {@code date-time} is refused rather than stored.
 * Thread-safe: one instance per stream is shared by every source writing to it.
 */
public final class EventValidator {

    private final JsonSchema schema;

    private EventValidator(JsonSchema schema) {
        this.schema = schema;
    }

    public static EventValidator of(JsonNode jsonSchema) {
        SpecVersion.VersionFlag version = SpecVersion.VersionFlag.V202012;
        JsonNode declared = jsonSchema.get("$schema");
        if (declared != null && declared.asText().contains("draft-07")) {
            version = SpecVersion.VersionFlag.V7;
        }
        SchemaValidatorsConfig config =
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        return new EventValidator(JsonSchemaFactory.getInstance(version).getSchema(jsonSchema, config));
    }

    /** Every rule the event breaks, ordered by field; empty when it conforms. */
    public List<Violation> validate(JsonNode event) {
        Set<ValidationMessage> messages = schema.validate(event);
        if (messages.isEmpty()) {
            return List.of();
        }
        List<Violation> out = new ArrayList<>(messages.size());
        for (ValidationMessage m : messages) {
            String field = fieldOf(m);
            out.add(new Violation(field, m.getType(), m.getMessage()));
        }
        out.sort(Comparator.comparing(Violation::field).thenComparing(Violation::rule));
        return out;
    }

    /**
     * The offending field as a JSON Pointer-like dotted path ({@code amount}, {@code items[2].sku});
     * for a missing required field or an unexpected one, the field itself rather than its parent.
     */
    private static String fieldOf(ValidationMessage m) {
        String at = m.getInstanceLocation().toString();
        String base = at.isEmpty() || at.equals("$") || at.equals("/")
                ? ""
                : at.startsWith("$.") ? at.substring(2) : at.substring(1).replace('/', '.');
        String property = m.getProperty();
        if (property != null && !property.isEmpty()) {
            return base.isEmpty() ? property : base + "." + property;
        }
        return base.isEmpty() ? "$" : base;
    }
}
