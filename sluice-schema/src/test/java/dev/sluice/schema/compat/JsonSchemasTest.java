package dev.sluice.schema.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.networknt.schema.SpecVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonSchemasTest {

    private static ParsedSchema json(String text) {
        return Schemas.parse(SchemaType.JSON, text);
    }

    @Test
    void parsesAndExposesTheTree() {
        String text = """
                {"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}""";
        ParsedSchema parsed = json(text);
        assertThat(parsed).isInstanceOf(JsonSchema.class);
        assertThat(parsed.type()).isEqualTo(SchemaType.JSON);
        assertThat(parsed.text()).isEqualTo(text);
        JsonSchema schema = (JsonSchema) parsed;
        assertThat(schema.node().at("/properties/id/type").asText()).isEqualTo("string");
        assertThat(schema.specVersion()).isEqualTo(SpecVersion.VersionFlag.V202012);
        // node() is a copy: changing it does not change the schema
        ((com.fasterxml.jackson.databind.node.ObjectNode) schema.node()).put("type", "array");
        assertThat(schema.node().get("type").asText()).isEqualTo("object");
    }

    @Test
    void booleanSchemasAndOlderDraftsParse() {
        assertThat(json("true").canonical()).isEqualTo("true");
        JsonSchema draft7 = (JsonSchema) json("""
                {"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"id":{"type":"string"}},
                 "properties":{"id":{"$ref":"#/definitions/id"}},"items":[{"type":"string"}]}""");
        assertThat(draft7.specVersion()).isEqualTo(SpecVersion.VersionFlag.V7);
        assertThat(((JsonSchema) json("{\"$schema\":\"http://json-schema.org/draft-04/schema#\"}")).specVersion())
                .isEqualTo(SpecVersion.VersionFlag.V4);
    }

    @Test
    void canonicalSortsKeysAndDropsWhitespace() {
        ParsedSchema a = json("""
                {"type": "object",
                 "properties": {"b": {"type": "string", "maxLength": 3}, "a": {"type": "integer"}}}""");
        ParsedSchema b = json("""
                {
                  "properties": {
                    "a": { "type": "integer" },
                    "b": { "maxLength": 3, "type": "string" }
                  },
                  "type": "object"
                }""");
        assertThat(a.canonical())
                .isEqualTo("{\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"maxLength\":3,\"type\":\"string\"}},"
                        + "\"type\":\"object\"}");
        assertThat(b.canonical()).isEqualTo(a.canonical());
        assertThat(b).isEqualTo(a);
        // array order matters
        assertThat(json("{\"enum\":[1,2]}").canonical())
                .isNotEqualTo(json("{\"enum\":[2,1]}").canonical());
    }

    @Test
    void textThatIsNotJsonIsRefused() {
        assertThatThrownBy(() -> json("{\"type\": \"object\""))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageStartingWith("schema is not valid JSON at line 1");
        assertThatThrownBy(() -> json("{\"type\":\"object\",\"type\":\"string\"}"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("Duplicate field 'type'");
        assertThatThrownBy(() -> json("{} {}"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageStartingWith("schema is not valid JSON");
        assertThatThrownBy(() -> json("[{\"type\":\"string\"}]"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessage("a JSON Schema must be a JSON object or a boolean, not an array");
    }

    @Test
    void invalidKeywordValuesAreNamed() {
        assertThatThrownBy(() -> json("""
                        {"type":"object","properties":{"amount":{"type":"number","minimum":"0"}},"required":"amount"}"""))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageStartingWith("invalid JSON Schema (https://json-schema.org/draft/2020-12/schema): ")
                .hasMessageContaining("$.properties.amount.minimum: string found, number expected")
                .hasMessageContaining("$.required: string found, array expected");
        assertThatThrownBy(() -> json("{\"type\":\"strin\"}"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("$.type");
        assertThatThrownBy(() -> json("{\"type\":\"string\",\"pattern\":\"[a-\"}"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("invalid regular expression '[a-' in 'pattern' at /");
        assertThatThrownBy(() -> json("{\"$schema\":\"https://example.com/my-draft\"}"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("unsupported $schema");
    }

    @Test
    void unresolvableRefsAreRefused() {
        assertThatThrownBy(() -> json("""
                        {"$defs":{"id":{"type":"string"}},"properties":{"id":{"$ref":"#/$defs/ident"}}}"""))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("$ref '#/$defs/ident' at /properties/id cannot be resolved");
        assertThatThrownBy(() -> json("{\"properties\":{\"customer\":{\"$ref\":\"customer.json\"}}}"))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("$ref 'customer.json' at /properties/customer cannot be resolved");
        // local pointers, anchors and recursion are fine
        json("""
                {"$defs":{"id":{"$anchor":"ident","type":"string"}},
                 "properties":{"id":{"$ref":"#/$defs/id"},"alt":{"$ref":"#ident"},"child":{"$ref":"#"}}}""");
    }

    @Test
    void aRefToAReferenceNameResolvesToThatSchema() {
        ParsedSchema customer = json("""
                {"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}""");
        SchemaReference ref = new SchemaReference("customer.json", "customer-value", 2);
        JsonSchema order = (JsonSchema) Schemas.parse(SchemaType.JSON, """
                {"type":"object","properties":{"customer":{"$ref":"customer.json"},
                 "name":{"$ref":"customer.json#/properties/name"}}}""", List.of(ref), r -> customer);
        assertThat(order.references()).containsExactly(ref);
        assertThat(order.referencedSchemas()).containsEntry("customer.json", (JsonSchema) customer);

        assertThatThrownBy(
                        () -> Schemas.parse(SchemaType.JSON, "{\"$ref\":\"customer.json\"}", List.of(ref), r -> null))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("reference 'customer.json' cannot be resolved");
        assertThatThrownBy(() -> Schemas.parse(
                        SchemaType.JSON, "{\"$ref\":\"customer.json#/properties/email\"}", List.of(ref), r -> customer))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("customer.json#/properties/email");
    }
}
