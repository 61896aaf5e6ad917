package dev.sluice.schema.avro;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class AvroToJsonSchemaTest {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static JsonSchema validator(ObjectNode schema) {
        SchemaValidatorsConfig config =
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema, config);
    }

    private static final String GOOD = """
            {"id":"o-1","status":"PAID","amount":1234.50,"created_at":1764000000123,"day":"2026-11-24",
             "ref":"0b5e6f5c-0c57-4b7a-9a4e-0e7f3c2c8a11","customer":{"name":"Ada","vip":true},
             "lines":[{"sku":"A-1","qty":2,"price":9.99}],"attrs":{"channel":"web"},
             "note":null,"payment":"card","raw":"AAEC","ratio":0.25}""";

    @Test
    void theConvertedSchemaAcceptsAGoodEventAndRefusesBadOnes() throws Exception {
        ObjectNode schema = AvroToJsonSchema.convert(AvroJsonTest.ORDER);
        JsonSchema validator = validator(schema);
        assertThat(validator.validate(JSON.readTree(GOOD))).isEmpty();
        // what AvroJson produces from Avro data is valid too
        byte[] bytes = AvroJson.encode(JSON.readTree(GOOD), AvroJsonTest.ORDER);
        assertThat(validator.validate(AvroJson.decode(bytes, 0, bytes.length, AvroJsonTest.ORDER)))
                .isEmpty();

        assertRefused(validator, "{\"status\":\"LOST\"}", "/status", "enum");
        assertRefused(validator, "{\"amount\":\"12\"}", "/amount", "type");
        assertRefused(validator, "{\"colour\":\"red\"}", "", "additionalProperties");
        assertRefused(validator, "{\"day\":\"2026-13-45\"}", "/day", "format");
        assertRefused(validator, "{\"lines\":[{\"sku\":\"A\",\"qty\":2.5,\"price\":1}]}", "/lines/0/qty", "type");
        assertRefused(
                validator, "{\"lines\":[{\"sku\":\"A\",\"qty\":3000000000,\"price\":1}]}", "/lines/0/qty", "maximum");
        assertRefused(validator, "{\"customer\":{\"vip\":true}}", "/customer", "required");
        assertRefused(validator, "{\"note\":5}", "/note", "type");
        assertRefused(validator, "{\"payment\":true}", "/payment", "type");
    }

    private static void assertRefused(JsonSchema validator, String patch, String where, String keyword)
            throws Exception {
        ObjectNode event = (ObjectNode) JSON.readTree(GOOD);
        JSON.readTree(patch).properties().forEach(e -> event.set(e.getKey(), e.getValue()));
        Set<ValidationMessage> messages = validator.validate(event);
        assertThat(messages).as(patch).anySatisfy(m -> {
            assertThat(m.getInstanceLocation().toString()).isEqualTo(where);
            assertThat(m.getType()).isEqualTo(keyword);
        });
    }

    @Test
    void theShapeFollowsTheAvroTypes() {
        ObjectNode schema = AvroToJsonSchema.convert(AvroJsonTest.ORDER);
        assertThat(schema.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(schema.get("type").asText()).isEqualTo("object");
        assertThat(schema.get("additionalProperties").asBoolean(true)).isFalse();
        assertThat(schema.get("required"))
                .extracting(JsonNode::asText)
                .containsExactly("id", "status", "amount", "created_at", "day", "ref", "customer", "lines", "attrs");
        JsonNode p = schema.get("properties");
        assertThat(p.get("status").toString())
                .isEqualTo("{\"type\":\"string\",\"enum\":[\"NEW\",\"PAID\",\"SHIPPED\"]}");
        assertThat(p.get("amount").get("type").asText()).isEqualTo("number");
        assertThat(p.get("created_at").get("type").asText()).isEqualTo("integer");
        assertThat(p.get("day").toString()).isEqualTo("{\"type\":\"string\",\"format\":\"date\"}");
        assertThat(p.get("ref").toString()).isEqualTo("{\"type\":\"string\",\"format\":\"uuid\"}");
        assertThat(p.get("note").toString()).isEqualTo("{\"type\":[\"string\",\"null\"],\"default\":null}");
        assertThat(p.get("customer").get("properties").get("vip").toString())
                .isEqualTo("{\"type\":\"boolean\",\"default\":false}");
        assertThat(p.get("lines").get("items").get("required")).hasSize(3);
        assertThat(p.get("attrs").toString())
                .isEqualTo("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}");
        assertThat(p.get("payment").get("anyOf")).hasSize(4);
    }

    @Test
    void aNullableEnumAllowsNull() throws Exception {
        Schema s = new Schema.Parser().parse("""
                {"type":"record","name":"R","fields":[{"name":"e","type":["null",
                  {"type":"enum","name":"E","symbols":["A","B"]}],"default":null}]}""");
        JsonSchema validator = validator(AvroToJsonSchema.convert(s));
        assertThat(validator.validate(JSON.readTree("{\"e\":null}"))).isEmpty();
        assertThat(validator.validate(JSON.readTree("{\"e\":\"A\"}"))).isEmpty();
        assertThat(validator.validate(JSON.readTree("{}"))).isEmpty();
        assertThat(validator.validate(JSON.readTree("{\"e\":\"C\"}"))).isNotEmpty();
    }

    @Test
    void recursiveRecordsAreDefinedOnceAndReferenced() throws Exception {
        Schema s = new Schema.Parser().parse("""
                {"type":"record","name":"Node","namespace":"t","fields":[
                  {"name":"value","type":"int"},
                  {"name":"children","type":{"type":"array","items":"Node"}},
                  {"name":"parent","type":["null","Node"],"default":null}]}""");
        ObjectNode schema = AvroToJsonSchema.convert(s);
        assertThat(schema.get("$defs").has("t.Node")).isTrue();
        assertThat(schema.at("/properties/children/items/$ref").asText()).isEqualTo("#/$defs/t.Node");
        JsonSchema validator = validator(schema);
        assertThat(validator.validate(
                        JSON.readTree("{\"value\":1,\"children\":[{\"value\":2,\"children\":[],\"parent\":null}]}")))
                .isEmpty();
        assertThat(validator.validate(
                        JSON.readTree("{\"value\":1,\"children\":[{\"value\":\"two\",\"children\":[]}]}")))
                .isNotEmpty();
        // the converted schema is itself a valid JSON Schema for the registry
        assertThat(dev.sluice.schema.compat.Schemas.parse(dev.sluice.schema.compat.SchemaType.JSON, schema.toString()))
                .isNotNull();
        assertThat(List.of(schema.get("$defs").size())).containsExactly(1);
    }
}
