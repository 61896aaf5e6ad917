package dev.sluice.schema.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SchemaTypeAndLevelTest {

    @Test
    void schemaTypeDefaultsToAvroAndRefusesProtobuf() {
        assertThat(SchemaType.parse(null)).isEqualTo(SchemaType.AVRO);
        assertThat(SchemaType.parse("")).isEqualTo(SchemaType.AVRO);
        assertThat(SchemaType.parse("AVRO")).isEqualTo(SchemaType.AVRO);
        assertThat(SchemaType.parse("JSON")).isEqualTo(SchemaType.JSON);
        assertThatThrownBy(() -> SchemaType.parse("PROTOBUF"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessage("schema type PROTOBUF is not supported; use AVRO or JSON");
        assertThatThrownBy(() -> SchemaType.parse("XML"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("XML")
                .hasMessageContaining("use AVRO or JSON");
    }

    @Test
    void compatibilityLevelIsCaseInsensitiveAndNamesValidValues() {
        assertThat(CompatibilityLevel.parse("full_transitive")).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
        assertThat(CompatibilityLevel.parse("Backward")).isEqualTo(CompatibilityLevel.BACKWARD);
        assertThatThrownBy(() -> CompatibilityLevel.parse("SIDEWAYS"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SIDEWAYS")
                .hasMessageContaining(
                        "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, " + "FULL_TRANSITIVE");
        assertThatThrownBy(() -> CompatibilityLevel.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
