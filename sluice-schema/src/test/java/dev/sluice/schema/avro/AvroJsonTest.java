package dev.sluice.schema.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class AvroJsonTest {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    static final Schema ORDER = new Schema.Parser().parse("""
            {"type":"record","name":"Order","namespace":"com.acme","fields":[
              {"name":"id","type":"string"},
              {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
              {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
              {"name":"created_at","type":{"type":"long","logicalType":"timestamp-millis"}},
              {"name":"day","type":{"type":"int","logicalType":"date"}},
              {"name":"ref","type":{"type":"string","logicalType":"uuid"}},
              {"name":"customer","type":{"type":"record","name":"Customer","fields":[
                {"name":"name","type":"string"},{"name":"vip","type":"boolean","default":false}]}},
              {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
                {"name":"sku","type":"string"},{"name":"qty","type":"int"},{"name":"price","type":"double"}]}}},
              {"name":"attrs","type":{"type":"map","values":"string"}},
              {"name":"note","type":["null","string"],"default":null},
              {"name":"payment","type":["null","long","string","Customer"],"default":null},
              {"name":"raw","type":"bytes","default":""},
              {"name":"ratio","type":"float","default":1.5}
            ]}""");

    private static final String EVENT = """
            {"id":"o-1","status":"PAID","amount":1234.50,"created_at":1764000000123,"day":"2026-11-24",
             "ref":"0b5e6f5c-0c57-4b7a-9a4e-0e7f3c2c8a11",
             "customer":{"name":"Ada","vip":true},
             "lines":[{"sku":"A-1","qty":2,"price":9.99},{"sku":"B-2","qty":1,"price":0.5}],
             "attrs":{"channel":"web","campaign":"x"},
             "note":"leave at door","payment":{"name":"Bob","vip":false},
             "raw":"AAEC","ratio":0.25}""";

    /** Numbers compare by value (1234.5 == 1234.50, float 0.25 == 0.25), everything else exactly. */
    private static final Comparator<JsonNode> SAME =
            (a, b) -> a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) : a.equals(b) ? 0 : 1;

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static JsonNode roundTrip(JsonNode in, Schema schema) {
        byte[] bytes = AvroJson.encode(in, schema);
        return AvroJson.decode(bytes, 0, bytes.length, schema);
    }

    @Test
    void encodeThenDecodeGivesTheInputBack() throws Exception {
        JsonNode in = json(EVENT);
        JsonNode out = roundTrip(in, ORDER);
        assertThat(out.equals(SAME, in)).as("%s%n vs%n%s", out, in).isTrue();
        // exact decimal with the schema's scale, timestamps as epoch millis, a union as its plain value
        assertThat(out.get("amount").decimalValue()).isEqualTo(new BigDecimal("1234.50"));
        assertThat(out.get("amount").toString()).isEqualTo("1234.50");
        assertThat(out.get("created_at").isLong()).isTrue();
        assertThat(out.get("payment").get("name").asText()).isEqualTo("Bob");
    }

    @Test
    void unionsTakeTheFirstBranchTheValueFits() throws Exception {
        JsonNode in = json(EVENT);
        for (String payment : List.of("null", "42", "\"card\"", "{\"name\":\"Cy\"}")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) in).set("payment", json(payment));
            JsonNode out = roundTrip(in, ORDER).get("payment");
            if (payment.startsWith("{")) {
                assertThat(out.toString()).isEqualTo("{\"name\":\"Cy\",\"vip\":false}"); // default filled in
            } else {
                assertThat(out.equals(SAME, json(payment))).as(payment).isTrue();
            }
        }
    }

    @Test
    void missingFieldsTakeTheirDefaults() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode in =
                (com.fasterxml.jackson.databind.node.ObjectNode) json(EVENT);
        in.remove(List.of("note", "payment", "raw", "ratio"));
        JsonNode out = roundTrip(in, ORDER);
        assertThat(out.get("note").isNull()).isTrue();
        assertThat(out.get("payment").isNull()).isTrue();
        assertThat(out.get("raw").asText()).isEmpty();
        assertThat(out.get("ratio").floatValue()).isEqualTo(1.5f);
    }

    @Test
    void decodesBinaryWrittenByAvroItself() {
        Schema customer = ORDER.getField("customer").schema();
        Schema line = ORDER.getField("lines").schema().getElementType();
        GenericRecord c = new GenericData.Record(customer);
        c.put("name", "Ada");
        c.put("vip", true);
        GenericRecord l = new GenericData.Record(line);
        l.put("sku", "A-1");
        l.put("qty", 2);
        l.put("price", 9.99);
        Schema amountSchema = ORDER.getField("amount").schema();
        GenericRecord o = new GenericData.Record(ORDER);
        o.put("id", "o-1");
        o.put("status", new GenericData.EnumSymbol(ORDER.getField("status").schema(), "NEW"));
        o.put(
                "amount",
                new Conversions.DecimalConversion()
                        .toBytes(new BigDecimal("12.30"), amountSchema, LogicalTypes.decimal(10, 2)));
        o.put("created_at", 1764000000123L);
        o.put("day", (int) LocalDate.parse("2026-11-24").toEpochDay());
        o.put("ref", "0b5e6f5c-0c57-4b7a-9a4e-0e7f3c2c8a11");
        o.put("customer", c);
        o.put("lines", List.of(l));
        o.put("attrs", Map.of("k", "v"));
        o.put("note", null);
        o.put("payment", 42L);
        o.put("raw", ByteBuffer.wrap("hi".getBytes(StandardCharsets.UTF_8)));
        o.put("ratio", 0.5f);

        byte[] payload = write(o, ORDER);
        // as in Confluent's wire format: the Avro payload follows a 5-byte header
        byte[] framed = new byte[payload.length + 5];
        System.arraycopy(payload, 0, framed, 5, payload.length);
        JsonNode out = AvroJson.decode(framed, 5, payload.length, ORDER);

        assertThat(out.toString())
                .isEqualTo("{\"id\":\"o-1\",\"status\":\"NEW\",\"amount\":12.30,\"created_at\":1764000000123,"
                        + "\"day\":\"2026-11-24\",\"ref\":\"0b5e6f5c-0c57-4b7a-9a4e-0e7f3c2c8a11\","
                        + "\"customer\":{\"name\":\"Ada\",\"vip\":true},"
                        + "\"lines\":[{\"sku\":\"A-1\",\"qty\":2,\"price\":9.99}],\"attrs\":{\"k\":\"v\"},"
                        + "\"note\":null,\"payment\":42,\"raw\":\"aGk=\",\"ratio\":0.5}");
    }

    @Test
    void timestampMicrosBecomeEpochMillisAndConvertedValuesAreAccepted() {
        Schema s = new Schema.Parser().parse("""
                {"type":"record","name":"T","fields":[
                  {"name":"micros","type":{"type":"long","logicalType":"timestamp-micros"}},
                  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
                  {"name":"price","type":["null",{"type":"bytes","logicalType":"decimal","precision":6,"scale":3}]}]}""");
        GenericRecord r = new GenericData.Record(s);
        r.put("micros", 1_764_000_000_123_456L);
        r.put("at", Instant.ofEpochMilli(1_764_000_000_123L)); // what Avro's conversions would hold
        r.put("price", new BigDecimal("1.250"));
        JsonNode out = AvroJson.toJson(r, s);
        assertThat(out.toString()).isEqualTo("{\"micros\":1764000000123,\"at\":1764000000123,\"price\":1.250}");
        JsonNode back = roundTrip(out, s);
        assertThat(back.get("micros").longValue()).isEqualTo(1_764_000_000_123L);
    }

    @Test
    void nonFiniteFloatsTravelAsText() throws Exception {
        Schema s = new Schema.Parser().parse("{\"type\":\"array\",\"items\":\"double\"}");
        JsonNode out = roundTrip(json("[1.5, \"NaN\", \"-Infinity\"]"), s);
        assertThat(out.toString()).isEqualTo("[1.5,\"NaN\",\"-Infinity\"]");
    }

    // ---------------------------------------------------------------------------------------------------------
    // errors name the field

    private static void refused(String mutation, String... expected) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode in =
                (com.fasterxml.jackson.databind.node.ObjectNode) json(EVENT);
        JsonNode patch = json(mutation);
        patch.properties().forEach(e -> {
            if (e.getValue().isTextual() && e.getValue().asText().equals("<remove>")) {
                in.remove(e.getKey());
            } else {
                in.set(e.getKey(), e.getValue());
            }
        });
        assertThatThrownBy(() -> AvroJson.encode(in, ORDER))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> {
                    for (String part : expected) {
                        assertThat(e.getMessage()).contains(part);
                    }
                });
    }

    @Test
    void encodeErrorsNameTheFieldPathAndTheProblem() throws Exception {
        refused("{\"status\":\"<remove>\"}", "field 'status': missing, and the field has no default");
        refused(
                "{\"lines\":[{\"sku\":\"A\",\"qty\":1,\"price\":1},{\"sku\":\"B\",\"qty\":\"two\",\"price\":1}]}",
                "field 'lines[1].qty': expected an int but got text \"two\"");
        refused("{\"customer\":{\"vip\":true}}", "field 'customer.name': missing");
        refused("{\"status\":\"LOST\"}", "field 'status': expected one of [NEW, PAID, SHIPPED]");
        refused("{\"amount\":12.345}", "field 'amount': 12.345 has more than 2 decimal places");
        refused("{\"lines\":[{\"sku\":\"A\",\"qty\":3000000000,\"price\":1}]}", "field 'lines[0].qty'", "out of range");
        refused("{\"colour\":\"red\"}", "field 'colour': record com.acme.Order has no such field");
        refused(
                "{\"payment\":true}",
                "field 'payment': boolean true fits no branch of union [null, long, string, "
                        + "record com.acme.Customer]");
        refused("{\"day\":\"24.11.2026\"}", "field 'day': expected a date YYYY-MM-DD");
        refused("{\"ref\":\"not-a-uuid\"}", "field 'ref': expected a UUID");
        refused("{\"attrs\":{\"k\":1}}", "field 'attrs[\"k\"]': expected a string but got number 1");
        refused("{\"id\":null}", "field 'id': expected a string but got null");
    }

    @Test
    void decodingDataOfAnotherSchemaFails() {
        byte[] bytes = AvroJson.encode(
                new com.fasterxml.jackson.databind.node.TextNode("hello"), Schema.create(Schema.Type.STRING));
        assertThatThrownBy(() -> AvroJson.decode(bytes, 0, bytes.length, Schema.create(Schema.Type.INT)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bytes left over");
        assertThatThrownBy(() -> AvroJson.decode(new byte[] {(byte) 0x80}, 0, 1, ORDER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot decode Avro data");
    }

    static byte[] write(GenericRecord record, Schema schema) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
