package dev.sluice.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.testing.SharedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every endpoint of the Confluent Schema Registry API that Sluice serves, over HTTP, on the embedded broker. */
class RegistryApiIT {
    static SchemaRegistry registry;
    static RegistryClient c;

    static final String USER_V1 =
            "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}";
    static final String USER_V2 =
            "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                    + "{\"name\":\"email\",\"type\":\"string\",\"default\":\"\"}]}";

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

    @Test
    void registerLookUpAndReadBack() throws Exception {
        RegistryClient.Reply r1 = c.register("users-value", USER_V1);
        assertThat(r1.status()).as(r1.raw()).isEqualTo(200);
        assertThat(r1.contentType()).startsWith("application/vnd.schemaregistry.v1+json");
        int id1 = r1.body().get("id").asInt();
        // the same schema, formatted differently, is the same schema: same id, no new version
        String reformatted = USER_V1.replace(",", " ,\n ").replace(":", " : ");
        assertThat(c.register("users-value", reformatted).body().get("id").asInt())
                .isEqualTo(id1);
        int id2 = c.register("users-value", USER_V2).body().get("id").asInt();
        assertThat(id2).isNotEqualTo(id1);

        assertThat(c.get("/subjects").body()).extracting(JsonNode::asText).contains("users-value");
        assertThat(c.get("/subjects/users-value/versions").raw()).isEqualTo("[1,2]");
        JsonNode v1 = c.get("/subjects/users-value/versions/1").body();
        assertThat(v1.get("subject").asText()).isEqualTo("users-value");
        assertThat(v1.get("version").asInt()).isEqualTo(1);
        assertThat(v1.get("id").asInt()).isEqualTo(id1);
        assertThat(v1.has("schemaType")).as("AVRO is the default and omitted").isFalse();
        assertThat(RegistryClient.JSON
                        .readTree(v1.get("schema").asText())
                        .get("name")
                        .asText())
                .isEqualTo("User");
        assertThat(c.get("/subjects/users-value/versions/latest")
                        .body()
                        .get("version")
                        .asInt())
                .isEqualTo(2);
        assertThat(c.get("/subjects/users-value/versions/-1")
                        .body()
                        .get("version")
                        .asInt())
                .isEqualTo(2);
        assertThat(RegistryClient.JSON
                        .readTree(
                                c.get("/subjects/users-value/versions/2/schema").raw())
                        .get("fields")
                        .size())
                .isEqualTo(2);

        RegistryClient.Reply found = c.call("POST", "/subjects/users-value", RegistryClient.schemaBody(USER_V1, null));
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.body().get("version").asInt()).isEqualTo(1);
        assertThat(found.body().get("id").asInt()).isEqualTo(id1);

        assertThat(RegistryClient.JSON
                        .readTree(c.get("/schemas/ids/" + id1)
                                .body()
                                .get("schema")
                                .asText())
                        .get("name")
                        .asText())
                .isEqualTo("User");
        assertThat(c.get("/schemas/ids/" + id2 + "/schema").raw()).contains("email");
        assertThat(c.get("/schemas/ids/" + id1 + "/subjects").raw()).isEqualTo("[\"users-value\"]");
        JsonNode versions = c.get("/schemas/ids/" + id1 + "/versions").body();
        assertThat(versions.get(0).get("subject").asText()).isEqualTo("users-value");
        assertThat(versions.get(0).get("version").asInt()).isEqualTo(1);

        // the same schema under another subject keeps its id
        assertThat(c.register("people-value", USER_V1).body().get("id").asInt()).isEqualTo(id1);
        assertThat(c.get("/schemas/ids/" + id1 + "/subjects").raw()).contains("people-value");

        assertThat(c.get("/schemas/types").body()).extracting(JsonNode::asText).contains("AVRO", "JSON");
        assertThat(c.get("/mode").body().get("mode").asText()).isEqualTo("READWRITE");
    }

