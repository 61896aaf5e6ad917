package dev.sluice.schema.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The migration docs/schemas.md walks through on the ecommerce example (replace {@code amount} by
 * {@code amount_minor}): each step passes BACKWARD, and the last one is refused until the level is relaxed.
 */
class MigrationStepsTest {
    static final String AMOUNT = "\"amount\": { \"type\": \"number\", \"exclusiveMinimum\": 0 },";

    static List<String> backward(String next, String... previous) {
        List<ParsedSchema> prev = java.util.Arrays.stream(previous)
                .map(p -> Schemas.parse(SchemaType.JSON, p))
                .toList();
        return Compatibility.check(CompatibilityLevel.BACKWARD, Schemas.parse(SchemaType.JSON, next), prev);
    }

    @Test
    void theDocumentedStepsKeepBackwardCompatibilityUntilTheLast() throws Exception {
        String v1 = Files.readString(Path.of("../examples/ecommerce/schemas/orders.schema.json"));
        assertThat(v1).contains(AMOUNT).contains("\"amount\", \"status\"");

        // 1. add the new field, optional
        String v2 = v1.replace(AMOUNT, AMOUNT + "\n    \"amount_minor\": { \"type\": \"integer\", \"minimum\": 1 },");
        assertThat(backward(v2, v1)).isEmpty();
        // 3. the old field no longer required
        String v3 = v2.replace("\"amount\", \"status\"", "\"status\"");
        assertThat(backward(v3, v2)).isEmpty();
        // 4. removing it from the closed schema is refused...
        String v4 = v3.replace(AMOUNT, "");
        assertThat(backward(v4, v3))
                .singleElement()
                .asString()
                .contains("amount")
                .startsWith("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL");
        // ...as is requiring the new one
        assertThat(backward(
                        v3.replace("\"status\", \"created_at\"", "\"status\", \"created_at\", \"amount_minor\""), v3))
                .singleElement()
                .asString()
                .startsWith("REQUIRED_PROPERTY_ADDED");
    }
}
