package dev.sluice.schema.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class AvroSchemasTest {

    private static final String ORDER = """
            {"type":"record","name":"Order","namespace":"com.acme","doc":"An order",
             "fields":[{"name":"id","type":"string"},{"name":"note","type":"string","default":""}]}""";

    @Test
    void parsesAndExposesTheAvroSchema() {
        ParsedSchema parsed = Schemas.parse(SchemaType.AVRO, ORDER);
        assertThat(parsed).isInstanceOf(AvroSchema.class);
        assertThat(parsed.type()).isEqualTo(SchemaType.AVRO);
        assertThat(parsed.text()).isEqualTo(ORDER);
        assertThat(parsed.references()).isEmpty();
        Schema avro = ((AvroSchema) parsed).avro();
        assertThat(avro.getFullName()).isEqualTo("com.acme.Order");
        assertThat(avro.getField("note").defaultVal()).isEqualTo("");
    }

    @Test
    void primitiveSchemasAreValid() {
        assertThat(Schemas.parse(SchemaType.AVRO, "\"string\"").canonical()).isEqualTo("\"string\"");
    }

    @Test
    void canonicalIgnoresWhitespaceAndKeyOrder() {
        String reordered = """
                {
                  "fields" : [
                    { "type" : "string", "name" : "id" },
                    { "default" : "", "name" : "note", "type" : "string" }
                  ],
                  "doc" : "An order",
                  "namespace" : "com.acme",
                  "name" : "Order",
                  "type" : "record"
                }""";
        ParsedSchema a = Schemas.parse(SchemaType.AVRO, ORDER);
        ParsedSchema b = Schemas.parse(SchemaType.AVRO, reordered);
        assertThat(b.canonical()).isEqualTo(a.canonical());
        assertThat(b).isEqualTo(a);
        assertThat(a.canonical())
                .isEqualTo("{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\",\"doc\":\"An order\","
                        + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                        + "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}]}");
    }

    @Test
    void aChangedDefaultOrDocIsAnotherSchema() {
        ParsedSchema a = Schemas.parse(SchemaType.AVRO, ORDER);
        ParsedSchema otherDefault =
                Schemas.parse(SchemaType.AVRO, ORDER.replace("\"default\":\"\"", "\"default\":\"-\""));
        ParsedSchema otherDoc = Schemas.parse(SchemaType.AVRO, ORDER.replace("An order", "One order"));
        assertThat(otherDefault.canonical()).isNotEqualTo(a.canonical());
        assertThat(otherDoc.canonical()).isNotEqualTo(a.canonical());
    }

    @Test
    void invalidSchemasCarryAvrosParseError() {
        assertThatThrownBy(() -> Schemas.parse(SchemaType.AVRO, """
                        {"type":"record","name":"X","fields":[{"name":"a","type":"strin"}]}"""))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageStartingWith("invalid Avro schema: ")
                .hasMessageContaining("strin");
        assertThatThrownBy(() -> Schemas.parse(SchemaType.AVRO, """
                        {"type":"record","name":"X","fields":[{"name":"a","type":"int","default":"one"}]}"""))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("default");
        assertThatThrownBy(() -> Schemas.parse(SchemaType.AVRO, "{\"type\":\"record\""))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageStartingWith("invalid Avro schema: ");
        assertThatThrownBy(() -> Schemas.parse(SchemaType.AVRO, "  "))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessage("schema text is empty");
    }

    // ---------------------------------------------------------------------------------------------------------
    // references

    private static final String ADDRESS = """
            {"type":"record","name":"Address","namespace":"com.acme","fields":[
              {"name":"street","type":"string"},
              {"name":"country","type":{"type":"enum","name":"Country","symbols":["DE","FR"]}}]}""";
    private static final String CUSTOMER = """
            {"type":"record","name":"Customer","namespace":"com.acme","fields":[
              {"name":"name","type":"string"},
              {"name":"shipTo","type":"com.acme.Address"},
              {"name":"billingCountry","type":"com.acme.Country"}]}""";
    private static final SchemaReference ADDRESS_REF = new SchemaReference("com.acme.Address", "address-value", 1);

    @Test
    void aRecordCanUseNamedTypesOfAReferencedSchema() {
        AvroSchema address = (AvroSchema) Schemas.parse(SchemaType.AVRO, ADDRESS);
        AvroSchema customer = (AvroSchema) Schemas.parse(SchemaType.AVRO, CUSTOMER, List.of(ADDRESS_REF), ref -> {
            assertThat(ref).isEqualTo(ADDRESS_REF);
            return address;
        });
        assertThat(customer.references()).containsExactly(ADDRESS_REF);
        assertThat(customer.avro().getField("shipTo").schema()).isEqualTo(address.avro());
        // the nested enum of the referenced schema is known too
        assertThat(customer.avro().getField("billingCountry").schema().getEnumSymbols())
                .containsExactly("DE", "FR");
        assertThat(customer.text()).isEqualTo(CUSTOMER);
    }

    @Test
    void referencesOfReferencesAreKnownThroughTheReferencedSchema() {
        AvroSchema address = (AvroSchema) Schemas.parse(SchemaType.AVRO, ADDRESS);
        AvroSchema customer =
                (AvroSchema) Schemas.parse(SchemaType.AVRO, CUSTOMER, List.of(ADDRESS_REF), ref -> address);
        SchemaReference customerRef = new SchemaReference("com.acme.Customer", "customer-value", 4);
        ParsedSchema order = Schemas.parse(SchemaType.AVRO, """
                {"type":"record","name":"Order","namespace":"com.acme","fields":[
                  {"name":"customer","type":"Customer"},{"name":"from","type":"Address"}]}""", List.of(customerRef), ref -> customer);
        assertThat(((AvroSchema) order).avro().getField("from").schema()).isEqualTo(address.avro());
    }

    @Test
    void aMissingReferenceIsAClearError() {
        assertThatThrownBy(() -> Schemas.parse(SchemaType.AVRO, CUSTOMER, List.of(ADDRESS_REF), ref -> null))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessage("reference 'com.acme.Address' cannot be resolved: no schema version 1 under subject "
                        + "'address-value'");
    }

    @Test
    void anUndeclaredReferenceNamesTheUnknownTypeAndSuggestsReferences() {
        assertThatThrownBy(() -> Schemas.parse(SchemaType.AVRO, CUSTOMER))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("com.acme.Address")
                .hasMessageContaining("references");
    }

    @Test
    void anAvroSchemaCannotReferenceAJsonSchema() {
        ParsedSchema json = Schemas.parse(SchemaType.JSON, "{\"type\":\"object\"}");
        assertThatThrownBy(() -> Schemas.parse(SchemaType.AVRO, CUSTOMER, List.of(ADDRESS_REF), ref -> json))
                .isInstanceOf(InvalidSchemaException.class)
                .hasMessageContaining("is a JSON schema");
    }
}