    @Test
    void refusalsCarryTheDocumentedCodesAndChangeNothing() throws Exception {
        c.register("orders-value", USER_V1);
        RegistryClient.Reply unknownSubject = c.get("/subjects/nope/versions");
        assertThat(unknownSubject.status()).isEqualTo(404);
        assertThat(unknownSubject.errorCode()).isEqualTo(40401);
        assertThat(unknownSubject.body().get("message").asText()).contains("nope");

        RegistryClient.Reply unknownVersion = c.get("/subjects/orders-value/versions/9");
        assertThat(unknownVersion.status()).isEqualTo(404);
        assertThat(unknownVersion.errorCode()).isEqualTo(40402);

        RegistryClient.Reply badVersion = c.get("/subjects/orders-value/versions/first");
        assertThat(badVersion.status()).isEqualTo(422);
        assertThat(badVersion.errorCode()).isEqualTo(42202);

        RegistryClient.Reply unknownId = c.get("/schemas/ids/987654");
        assertThat(unknownId.status()).isEqualTo(404);
        assertThat(unknownId.errorCode()).isEqualTo(40403);

        RegistryClient.Reply notThere = c.call(
                "POST",
                "/subjects/orders-value",
                RegistryClient.schemaBody("{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}", null));
        assertThat(notThere.status()).isEqualTo(404);
        assertThat(notThere.errorCode()).isEqualTo(40403);

        RegistryClient.Reply bad =
                c.register("orders-value", "{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"a\"}]}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.errorCode()).isEqualTo(42201);
        assertThat(bad.body().get("message").asText()).startsWith("Invalid schema");

        RegistryClient.Reply notJson = c.register("orders-value", "{\"type\": ", "JSON");
        assertThat(notJson.errorCode()).isEqualTo(42201);

        RegistryClient.Reply protobuf = c.register("orders-value", "syntax = \"proto3\";", "PROTOBUF");
        assertThat(protobuf.errorCode()).isEqualTo(42201);
        assertThat(protobuf.body().get("message").asText()).contains("PROTOBUF");

        // a new required field breaks BACKWARD (the default level): 409, saying which field
        String breaking =
                "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                        + "{\"name\":\"tier\",\"type\":\"int\"}]}";
        RegistryClient.Reply incompatible = c.register("orders-value", breaking);
        assertThat(incompatible.status()).isEqualTo(409);
        assertThat(incompatible.errorCode()).isEqualTo(409);
        assertThat(incompatible.body().get("message").asText()).contains("tier");
        assertThat(c.get("/subjects/orders-value/versions").raw())
                .as("nothing stored changed")
                .isEqualTo("[1]");

        RegistryClient.Reply badLevel = c.setLevel("orders-value", "SIDEWAYS");
        assertThat(badLevel.status()).isEqualTo(422);
        assertThat(badLevel.errorCode()).isEqualTo(42203);
    }

    @Test
    void compatibilityEndpointAnswersWithReasons() throws Exception {
        c.register("compat-value", USER_V1);
        String breaking =
                "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                        + "{\"name\":\"tier\",\"type\":\"int\"}]}";
        RegistryClient.Reply no = c.call(
                "POST",
                "/compatibility/subjects/compat-value/versions/latest?verbose=true",
                RegistryClient.schemaBody(breaking, null));
        assertThat(no.status()).isEqualTo(200);
        assertThat(no.body().get("is_compatible").asBoolean()).isFalse();
        assertThat(no.body().get("messages").toString()).contains("tier");
        RegistryClient.Reply yes = c.call(
                "POST", "/compatibility/subjects/compat-value/versions/1", RegistryClient.schemaBody(USER_V2, null));
        assertThat(yes.body().get("is_compatible").asBoolean()).isTrue();
        assertThat(yes.body().has("messages")).isFalse();
        RegistryClient.Reply unknown = c.call(
                "POST", "/compatibility/subjects/nobody/versions/latest", RegistryClient.schemaBody(USER_V2, null));
        assertThat(unknown.errorCode()).isEqualTo(40401);
    }

    @Test
    void configGlobalAndPerSubject() throws Exception {
        assertThat(c.get("/config").body().get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        c.register("cfg-value", USER_V1);
        RegistryClient.Reply none = c.get("/config/cfg-value");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.errorCode()).isEqualTo(40408);
        assertThat(c.get("/config/cfg-value?defaultToGlobal=true")
                        .body()
                        .get("compatibilityLevel")
                        .asText())
                .isEqualTo("BACKWARD");
        RegistryClient.Reply put = c.setLevel("cfg-value", "full_transitive");
        assertThat(put.body().get("compatibility").asText()).isEqualTo("FULL_TRANSITIVE");
        assertThat(c.get("/config/cfg-value").body().get("compatibilityLevel").asText())
                .isEqualTo("FULL_TRANSITIVE");
        RegistryClient.Reply del = c.call("DELETE", "/config/cfg-value", null);
        assertThat(del.body().get("compatibilityLevel").asText()).isEqualTo("FULL_TRANSITIVE");
        assertThat(c.get("/config/cfg-value").errorCode()).isEqualTo(40408);
    }

    @Test
    void globalConfigCanBeChangedAndReset() throws Exception {
        // a registry of its own: the global level is shared state
        try (SchemaRegistry r = SchemaRegistry.start(
                        SharedKafka.get().bootstrapServers(),
                        SharedKafka.uniqueName("_schemas"),
                        Duration.ofSeconds(30));
                RegistryClient own = new RegistryClient(r)) {
            assertThat(own.call("PUT", "/config", "{\"compatibility\":\"NONE\"}")
                            .body()
                            .get("compatibility")
                            .asText())
                    .isEqualTo("NONE");
            assertThat(own.get("/config").body().get("compatibilityLevel").asText())
                    .isEqualTo("NONE");
            assertThat(own.call("DELETE", "/config", null).status()).isEqualTo(200);
            assertThat(own.get("/config").body().get("compatibilityLevel").asText())
                    .isEqualTo("BACKWARD");
        }
    }

    @Test
    void softAndPermanentDeletes() throws Exception {
        c.register("del-value", USER_V1);
        c.register("del-value", USER_V2);
        RegistryClient.Reply early = c.call("DELETE", "/subjects/del-value/versions/1?permanent=true", null);
        assertThat(early.status()).isEqualTo(404);
        assertThat(early.errorCode()).isEqualTo(40407);

        assertThat(c.call("DELETE", "/subjects/del-value/versions/1", null).raw())
                .isEqualTo("1");
        assertThat(c.get("/subjects/del-value/versions").raw()).isEqualTo("[2]");
        assertThat(c.get("/subjects/del-value/versions?deleted=true").raw()).isEqualTo("[1,2]");
        assertThat(c.get("/subjects/del-value/versions/1").errorCode()).isEqualTo(40402);
        assertThat(c.get("/subjects/del-value/versions/1?deleted=true").status())
                .isEqualTo(200);
        assertThat(c.call("DELETE", "/subjects/del-value/versions/1", null).errorCode())
                .isEqualTo(40406);
        assertThat(c.call("DELETE", "/subjects/del-value/versions/1?permanent=true", null)
                        .raw())
                .isEqualTo("1");
        assertThat(c.get("/subjects/del-value/versions?deleted=true").raw()).isEqualTo("[2]");

        // a whole subject
        assertThat(c.call("DELETE", "/subjects/del-value?permanent=true", null).errorCode())
                .isEqualTo(40405);
        assertThat(c.call("DELETE", "/subjects/del-value", null).raw()).isEqualTo("[2]");
        assertThat(c.get("/subjects").raw()).doesNotContain("\"del-value\"");
        assertThat(c.get("/subjects?deleted=true").raw()).contains("\"del-value\"");
        assertThat(c.call("DELETE", "/subjects/del-value?permanent=true", null).raw())
                .isEqualTo("[2]");
        assertThat(c.get("/subjects?deleted=true").raw()).doesNotContain("\"del-value\"");
        // "latest" names the newest live version, for deletes too
        c.register("del3-value", record("Del3"));
        c.register("del3-value", record("Del3").replace("\"int\"", "\"long\""));
        assertThat(c.call("DELETE", "/subjects/del3-value/versions/latest", null)
                        .raw())
                .isEqualTo("2");
        assertThat(c.get("/subjects/del3-value/versions").raw()).isEqualTo("[1]");

        // a registration after a soft delete continues the numbering
        c.register("del2-value", USER_V1);
        c.call("DELETE", "/subjects/del2-value/versions/1", null);
        c.register("del2-value", USER_V2);
        assertThat(c.get("/subjects/del2-value/versions").raw()).isEqualTo("[2]");
    }

    @Test
    void jsonSchemasAndReferences() throws Exception {
        String json =
                "{\"type\":\"object\",\"properties\":{\"sku\":{\"type\":\"string\"}},\"additionalProperties\":false}";
        RegistryClient.Reply r = c.register("items-value", json, "JSON");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        JsonNode v = c.get("/subjects/items-value/versions/latest").body();
        assertThat(v.get("schemaType").asText()).isEqualTo("JSON");
        assertThat(c.get("/schemas/ids/" + r.body().get("id").asInt())
                        .body()
                        .get("schemaType")
                        .asText())
                .isEqualTo("JSON");

        String address =
                "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"city\",\"type\":\"string\"}]}";
        c.register("address-value", address);
        String customer = "{\"schema\":"
                + RegistryClient.JSON.writeValueAsString(
                        "{\"type\":\"record\",\"name\":\"Customer\",\"namespace\":\"shop\",\"fields\":[{\"name\":\"home\",\"type\":\"shop.Address\"}]}")
                + ",\"references\":[{\"name\":\"shop.Address\",\"subject\":\"address-value\",\"version\":1}]}";
        RegistryClient.Reply withRef = c.call("POST", "/subjects/customer-value/versions", customer);
        assertThat(withRef.status()).as(withRef.raw()).isEqualTo(200);
        JsonNode cv = c.get("/subjects/customer-value/versions/1").body();
        assertThat(cv.get("references").get(0).get("subject").asText()).isEqualTo("address-value");
        assertThat(c.get("/subjects/address-value/versions/1/referencedby").raw())
                .isEqualTo("[" + withRef.body().get("id").asInt() + "]");
        RegistryClient.Reply inUse = c.call("DELETE", "/subjects/address-value/versions/1", null);
        assertThat(inUse.status()).isEqualTo(422);
        assertThat(inUse.errorCode()).isEqualTo(42206);

        String missing = customer.replace("\"version\":1", "\"version\":7");
        RegistryClient.Reply broken = c.call("POST", "/subjects/customer2-value/versions", missing);
        assertThat(broken.errorCode()).isEqualTo(42201);
        assertThat(broken.body().get("message").asText()).contains("address-value");
    }

    @Test
    void survivesRestartAndInstancesAgreeOnIds() throws Exception {
        String topic = SharedKafka.uniqueName("_schemas");
        String bootstrap = SharedKafka.get().bootstrapServers();
        List<Integer> idsA = new ArrayList<>();
        List<Integer> idsB = new ArrayList<>();
        try (SchemaRegistry a = SchemaRegistry.start(bootstrap, topic, Duration.ofSeconds(30));
                SchemaRegistry b = SchemaRegistry.start(bootstrap, topic, Duration.ofSeconds(30))) {
            a.setLevel(null, dev.sluice.schema.compat.CompatibilityLevel.NONE);
            // both write at the same time, to different subjects; Kafka's fencing serializes them
            Thread ta = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 8; i++) {
                    idsA.add(a.register(
                            "a-value", dev.sluice.schema.compat.SchemaType.AVRO, record("A" + i), List.of()));
                }
            });
            Thread tb = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 8; i++) {
                    idsB.add(b.register(
                            "b-value", dev.sluice.schema.compat.SchemaType.AVRO, record("B" + i), List.of()));
                }
            });
            assertThat(ta.join(java.time.Duration.ofSeconds(60)))
                    .as("writer A done")
                    .isTrue();
            assertThat(tb.join(java.time.Duration.ofSeconds(60)))
                    .as("writer B done")
                    .isTrue();
            assertThat(idsA).hasSize(8).doesNotHaveDuplicates();
            assertThat(idsB).hasSize(8).doesNotHaveDuplicates();
            assertThat(idsA).doesNotContainAnyElementsOf(idsB);
            // the same schema registered through the other instance gets the same id
            assertThat(b.register("a-value", dev.sluice.schema.compat.SchemaType.AVRO, record("A3"), List.of()))
                    .isEqualTo(idsA.get(3));
            assertThat(a.register("elsewhere", dev.sluice.schema.compat.SchemaType.AVRO, record("B5"), List.of()))
                    .isEqualTo(idsB.get(5));
            for (String s : List.of("a-value", "b-value")) {
                assertThat(a.versions(s, false)).isEqualTo(b.versions(s, false));
                for (int v : a.versions(s, false)) {
                    assertThat(a.version(s, Integer.toString(v), false).id())
                            .isEqualTo(b.version(s, Integer.toString(v), false).id());
                }
            }
        }
        // a new instance on the same topic has everything, with the same ids
        try (SchemaRegistry again = SchemaRegistry.start(bootstrap, topic, Duration.ofSeconds(30))) {
            assertThat(again.versions("a-value", false)).hasSize(8);
            for (int i = 0; i < 8; i++) {
                assertThat(again.version("a-value", Integer.toString(i + 1), false)
                                .id())
                        .isEqualTo(idsA.get(i));
                assertThat(again.version("b-value", Integer.toString(i + 1), false)
                                .id())
                        .isEqualTo(idsB.get(i));
            }
            assertThat(again.globalLevel()).isEqualTo(dev.sluice.schema.compat.CompatibilityLevel.NONE);
            assertThat(again.register("c-value", dev.sluice.schema.compat.SchemaType.AVRO, record("C"), List.of()))
                    .isNotIn(idsA)
                    .isNotIn(idsB);
        }
    }

    static String record(String name) {
        return "{\"type\":\"record\",\"name\":\"" + name + "\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
    }
}
