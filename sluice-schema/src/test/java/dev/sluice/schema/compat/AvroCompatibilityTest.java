package dev.sluice.schema.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AvroCompatibilityTest {

    private static String record(String... fields) {
        return "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"com.acme\",\"fields\":["
                + String.join(",", fields) + "]}";
    }

    private static final String ID = "{\"name\":\"id\",\"type\":\"string\"}";

    private static String field(String name, String type) {
        return "{\"name\":\"" + name + "\",\"type\":" + type + "}";
    }

    private static String field(String name, String type, String defaultJson) {
        return "{\"name\":\"" + name + "\",\"type\":" + type + ",\"default\":" + defaultJson + "}";
    }

    private static ParsedSchema avro(String text) {
        return Schemas.parse(SchemaType.AVRO, text);
    }

    private static final String STATUS_2 = "{\"type\":\"enum\",\"name\":\"Status\",\"symbols\":[\"NEW\",\"PAID\"]}";
    private static final String STATUS_3 =
            "{\"type\":\"enum\",\"name\":\"Status\",\"symbols\":[\"NEW\",\"PAID\",\"SHIPPED\"]}";
    private static final String STATUS_2_WITH_DEFAULT =
            "{\"type\":\"enum\",\"name\":\"Status\",\"symbols\":[\"NEW\",\"PAID\"],\"default\":\"NEW\"}";

    /**
     * One schema change: old → new, and whether it is backward compatible (new reads old data) and forward
     * compatible (old reads new data), with the incompatibility Avro reports when it is not.
     */
    record Change(String name, String oldSchema, String newSchema, String backwardFailure, String forwardFailure) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String MISSING_DEFAULT = "READER_FIELD_MISSING_DEFAULT_VALUE";
    private static final String TYPE_MISMATCH = "TYPE_MISMATCH";

    static List<Change> changes() {
        return List.of(
                new Change(
                        "field added with default",
                        record(ID),
                        record(ID, field("currency", "\"string\"", "\"EUR\"")),
                        null,
                        null),
                new Change(
                        "field added without default",
                        record(ID),
                        record(ID, field("currency", "\"string\"")),
                        MISSING_DEFAULT,
                        null),
                new Change(
                        "field removed that had a default",
                        record(ID, field("note", "\"string\"", "\"\"")),
                        record(ID),
                        null,
                        null),
                new Change(
                        "field removed that had no default",
                        record(ID, field("note", "\"string\"")),
                        record(ID),
                        null,
                        MISSING_DEFAULT),
                new Change(
                        "int promoted to long",
                        record(ID, field("qty", "\"int\"")),
                        record(ID, field("qty", "\"long\"")),
                        null,
                        TYPE_MISMATCH),
                new Change(
                        "float promoted to double",
                        record(ID, field("price", "\"float\"")),
                        record(ID, field("price", "\"double\"")),
                        null,
                        TYPE_MISMATCH),
                new Change(
                        "string changed to bytes (Avro converts both ways)",
                        record(ID, field("raw", "\"string\"")),
                        record(ID, field("raw", "\"bytes\"")),
                        null,
                        null),
                new Change(
                        "long narrowed to int",
                        record(ID, field("qty", "\"long\"")),
                        record(ID, field("qty", "\"int\"")),
                        TYPE_MISMATCH,
                        null),
                new Change(
                        "string changed to int",
                        record(ID, field("qty", "\"string\"")),
                        record(ID, field("qty", "\"int\"")),
                        TYPE_MISMATCH,
                        TYPE_MISMATCH),
                new Change(
                        "enum symbol added",
                        record(ID, field("status", STATUS_2)),
                        record(ID, field("status", STATUS_3)),
                        null,
                        "MISSING_ENUM_SYMBOLS"),
                new Change(
                        "enum symbol added, old enum has a default",
                        record(ID, field("status", STATUS_2_WITH_DEFAULT)),
                        record(ID, field("status", STATUS_3)),
                        null,
                        null),
                new Change(
                        "enum symbol removed",
                        record(ID, field("status", STATUS_3)),
                        record(ID, field("status", STATUS_2)),
                        "MISSING_ENUM_SYMBOLS",
                        null),
                new Change(
                        "union widened",
                        record(ID, field("ref", "[\"null\",\"string\"]", "null")),
                        record(ID, field("ref", "[\"null\",\"string\",\"int\"]", "null")),
                        null,
                        "MISSING_UNION_BRANCH"),
                new Change(
                        "union narrowed",
                        record(ID, field("ref", "[\"null\",\"string\",\"int\"]", "null")),
                        record(ID, field("ref", "[\"null\",\"string\"]", "null")),
                        "MISSING_UNION_BRANCH",
                        null),
                new Change(
                        "field made nullable",
                        record(ID, field("ref", "\"string\"")),
                        record(ID, field("ref", "[\"null\",\"string\"]", "null")),
                        null,
                        TYPE_MISMATCH),
                new Change(
                        "record renamed",
                        record(ID),
                        record(ID).replace("\"Order\"", "\"Purchase\""),
                        "NAME_MISMATCH",
                        "NAME_MISMATCH"));
    }

    static Stream<Arguments> everyLevelAndChange() {
        List<Arguments> out = new ArrayList<>();
        for (CompatibilityLevel level : CompatibilityLevel.values()) {
            for (Change c : changes()) {
                out.add(Arguments.of(level, c));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyLevelAndChange")
    void eachLevelAcceptsOrRefusesEachChange(CompatibilityLevel level, Change change) {
        List<String> messages = Compatibility.check(level, avro(change.newSchema()), List.of(avro(change.oldSchema())));

        List<String> expected = new ArrayList<>();
        if (level.backward() && change.backwardFailure() != null) {
            expected.add(change.backwardFailure());
        }
        if (level.forward() && change.forwardFailure() != null) {
            expected.add(change.forwardFailure());
        }
        if (expected.isEmpty()) {
            assertThat(messages).as("%s should allow: %s", level, change).isEmpty();
        } else {
            assertThat(messages).as("%s should refuse: %s", level, change).isNotEmpty();
            for (String type : expected) {
                assertThat(messages)
                        .anySatisfy(
                                m -> assertThat(m).startsWith(type + " at ").endsWith("(checked against version 1)"));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // transitive levels look past the latest version

    /** v2 adds a field with a default, v3 drops the default: v3 reads v2 data but not v1 data. */
    private static final List<ParsedSchema> BACKWARD_HISTORY =
            List.of(avro(record(ID)), avro(record(ID, field("extra", "\"string\"", "\"\""))));

    private static final ParsedSchema BACKWARD_CANDIDATE = avro(record(ID, field("extra", "\"string\"")));

    /** v1 requires a, v2 gives it a default, v3 drops it: v2 can read v3 data (default), v1 cannot. */
    private static final List<ParsedSchema> FORWARD_HISTORY =
            List.of(avro(record(ID, field("a", "\"string\""))), avro(record(ID, field("a", "\"string\"", "\"x\""))));

    private static final ParsedSchema FORWARD_CANDIDATE = avro(record(ID));

    @Test
    void backwardTransitiveCatchesWhatBackwardMisses() {
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, BACKWARD_CANDIDATE, BACKWARD_HISTORY))
                .isEmpty();
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD_TRANSITIVE, BACKWARD_CANDIDATE, BACKWARD_HISTORY))
                .containsExactly("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 (field 'extra'): the new schema "
                        + "adds field 'extra' without a default, so it cannot read old records that lack it (checked "
                        + "against version 1)");
    }

    @Test
    void forwardTransitiveCatchesWhatForwardMisses() {
        assertThat(Compatibility.check(CompatibilityLevel.FORWARD, FORWARD_CANDIDATE, FORWARD_HISTORY))
                .isEmpty();
        assertThat(Compatibility.check(CompatibilityLevel.FORWARD_TRANSITIVE, FORWARD_CANDIDATE, FORWARD_HISTORY))
                .containsExactly("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 (field 'a'): the new schema lacks "
                        + "field 'a', which version 1 declares without a default, so readers using version 1 cannot "
                        + "read new records (checked against version 1)");
    }

    @Test
    void fullTransitiveCatchesWhatFullMisses() {
        assertThat(Compatibility.check(CompatibilityLevel.FULL, FORWARD_CANDIDATE, FORWARD_HISTORY))
                .isEmpty();
        assertThat(Compatibility.check(CompatibilityLevel.FULL_TRANSITIVE, FORWARD_CANDIDATE, FORWARD_HISTORY))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("version 1");
        assertThat(Compatibility.check(CompatibilityLevel.FULL, BACKWARD_CANDIDATE, BACKWARD_HISTORY))
                .isEmpty();
        assertThat(Compatibility.check(CompatibilityLevel.FULL_TRANSITIVE, BACKWARD_CANDIDATE, BACKWARD_HISTORY))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1 (field 'extra')");
    }

    @Test
    void nonTransitiveLevelsOnlyLookAtTheLatestVersion() {
        // v1 is incompatible with the candidate in every direction, v2 is identical to it
        List<ParsedSchema> history =
                List.of(avro(record(ID, field("qty", "\"string\""))), avro(record(ID, field("qty", "\"int\""))));
        ParsedSchema candidate = avro(record(ID, field("qty", "\"int\"")));
        for (CompatibilityLevel level : CompatibilityLevel.values()) {
            List<String> messages = Compatibility.check(level, candidate, history);
            if (level.transitive()) {
                assertThat(messages)
                        .as(level.name())
                        .isNotEmpty()
                        .allMatch(m -> m.endsWith("(checked against version 1)"));
            } else {
                assertThat(messages).as(level.name()).isEmpty();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // messages

    @Test
    void messagesNameTypeLocationFieldReasonAndVersion() {
        ParsedSchema v1 = avro(record(ID, field("qty", "\"int\""), field("status", STATUS_2)));
        ParsedSchema v2 = avro(
                record(ID, field("qty", "\"int\""), field("status", STATUS_2), field("note", "\"string\"", "\"\"")));
        ParsedSchema candidate =
                avro(record(ID, field("qty", "\"int\""), field("status", STATUS_2), field("currency", "\"string\"")));
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, candidate, List.of(v1, v2)))
                .containsExactly("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/3 (field 'currency'): the new schema "
                        + "adds field 'currency' without a default, so it cannot read old records that lack it "
                        + "(checked against version 2)");
    }

    @Test
    void typeMismatchNamesBothTypesAndTheDirection() {
        ParsedSchema old = avro(record(ID, field("qty", "\"long\"")));
        ParsedSchema candidate = avro(record(ID, field("qty", "\"int\"")));
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, candidate, List.of(old)))
                .containsExactly("TYPE_MISMATCH at /fields/1/type (field 'qty'): int in the new schema cannot read "
                        + "long values written with version 1 (checked against version 1)");
        assertThat(Compatibility.check(CompatibilityLevel.FORWARD, old, List.of(candidate)))
                .containsExactly("TYPE_MISMATCH at /fields/1/type (field 'qty'): int in version 1 cannot read long "
                        + "values written with the new schema (checked against version 1)");
    }

    @Test
    void nestedFieldsAreNamedByTheirPath() {
        String customerV1 =
                "{\"type\":\"record\",\"name\":\"Customer\",\"fields\":[{\"name\":\"age\",\"type\":\"long\"}]}";
        String customerV2 =
                "{\"type\":\"record\",\"name\":\"Customer\",\"fields\":[{\"name\":\"age\",\"type\":\"int\"}]}";
        List<String> messages = Compatibility.check(
                CompatibilityLevel.BACKWARD,
                avro(record(ID, field("customer", customerV2))),
                List.of(avro(record(ID, field("customer", customerV1)))));
        assertThat(messages)
                .containsExactly("TYPE_MISMATCH at /fields/1/type/fields/0/type (field 'customer.age'): int in the new "
                        + "schema cannot read long values written with version 1 (checked against version 1)");
        // inside a union Avro only sees a missing branch; the message adds why the branch cannot read
        List<String> inUnion = Compatibility.check(
                CompatibilityLevel.BACKWARD,
                avro(record(ID, field("customer", "[\"null\"," + customerV2 + "]", "null"))),
                List.of(avro(record(ID, field("customer", "[\"null\"," + customerV1 + "]", "null")))));
        assertThat(inUnion)
                .containsExactly("MISSING_UNION_BRANCH at /fields/1/type/1 (field 'customer'): the union in the new "
                        + "schema has no branch that can read record com.acme.Customer, which version 1 can write (its branch "
                        + "record com.acme.Customer cannot read it: TYPE_MISMATCH at /fields/1/type/1/fields/0/type (field "
                        + "'customer.age'): int in the new schema cannot read long values written with version 1) "
                        + "(checked against version 1)");
        List<String> enumMessages = Compatibility.check(
                CompatibilityLevel.FORWARD,
                avro(record(ID, field("lines", "{\"type\":\"array\",\"items\":" + STATUS_3 + "}"))),
                List.of(avro(record(ID, field("lines", "{\"type\":\"array\",\"items\":" + STATUS_2 + "}")))));
        assertThat(enumMessages)
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("MISSING_ENUM_SYMBOLS at /fields/1/type/items/symbols (field 'lines[]'): enum "
                        + "com.acme.Status in version 1 lacks the symbols [SHIPPED]");
    }

    @Test
    void realVersionNumbersAppearInMessages() {
        List<Versioned> history = List.of(
                new Versioned(7, avro(record(ID, field("qty", "\"long\"")))),
                new Versioned(3, avro(record(ID, field("qty", "\"string\"")))));
        List<String> messages = Compatibility.checkVersioned(
                CompatibilityLevel.BACKWARD_TRANSITIVE, avro(record(ID, field("qty", "\"int\""))), history);
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0)).endsWith("(checked against version 7)");
        assertThat(messages.get(1)).endsWith("(checked against version 3)");
        // non-transitive: the highest version is the latest
        assertThat(Compatibility.checkVersioned(
                        CompatibilityLevel.BACKWARD, avro(record(ID, field("qty", "\"int\""))), history))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .endsWith("(checked against version 7)");
    }

    @Test
    void aChangedSchemaTypeIsIncompatibleExceptUnderNone() {
        ParsedSchema json = Schemas.parse(SchemaType.JSON, "{\"type\":\"object\"}");
        ParsedSchema old = avro(record(ID));
        assertThat(Compatibility.check(CompatibilityLevel.BACKWARD, json, List.of(old)))
                .containsExactly("schema type changed from AVRO to JSON (checked against version 1)");
        assertThat(Compatibility.check(CompatibilityLevel.NONE, json, List.of(old)))
                .isEmpty();
    }

    @Test
    void noPreviousVersionsMeansCompatible() {
        for (CompatibilityLevel level : CompatibilityLevel.values()) {
            assertThat(Compatibility.check(level, avro(record(ID)), List.of())).isEmpty();
        }
    }
}
