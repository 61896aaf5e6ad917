package dev.sluice.schema.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON Schema checker, rule by rule: "reader R can read data written with W". */
class JsonSchemaCompatibilityTest {

    private static ParsedSchema json(String text) {
        return Schemas.parse(SchemaType.JSON, text);
    }

    /** Messages when {@code reader} (the candidate, under BACKWARD) reads data written with {@code writer}. */
    private static List<String> check(String reader, String writer) {
        return Compatibility.check(CompatibilityLevel.BACKWARD, json(reader), List.of(json(writer)));
    }

    private static void compatible(String reader, String writer) {
        assertThat(check(reader, writer))
                .as("reader %s / writer %s", reader, writer)
                .isEmpty();
    }

    private static void incompatible(String reader, String writer, String type, String path) {
        assertThat(check(reader, writer))
                .as("reader %s / writer %s", reader, writer)
                .anySatisfy(m ->
                        assertThat(m).startsWith(type + " at " + path + ": ").endsWith("(checked against version 1)"));
    }

    private static String object(String properties) {
        return "{\"type\":\"object\",\"properties\":{" + properties + "}}";
    }

    private static String closed(String properties) {
        return "{\"type\":\"object\",\"properties\":{" + properties + "},\"additionalProperties\":false}";
    }

    // ---------------------------------------------------------------------------------------------------------
    // types

    @Test
    void integerToNumberWidensNumberToIntegerNarrows() {
        compatible("{\"type\":\"number\"}", "{\"type\":\"integer\"}");
        incompatible("{\"type\":\"integer\"}", "{\"type\":\"number\"}", "TYPE_NARROWED", "/type");
        assertThat(check("{\"type\":\"integer\"}", "{\"type\":\"number\"}"))
                .containsExactly("TYPE_NARROWED at /type: the new schema only accepts integers, but version 1 allows "
                        + "any number (number→integer narrows the type) (checked against version 1)");
    }

    @Test
    void aTypeUnionInTheReaderMustCoverTheWritersTypes() {
        compatible("{\"type\":[\"string\",\"null\",\"integer\"]}", "{\"type\":[\"string\",\"null\"]}");
        compatible("{\"type\":[\"string\",\"number\"]}", "{\"type\":[\"integer\",\"string\"]}");
        incompatible("{\"type\":\"string\"}", "{\"type\":[\"string\",\"null\"]}", "TYPE_NARROWED", "/type");
        incompatible("{\"type\":\"integer\"}", "{\"type\":\"string\"}", "TYPE_CHANGED", "/type");
        incompatible("{\"type\":\"string\"}", "{}", "TYPE_NARROWED", "/type");
        compatible("{}", "{\"type\":\"string\"}");
        compatible("true", "{\"type\":\"string\"}");
        compatible("{\"type\":\"string\"}", "false");
        incompatible("false", "{\"type\":\"string\"}", "FALSE_SCHEMA_ADDED", "/");
    }

    // ---------------------------------------------------------------------------------------------------------
    // object properties

    @Test
    void aPropertyAddedToAnOpenWriterMustAcceptAnything() {
        String writer = object("\"id\":{\"type\":\"string\"}");
        incompatible(
                object("\"id\":{\"type\":\"string\"},\"currency\":{\"type\":\"string\"}"),
                writer,
                "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                "/properties/currency");
        compatible(object("\"id\":{\"type\":\"string\"},\"currency\":{}"), writer);
        compatible(object("\"id\":{\"type\":\"string\"},\"currency\":{\"description\":\"ISO code\"}"), writer);
        compatible(object("\"id\":{\"type\":\"string\"},\"currency\":true"), writer);
    }

    @Test
    void aPropertyAddedToAClosedWriterIsFine() {
        compatible(
                object("\"id\":{\"type\":\"string\"},\"currency\":{\"type\":\"string\",\"maxLength\":3}"),
                closed("\"id\":{\"type\":\"string\"}"));
    }

    @Test
    void aPropertyAddedToAPartiallyOpenWriterMustAcceptWhatItsAdditionalPropertiesAllow() {
        String writer = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},"
                + "\"additionalProperties\":{\"type\":\"string\"}}";
        compatible(object("\"id\":{\"type\":\"string\"},\"tag\":{\"type\":[\"string\",\"null\"]}"), writer);
        incompatible(
                object("\"id\":{\"type\":\"string\"},\"tag\":{\"type\":\"integer\"}"),
                writer,
                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                "/properties/tag");
    }

