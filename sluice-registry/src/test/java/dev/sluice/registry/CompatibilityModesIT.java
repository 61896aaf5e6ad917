package dev.sluice.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.kafka.testing.SharedKafka;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each compatibility level, through the REST API, with the evolutions teams actually make: a field added with
 * and without a default, a field removed, a type promoted, an enum symbol added, a union widened; and, for the
 * transitive levels, a change that is fine against the latest version but not against an older one. The
 * expected answers are those of the Confluent Schema Registry (Avro's own reader/writer rules).
 */
class CompatibilityModesIT {
    static SchemaRegistry registry;
    static RegistryClient c;
    static final AtomicInteger SUBJECTS = new AtomicInteger();

    @BeforeAll
    static void start() {
        registry = SchemaRegistry.start(
                SharedKafka.get().bootstrapServers(), SharedKafka.uniqueName("_schemas"), Duration.ofSeconds(30));
        c = new RegistryClient(registry);
    }

    @AfterAll
    static void stop() {
        c.close();
        registry.close();
    }

    static String rec(String fields) {
        return "{\"type\":\"record\",\"name\":\"R\",\"fields\":[" + fields + "]}";
    }

    static final String A_INT = "{\"name\":\"a\",\"type\":\"int\"}";
    static final String V1 = rec(A_INT);
    static final String ADD_WITH_DEFAULT = rec(A_INT + ",{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"}");
    static final String ADD_WITHOUT_DEFAULT = rec(A_INT + ",{\"name\":\"b\",\"type\":\"string\"}");
    static final String REMOVED = rec("{\"name\":\"z\",\"type\":\"string\",\"default\":\"\"}");
    static final String PROMOTED = rec("{\"name\":\"a\",\"type\":\"long\"}");
    static final String ENUM_V1 =
            rec("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"Y\"]}}");
    static final String ENUM_ADDED =
            rec("{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"Y\",\"Z\"]}}");
    static final String UNION_V1 = rec("{\"name\":\"u\",\"type\":[\"null\",\"string\"]}");
    static final String UNION_WIDER = rec("{\"name\":\"u\",\"type\":[\"null\",\"string\",\"int\"]}");

    /** level, previous versions (oldest first), candidate, whether it must be accepted. */
    static Stream<Arguments> cases() {
        return Stream.of(
                // NONE accepts anything
                Arguments.of("NONE", List.of(V1), ADD_WITHOUT_DEFAULT, true),
                Arguments.of("NONE", List.of(V1), rec("{\"name\":\"a\",\"type\":\"string\"}"), true),
                // BACKWARD: the new schema reads old data
                Arguments.of("BACKWARD", List.of(V1), ADD_WITH_DEFAULT, true),
                Arguments.of("BACKWARD", List.of(V1), ADD_WITHOUT_DEFAULT, false),
                Arguments.of("BACKWARD", List.of(V1), REMOVED, true),
                Arguments.of("BACKWARD", List.of(V1), PROMOTED, true),
                Arguments.of("BACKWARD", List.of(ENUM_V1), ENUM_ADDED, true),
                Arguments.of("BACKWARD", List.of(ENUM_ADDED), ENUM_V1, false),
                Arguments.of("BACKWARD", List.of(UNION_V1), UNION_WIDER, true),
                Arguments.of("BACKWARD", List.of(UNION_WIDER), UNION_V1, false),
                // FORWARD: old schemas read new data
                Arguments.of("FORWARD", List.of(V1), ADD_WITH_DEFAULT, true),
                Arguments.of("FORWARD", List.of(V1), ADD_WITHOUT_DEFAULT, true),
                Arguments.of("FORWARD", List.of(V1), REMOVED, false),
                Arguments.of("FORWARD", List.of(V1), PROMOTED, false),
                Arguments.of("FORWARD", List.of(ENUM_V1), ENUM_ADDED, false),
                Arguments.of("FORWARD", List.of(UNION_V1), UNION_WIDER, false),
                Arguments.of("FORWARD", List.of(UNION_WIDER), UNION_V1, true),
                // FULL: both
                Arguments.of("FULL", List.of(V1), ADD_WITH_DEFAULT, true),
                Arguments.of("FULL", List.of(V1), ADD_WITHOUT_DEFAULT, false),
                Arguments.of("FULL", List.of(V1), REMOVED, false),
                Arguments.of("FULL", List.of(V1), PROMOTED, false),
                Arguments.of("FULL", List.of(UNION_V1), UNION_WIDER, false),
                // transitive: fine against the latest, not against the first
                Arguments.of(
                        "BACKWARD",
                        List.of(V1, rec("{\"name\":\"c\",\"type\":\"int\",\"default\":0}")),
                        rec("{\"name\":\"a\",\"type\":\"string\",\"default\":\"x\"}"),
                        true),
                Arguments.of(
                        "BACKWARD_TRANSITIVE",
                        List.of(V1, rec("{\"name\":\"c\",\"type\":\"int\",\"default\":0}")),
                        rec("{\"name\":\"a\",\"type\":\"string\",\"default\":\"x\"}"),
                        false),
                Arguments.of(
                        "BACKWARD_TRANSITIVE",
                        List.of(V1, ADD_WITH_DEFAULT),
                        ADD_WITH_DEFAULT.replace("\"b\"", "\"c\""),
                        true),
                Arguments.of(
                        "FORWARD",
                        List.of(rec(A_INT + ",{\"name\":\"b\",\"type\":\"string\",\"default\":\"d\"}"), V1),
                        rec(A_INT + ",{\"name\":\"b\",\"type\":\"int\"}"),
                        true),
                Arguments.of(
                        "FORWARD_TRANSITIVE",
                        List.of(rec(A_INT + ",{\"name\":\"b\",\"type\":\"string\",\"default\":\"d\"}"), V1),
                        rec(A_INT + ",{\"name\":\"b\",\"type\":\"int\"}"),
                        false),
                Arguments.of(
                        "FORWARD_TRANSITIVE",
                        List.of(V1, ADD_WITH_DEFAULT),
                        ADD_WITHOUT_DEFAULT.replace("\"b\"", "\"c\""),
                        true),
                Arguments.of(
                        "FULL",
                        List.of(rec(A_INT + ",{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"}"), V1),
                        rec(A_INT + ",{\"name\":\"b\",\"type\":\"int\",\"default\":0}"),
                        true),
                Arguments.of(
                        "FULL_TRANSITIVE",
                        List.of(rec(A_INT + ",{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"}"), V1),
                        rec(A_INT + ",{\"name\":\"b\",\"type\":\"int\",\"default\":0}"),
                        false),
                Arguments.of("FULL_TRANSITIVE", List.of(V1), ADD_WITH_DEFAULT, true));
    }

    @ParameterizedTest(name = "{0}: {3} for {2}")
    @MethodSource("cases")
    void levelDecides(String level, List<String> previous, String candidate, boolean accepted) throws Exception {
        String subject = "modes-" + SUBJECTS.incrementAndGet();
        assertThat(c.setLevel(subject, "NONE").status()).isEqualTo(200);
        for (String p : previous) {
            RegistryClient.Reply r = c.register(subject, p);
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
        }
        assertThat(c.setLevel(subject, level).status()).isEqualTo(200);
        RegistryClient.Reply check = c.call(
                "POST",
                "/compatibility/subjects/" + subject + "/versions?verbose=true",
                RegistryClient.schemaBody(candidate, null));
        assertThat(check.body().get("is_compatible").asBoolean())
                .as(check.raw())
                .isEqualTo(accepted);
        RegistryClient.Reply r = c.register(subject, candidate);
        if (accepted) {
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            assertThat(c.get("/subjects/" + subject + "/versions").body().size())
                    .isEqualTo(previous.size() + 1);
        } else {
            assertThat(r.status()).as(r.raw()).isEqualTo(409);
            assertThat(r.body().get("message").asText()).contains("incompatible");
            assertThat(check.body().get("messages").size()).isPositive();
            assertThat(c.get("/subjects/" + subject + "/versions").body().size())
                    .isEqualTo(previous.size());
        }
    }
}
