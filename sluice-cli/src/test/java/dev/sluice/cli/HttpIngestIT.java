package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SourceDef;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client of {@code POST /v1/streams/{stream}/events} sees, on the shared embedded broker:
 * per-event answers naming field and rule, assigned ids, and the refusals of whole requests.
 */
class HttpIngestIT {
    @TempDir
    static Path dir;

    static RunningPipeline running;
    static SluiceRuntime runtime;
    static Pipeline pipeline;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        running = RunningPipeline.start(
                dir,
                "ingest",
                RunningPipeline.replacing(
                        "    type: http\n    stream: orders\n",
                        "    type: http\n    stream: orders\n    max_body: 4KB\n    max_in_flight: 5\n"),
                o -> o);
        runtime = running.runtime;
        pipeline = running.pipeline;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    static String order(String extra) {
        return "{\"order_id\":\"o-1\",\"user_id\":\"u-1\",\"country\":\"DE\",\"currency\":\"EUR\","
                + "\"amount\":12.5,\"status\":\"paid\",\"created_at\":\"" + Instant.now() + "\"" + extra + "}";
    }

    static HttpResponse<String> post(String stream, String body, String contentType) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + runtime.httpPort() + "/v1/streams/" + stream + "/events"))
                        .header("Content-Type", contentType)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return OrdersScenario.JSON.readTree(r.body());
    }

    long streamEndOffset() {
        String topic = pipeline.streamTopic("orders");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                ClientDefaults.consumer(runtime.bootstrapServers(), "offsets-probe"),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            return c.endOffsets(parts).values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
        }
    }

    @Test
    void anEventWithoutIdGetsAUuidV7AndReachesTheStore() throws Exception {
        HttpResponse<String> r = post("orders", order(""), "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode result = json(r).get("results").get(0);
        assertThat(result.get("status").asText()).isEqualTo("accepted");
        String id = result.get("id").asText();
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (storedWithId(id) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(storedWithId(id)).as("raw rows with the assigned id").isEqualTo(1);
    }

    static long storedWithId(String id) throws Exception {
        try (Connection c = runtime.store().connect();
                PreparedStatement st = c.prepareStatement("SELECT count(*) FROM orders WHERE event_id = ?")) {
            st.setString(1, id);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void aMixedArrayIsJudgedEventByEventNamingFieldAndRule() throws Exception {
        String body = "[" + order("") + "," + order("").replace("12.5", "-1") + ","
                + order("").replace("\"paid\"", "\"shipped\"") + "]";
        HttpResponse<String> r = post("orders", body, "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(207);
        JsonNode b = json(r);
        assertThat(b.get("accepted").asInt()).isEqualTo(1);
        assertThat(b.get("refused").asInt()).isEqualTo(2);
        JsonNode amount = b.get("results").get(1).get("errors").get(0);
        assertThat(amount.get("field").asText()).isEqualTo("amount");
        assertThat(amount.get("rule").asText()).isEqualTo("exclusiveMinimum");
        JsonNode status = b.get("results").get(2).get("errors").get(0);
        assertThat(status.get("field").asText()).isEqualTo("status");
        assertThat(status.get("rule").asText()).isEqualTo("enum");
    }

    @Test
    void anNdjsonLineThatIsNotJsonIsRefusedAlone() throws Exception {
        String body = order("") + "\nnot json at all\n" + order("");
        HttpResponse<String> r = post("orders", body, "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(207);
        JsonNode bad = json(r).get("results").get(1);
        assertThat(bad.get("line").asInt()).isEqualTo(2);
        assertThat(bad.get("status").asText()).isEqualTo("refused");
        assertThat(bad.get("errors").get(0).get("rule").asText()).isEqualTo("json");
        assertThat(json(r).get("accepted").asInt()).isEqualTo(2);
    }

    @Test
    void wholeRequestsAreRefusedWithTheReason() throws Exception {
        long before = streamEndOffset();
        HttpResponse<String> broken = post("orders", "[" + order("") + ",{", "application/json");
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(json(broken).get("error").asText()).isNotBlank();

        HttpResponse<String> unknown = post("ordres", order(""), "application/json");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error").asText()).contains("ordres");

        HttpResponse<String> big = post("orders", order(",\"pad\":\"" + "x".repeat(5000) + "\""), "application/json");
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(json(big).get("error").asText()).contains("max_body");

        StringBuilder six = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            six.append(order("")).append('\n');
        }
        HttpResponse<String> many = post("orders", six.toString(), "application/x-ndjson");
        assertThat(many.statusCode()).isEqualTo(413);
        assertThat(json(many).get("error").asText()).contains("max_in_flight");
        assertThat(streamEndOffset())
                .as("nothing of a refused request is written")
                .isEqualTo(before);
    }

    static String orderAt(Instant t) {
        return order("").replaceFirst("\"created_at\":\"[^\"]+\"", "\"created_at\":\"" + t + "\"");
    }

    @Test
    void anEventMoreThanAnHourAheadIsRefusedNamingTheTimeField() throws Exception {
        Instant now = Instant.now();
        String body =
                "[" + orderAt(now.plus(Duration.ofMinutes(61))) + "," + orderAt(now.plus(Duration.ofMinutes(59))) + "]";
        HttpResponse<String> r = post("orders", body, "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(207);
        JsonNode ahead = json(r).get("results").get(0);
        assertThat(ahead.get("status").asText()).isEqualTo("refused");
        JsonNode error = ahead.get("errors").get(0);
        assertThat(error.get("field").asText()).isEqualTo("created_at");
        assertThat(error.get("rule").asText()).isEqualTo("time");
        assertThat(error.get("message").asText()).contains("more than 60 minutes in the future");
        assertThat(json(r).get("results").get(1).get("status").asText()).isEqualTo("accepted");
    }

    @Test
    void aKafkaEventWithoutIdGetsAnIdDerivedFromItsPosition() throws Exception {
        String topic = pipeline.sources().values().stream()
                .filter(x -> x instanceof SourceDef.Kafka)
                .map(x -> ((SourceDef.Kafka) x).topic())
                .findFirst()
                .orElseThrow();
        RecordMetadata at;
        try (var p = new KafkaProducer<>(
                ClientDefaults.producer(runtime.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            at = p.send(new ProducerRecord<>(topic, order("").getBytes(StandardCharsets.UTF_8)))
                    .get(30, TimeUnit.SECONDS);
        }
        // the id is the name-based UUID (v3) of "topic/partition@offset": the same message always gets the same id
        String id = UUID.nameUUIDFromBytes(
                        (topic + "/" + at.partition() + "@" + at.offset()).getBytes(StandardCharsets.UTF_8))
                .toString();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (storedWithId(id) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(storedWithId(id))
                .as("raw rows with the id derived from the position")
                .isEqualTo(1);
    }
}