    @Test
    void aPropertyRemovedFromAClosedReaderIsIncompatibleFromAnOpenOneFine() {
        String writer = object("\"id\":{\"type\":\"string\"},\"note\":{\"type\":\"string\"}");
        incompatible(
                closed("\"id\":{\"type\":\"string\"}"),
                writer,
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                "/properties/note");
        compatible(object("\"id\":{\"type\":\"string\"}"), writer);
        // a property the writer forbids (false) cannot appear in its data
        compatible(closed("\"id\":{\"type\":\"string\"}"), closed("\"id\":{\"type\":\"string\"},\"note\":false"));
    }

    @Test
    void additionalPropertiesTrueToFalseIsIncompatible() {
        String open =
                "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},\"additionalProperties\":true}";
        incompatible(
                closed("\"id\":{\"type\":\"string\"}"), open, "ADDITIONAL_PROPERTIES_REMOVED", "/additionalProperties");
        compatible(open, closed("\"id\":{\"type\":\"string\"}"));
        incompatible(
                "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"integer\"}}",
                "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"number\"}}",
                "ADDITIONAL_PROPERTIES_NARROWED",
                "/additionalProperties");
    }

    @Test
    void patternPropertiesAreComparedByRegex() {
        String writer = "{\"type\":\"object\",\"patternProperties\":{\"^x-\":{\"type\":\"string\"}},"
                + "\"additionalProperties\":false}";
        compatible(
                "{\"type\":\"object\",\"patternProperties\":{\"^x-\":{\"type\":[\"string\",\"null\"]}},"
                        + "\"additionalProperties\":false}",
                writer);
        incompatible(
                "{\"type\":\"object\",\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}}}",
                writer,
                "TYPE_CHANGED",
                "/patternProperties/^x-/type");
        incompatible(
                "{\"type\":\"object\",\"additionalProperties\":false}",
                writer,
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                "/patternProperties/^x-");
        // a property W declares and R leaves to a pattern must fit the pattern's schema
        incompatible(
                "{\"type\":\"object\",\"patternProperties\":{\"^x-\":{\"type\":\"string\"}}}",
                object("\"x-id\":{\"type\":\"integer\"}"),
                "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                "/properties/x-id");
        // a property R declares is also checked against R's patterns it matches
        incompatible(
                "{\"type\":\"object\",\"properties\":{\"x-id\":{}},\"patternProperties\":{\"^x-\":{\"type\":\"string\"}}}",
                object("\"x-id\":{\"type\":\"integer\"}"),
                "TYPE_CHANGED",
                "/properties/x-id/type");
    }

    @Test
    void requiringAPropertyTheWriterDoesNotRequireIsIncompatible() {
        String writer =
                "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"}},"
                        + "\"required\":[\"id\"]}";
        String reader = writer.replace("[\"id\"]", "[\"id\",\"email\"]");
        assertThat(check(reader, writer))
                .containsExactly(
                        "REQUIRED_PROPERTY_ADDED at /required: the new schema requires property 'email', which "
                                + "version 1 does not require, so data written with version 1 may lack it (checked against "
                                + "version 1)");
        compatible(writer, reader); // no longer requiring is fine
    }

    @Test
    void propertyCountsMayNotTighten() {
        incompatible(
                "{\"type\":\"object\",\"maxProperties\":3}",
                "{\"type\":\"object\",\"maxProperties\":5}",
                "MAX_PROPERTIES_DECREASED",
                "/maxProperties");
        incompatible(
                "{\"type\":\"object\",\"minProperties\":1}",
                "{\"type\":\"object\"}",
                "MIN_PROPERTIES_ADDED",
                "/minProperties");
        compatible("{\"type\":\"object\",\"maxProperties\":5}", "{\"type\":\"object\",\"maxProperties\":3}");
    }

    // ---------------------------------------------------------------------------------------------------------
    // enum

    @Test
    void theReadersEnumMustContainTheWritersValues() {
        String writer = "{\"type\":\"string\",\"enum\":[\"NEW\",\"PAID\"]}";
        compatible("{\"type\":\"string\",\"enum\":[\"NEW\",\"PAID\",\"SHIPPED\"]}", writer);
        assertThat(check("{\"type\":\"string\",\"enum\":[\"NEW\"]}", writer))
                .containsExactly("ENUM_NARROWED at /enum: the new schema does not accept [\"PAID\"], which version 1 "
                        + "allows (checked against version 1)");
        incompatible(
                "{\"type\":\"string\",\"enum\":[\"NEW\",\"PAID\"]}", "{\"type\":\"string\"}", "ENUM_ADDED", "/enum");
        compatible("{\"type\":\"string\"}", writer);
        compatible("{\"const\":\"NEW\"}", "{\"enum\":[\"NEW\"]}");
        compatible("{\"enum\":[1,2,3]}", "{\"type\":\"integer\",\"enum\":[1.0,2]}");
        compatible("{\"enum\":[true,false,null]}", "{\"type\":[\"boolean\",\"null\"]}");
    }

    @Test
    void theWritersEnumValuesAreCheckedAgainstTheReadersConstraints() {
        compatible("{\"type\":\"string\",\"maxLength\":4}", "{\"enum\":[\"NEW\",\"PAID\"]}");
        incompatible(
                "{\"type\":\"string\",\"maxLength\":3}", "{\"enum\":[\"NEW\",\"PAID\"]}", "ENUM_VALUE_REJECTED", "/");
        compatible("{\"type\":\"integer\",\"minimum\":1}", "{\"enum\":[1,2]}");
        incompatible("{\"type\":\"string\"}", "{\"enum\":[\"a\",1]}", "TYPE_NARROWED", "/type");
    }

    // ---------------------------------------------------------------------------------------------------------
    // numbers and strings

    @Test
    void numericBoundsMayNotTighten() {
        compatible("{\"type\":\"number\",\"minimum\":0}", "{\"type\":\"number\",\"minimum\":5}");
        incompatible(
                "{\"type\":\"number\",\"minimum\":5}",
                "{\"type\":\"number\",\"minimum\":0}",
                "MINIMUM_INCREASED",
                "/minimum");
        incompatible("{\"type\":\"number\",\"maximum\":100}", "{\"type\":\"number\"}", "MAXIMUM_ADDED", "/maximum");
        incompatible(
                "{\"type\":\"number\",\"maximum\":100}",
                "{\"type\":\"number\",\"maximum\":1000}",
                "MAXIMUM_DECREASED",
                "/maximum");
        compatible("{\"type\":\"number\",\"maximum\":1000}", "{\"type\":\"number\",\"maximum\":100}");
        // inclusive 0 → exclusive 0 excludes 0
        incompatible(
                "{\"type\":\"number\",\"exclusiveMinimum\":0}",
                "{\"type\":\"number\",\"minimum\":0}",
                "EXCLUSIVE_MINIMUM_INCREASED",
                "/exclusiveMinimum");
        compatible("{\"type\":\"number\",\"minimum\":0}", "{\"type\":\"number\",\"exclusiveMinimum\":0}");
        incompatible(
                "{\"type\":\"number\",\"exclusiveMaximum\":10}",
                "{\"type\":\"number\",\"maximum\":10}",
                "EXCLUSIVE_MAXIMUM_DECREASED",
                "/exclusiveMaximum");
        // in the integers "> 0" is ">= 1"
        compatible("{\"type\":\"integer\",\"exclusiveMinimum\":0}", "{\"type\":\"integer\",\"minimum\":1}");
        // draft-04 boolean exclusiveMinimum
        incompatible(
                "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"minimum\":0,\"exclusiveMinimum\":true}",
                "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"minimum\":0}",
                "EXCLUSIVE_MINIMUM_INCREASED",
                "/exclusiveMinimum");
    }

    @Test
    void multipleOfMustDivideTheWritersStep() {
        compatible("{\"type\":\"number\",\"multipleOf\":0.01}", "{\"type\":\"number\",\"multipleOf\":0.05}");
        compatible("{\"type\":\"number\",\"multipleOf\":0.5}", "{\"type\":\"integer\"}");
        incompatible(
                "{\"type\":\"number\",\"multipleOf\":0.05}",
                "{\"type\":\"number\",\"multipleOf\":0.01}",
                "MULTIPLE_OF_CHANGED",
                "/multipleOf");
        incompatible(
                "{\"type\":\"number\",\"multipleOf\":2}", "{\"type\":\"integer\"}", "MULTIPLE_OF_ADDED", "/multipleOf");
    }

    @Test
    void stringConstraintsMayNotTighten() {
        compatible("{\"type\":\"string\",\"maxLength\":20}", "{\"type\":\"string\",\"maxLength\":10}");
        incompatible(
                "{\"type\":\"string\",\"maxLength\":5}",
                "{\"type\":\"string\",\"maxLength\":10}",
                "MAX_LENGTH_DECREASED",
                "/maxLength");
        incompatible(
                "{\"type\":\"string\",\"maxLength\":5}", "{\"type\":\"string\"}", "MAX_LENGTH_ADDED", "/maxLength");
        incompatible(
                "{\"type\":\"string\",\"minLength\":3}",
                "{\"type\":\"string\",\"minLength\":1}",
                "MIN_LENGTH_INCREASED",
                "/minLength");
        compatible("{\"type\":\"string\",\"minLength\":1}", "{\"type\":\"string\",\"minLength\":3}");
        compatible(
                "{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"}", "{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"}");
        incompatible(
                "{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"}",
                "{\"type\":\"string\"}", "PATTERN_ADDED", "/pattern");
        incompatible(
                "{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"}",
                "{\"type\":\"string\",\"pattern\":\"^[A-Z]+$\"}", "PATTERN_CHANGED", "/pattern");
        compatible("{\"type\":\"string\"}", "{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}$\"}");
        incompatible("{\"type\":\"string\",\"format\":\"date\"}", "{\"type\":\"string\"}", "FORMAT_ADDED", "/format");
        // string keywords do not concern a writer that never writes strings
        compatible("{\"type\":[\"string\",\"integer\"],\"maxLength\":3}", "{\"type\":\"integer\"}");
    }

    // ---------------------------------------------------------------------------------------------------------
    // arrays, nesting, $ref

    @Test
    void arrayItemsAreCheckedRecursively() {
        String writer = "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}";
        compatible("{\"type\":\"array\",\"items\":{\"type\":\"number\"}}", writer);
        incompatible("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", writer, "TYPE_CHANGED", "/items/type");
        incompatible("{\"type\":\"array\",\"maxItems\":3}", "{\"type\":\"array\"}", "MAX_ITEMS_ADDED", "/maxItems");
        incompatible(
                "{\"type\":\"array\",\"uniqueItems\":true}",
                "{\"type\":\"array\"}",
                "UNIQUE_ITEMS_ADDED",
                "/uniqueItems");
        // tuples: 2020-12 prefixItems
        String pair =
                "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}],\"items\":false}";
        compatible("{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"number\"}]}", pair);
        incompatible(
                "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"string\"}]}",
                pair,
                "TYPE_CHANGED",
                "/prefixItems/1/type");
        incompatible(
                "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\"}],\"items\":false}",
                pair,
                "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                "/items");
    }

    @Test
    void nestedObjectsAreCheckedRecursively() {
        String writer =
                object("\"address\":" + object("\"street\":{\"type\":\"string\"},\"zip\":{\"type\":\"string\"}"));
        String reader = object("\"address\":{\"type\":\"object\",\"properties\":{\"street\":{\"type\":\"string\"},"
                + "\"zip\":{\"type\":\"string\",\"maxLength\":5}},\"required\":[\"street\"]}");
        assertThat(check(reader, writer))
                .containsExactly(
                        "MAX_LENGTH_ADDED at /properties/address/properties/zip/maxLength: the new schema only accepts "
                                + "strings of at most 5 characters, but version 1 has no maxLength (checked against "
                                + "version 1)",
                        "REQUIRED_PROPERTY_ADDED at /properties/address/required: the new schema requires property "
                                + "'street', which version 1 does not require, so data written with version 1 may lack "
                                + "it (checked against version 1)");
    }

    @Test
    void localRefsAreResolved() {
        String writer = """
                {"$defs":{"money":{"type":"number","minimum":-100}},
                 "type":"object","properties":{"amount":{"$ref":"#/$defs/money"}}}""";
        String reader = """
                {"$defs":{"amount":{"type":"number","minimum":0}},
                 "type":"object","properties":{"amount":{"$ref":"#/$defs/amount"}}}""";
        incompatible(reader, writer, "MINIMUM_INCREASED", "/properties/amount/minimum");
        compatible(writer, reader);
        // draft-07 definitions; one side inlined, the other by $ref
        compatible(
                "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"definitions\":{\"id\":{\"type\":\"string\"}},"
                        + "\"properties\":{\"id\":{\"$ref\":\"#/definitions/id\"}}}",
                "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"properties\":{\"id\":{\"type\":\"string\","
                        + "\"maxLength\":9}}}");
    }

    @Test
    void recursiveSchemasTerminate() {
        String tree = """
                {"$defs":{"node":{"type":"object","properties":{"name":{"type":"string"},
                  "children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"}""";
        compatible(tree, tree);
        String stricter = tree.replace("{\"type\":\"string\"}", "{\"type\":\"string\",\"maxLength\":8}");
        incompatible(stricter, tree, "MAX_LENGTH_ADDED", "/properties/name/maxLength");
        compatible(
                "{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"}}}",
                "{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"}}}");
    }

    @Test
    void refsToReferencedSchemasAreFollowed() {
        SchemaReference v1 = new SchemaReference("customer.json", "customer-value", 1);
        SchemaReference v2 = new SchemaReference("customer.json", "customer-value", 2);
        ParsedSchema customerV1 = json(object("\"name\":{\"type\":\"string\"},\"email\":{\"type\":\"string\"}"));
        ParsedSchema customerV2 = json("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                + "\"email\":{\"type\":\"string\"}},\"required\":[\"email\"]}");
        String order = object("\"customer\":{\"$ref\":\"customer.json\"}");
        ParsedSchema old = Schemas.parse(SchemaType.JSON, order, List.of(v1), r -> customerV1);
        ParsedSchema candidate = Schemas.parse(SchemaType.JSON, order, List.of(v2), r -> customerV2);
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, candidate, List.of(old)))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("REQUIRED_PROPERTY_ADDED at /properties/customer/required: ");
        assertThat(Compatibility.check(CompatibilityLevel.FORWARD, candidate, List.of(old)))
                .isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // combinators and keywords compared by equality

    @Test
    void unionsAndIntersections() {
        compatible("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", "{\"type\":[\"string\",\"null\"]}");
        compatible("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "{\"enum\":[\"a\",1]}");
        incompatible(
                "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}",
                "{\"type\":[\"string\",\"null\"]}",
                "COMBINED_TYPE_CHANGED",
                "/anyOf");
        // every branch of the writer must be readable
        compatible("{\"type\":[\"string\",\"integer\"]}", "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}");
        incompatible(
                "{\"type\":\"string\"}",
                "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}",
                "TYPE_CHANGED",
                "/type");
        // the writer's allOf parts are merged: together they require 'id'
        compatible(
                "{\"type\":\"object\",\"required\":[\"id\"]}",
                "{\"allOf\":[{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}},{\"required\":[\"id\"]}]}");
        // each allOf part of the reader must accept the writer
        incompatible(
                "{\"allOf\":[{\"type\":\"object\"},{\"required\":[\"id\"]}]}",
                "{\"type\":\"object\"}",
                "REQUIRED_PROPERTY_ADDED",
                "/required");
        compatible("{\"not\":{\"type\":\"string\"}}", "{\"type\":\"integer\"}");
        incompatible("{\"not\":{\"type\":\"string\"}}", "{}", "NOT_ADDED", "/not");
    }

    @Test
    void allOfAcrossReferencedSchemasIsMerged() {
        SchemaReference ref = new SchemaReference("base.json", "base-value", 1);
        ParsedSchema base = json("""
                {"type":"object","properties":{"id":{"type":"string","maxLength":36},
                 "meta":{"if":{"required":["a"]},"then":{"required":["b"]}}},"required":["id"]}""");
        String composed = """
                {"allOf":[{"$ref":"base.json"},{"properties":{"amount":{"type":"number"}},"required":["amount"]}]}""";
        ParsedSchema old = Schemas.parse(SchemaType.JSON, composed, List.of(ref), r -> base);
        ParsedSchema same = Schemas.parse(SchemaType.JSON, composed, List.of(ref), r -> base);
        assertThat(Compatibility.check(CompatibilityLevel.FULL, same, List.of(old)))
                .isEmpty();
        // the merged writer still knows 'id' is a string of at most 36 characters and required
        ParsedSchema flat = json("""
                {"type":"object","properties":{"id":{"type":"string","maxLength":36},"amount":{"type":"number"}},
                 "required":["id","amount"]}""");
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, flat, List.of(old)))
                .isEmpty();
    }

    @Test
    void keywordsWithoutRulesMustBeEqual() {
        String conditional = "{\"type\":\"object\",\"if\":{\"required\":[\"a\"]},\"then\":{\"required\":[\"b\"]}}";
        compatible(conditional, conditional);
        incompatible(conditional, "{\"type\":\"object\"}", "IF_ADDED", "/if");
        incompatible(
                "{\"type\":\"object\",\"propertyNames\":{\"maxLength\":3}}",
                "{\"type\":\"object\"}",
                "PROPERTY_NAMES_ADDED",
                "/propertyNames");
    }

    /** Large real schemas (the drafts' own meta-schemas) are compatible with themselves: no false alarms. */
    @Test
    void theDraftMetaSchemasAreCompatibleWithThemselves() throws Exception {
        for (String draft : List.of("draft-04/schema", "draft-06/schema", "draft-07/schema")) {
            ParsedSchema meta = json(resource(draft));
            assertThat(Compatibility.check(CompatibilityLevel.FULL, meta, List.of(meta)))
                    .as(draft)
                    .isEmpty();
        }
        // 2020-12 is composed of vocabularies, each registered on its own and referenced by name
        java.util.Map<String, ParsedSchema> vocabularies = new java.util.HashMap<>();
        List<SchemaReference> refs = new java.util.ArrayList<>();
        for (String v : List.of(
                "core", "applicator", "unevaluated", "validation", "meta-data", "format-annotation", "content")) {
            vocabularies.put("meta/" + v, json(resource("draft/2020-12/meta/" + v)));
            refs.add(new SchemaReference("meta/" + v, "meta-" + v, 1));
        }
        ParsedSchema meta =
                Schemas.parse(SchemaType.JSON, resource("draft/2020-12/schema"), refs, r -> vocabularies.get(r.name()));
        assertThat(Compatibility.check(CompatibilityLevel.FULL, meta, List.of(meta)))
                .isEmpty();
        // draft-07 adds keywords with constraints to draft-06's open content model: not backward compatible
        ParsedSchema draft6 = json(resource("draft-06/schema").replace("draft-06", "draft-07"));
        ParsedSchema draft7 = json(resource("draft-07/schema"));
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, draft7, List.of(draft6)))
                .anySatisfy(m -> assertThat(m).startsWith("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at /properties/if: "));
        assertThat(Compatibility.check(CompatibilityLevel.FORWARD, draft7, List.of(draft6)))
                .isEmpty();
    }

    private static String resource(String name) throws java.io.IOException {
        try (var in =
                com.networknt.schema.JsonSchemaFactory.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // directions

    @Test
    void forwardAndFullCheckTheOtherDirection() {
        ParsedSchema old = json(closed("\"id\":{\"type\":\"string\"}"));
        ParsedSchema candidate = json(object("\"id\":{\"type\":\"string\"},\"note\":{\"type\":\"string\"}"));
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, candidate, List.of(old)))
                .isEmpty();
        assertThat(Compatibility.check(CompatibilityLevel.FORWARD, candidate, List.of(old)))
                .containsExactly(
                        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL at /properties/note: version 1 does not declare "
                                + "property 'note' and forbids undeclared properties (additionalProperties: false), but "
                                + "the new schema allows 'note' (checked against version 1)",
                        "ADDITIONAL_PROPERTIES_REMOVED at /additionalProperties: version 1 forbids undeclared "
                                + "properties (additionalProperties: false), but the new schema allows them (checked "
                                + "against version 1)");
        assertThat(Compatibility.check(CompatibilityLevel.FULL, candidate, List.of(old)))
                .hasSize(2);
        assertThat(Compatibility.check(CompatibilityLevel.NONE, candidate, List.of(old)))
                .isEmpty();
    }

    @Test
    void transitiveLevelsCheckEveryVersion() {
        ParsedSchema v1 = json("{\"type\":\"string\"}");
        ParsedSchema v2 = json("{\"type\":\"string\",\"maxLength\":10}");
        ParsedSchema candidate = json("{\"type\":\"string\",\"maxLength\":10}");
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, candidate, List.of(v1, v2)))
                .isEmpty();
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD_TRANSITIVE, candidate, List.of(v1, v2)))
                .containsExactly("MAX_LENGTH_ADDED at /maxLength: the new schema only accepts strings of at most 10 "
                        + "characters, but version 1 has no maxLength (checked against version 1)");
    }
}
