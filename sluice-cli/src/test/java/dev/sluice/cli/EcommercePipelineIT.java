package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.wire.DeadLetter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ecommerce example end to end, on the JVM's shared embedded broker and a real DuckDB file:
 * HTTP and Kafka ingest with duplicates, out-of-order, late and hours-late events and malformed
 * ones; the queried aggregates must equal a ground truth computed from the accepted events.
 */
class EcommercePipelineIT {
    @TempDir
    static Path dir;

    static RunningPipeline running;
    static SluiceRuntime runtime;
    static Pipeline pipeline;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        running = RunningPipeline.start(dir, "shop", BasketView::added, o -> o);
        runtime = running.runtime;
        pipeline = running.pipeline;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void aggregatesEqualTheGroundTruthOfAcceptedEvents() throws Exception {
        // regular orders span 9 minutes, less than the 10-minute grace: none can be late, whatever the
        // order the processor reads them in, so the late topic must hold exactly the hours-late ones
        OrdersScenario s = new OrdersScenario(42, Duration.ofMinutes(9));
        int port = runtime.httpPort();
        int refused = 0;
        boolean ndjson = true;
        for (List<JsonNode> batch : s.batches(1500, 12, 100)) {
            HttpResponse<String> r = s.send(HTTP, port, batch, ndjson);
            assertThat(r.statusCode()).as(r.body()).isIn(200, 207, 422);
            refused += OrdersScenario.JSON.readTree(r.body()).get("refused").asInt();
            ndjson = !ndjson;
        }
        assertThat(s.refusedIds).as("exactly the malformed events are refused").isEqualTo(s.malformedIds);
        assertThat(s.malformedIds).hasSize(45);
        assertThat((long) refused)
                .as("every copy of a malformed event is refused")
                .isEqualTo(s.copiesOf(s.malformedIds));

        // the Kafka source: valid events count, poison goes to the dead-letter topic
        String topic = pipeline.sources().values().stream()
                .filter(x -> x instanceof dev.sluice.pipeline.SourceDef.Kafka)
                .map(x -> ((dev.sluice.pipeline.SourceDef.Kafka) x).topic())
                .findFirst()
                .orElseThrow();
        List<ObjectNode> viaKafka = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
                ClientDefaults.producer(runtime.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < 100; i++) {
                ObjectNode o = s.order(10_000 + i, s.someTime());
                viaKafka.add(o);
                p.send(new ProducerRecord<>(topic, o.toString().getBytes(StandardCharsets.UTF_8)));
            }
            p.send(new ProducerRecord<>(topic, "this is not json".getBytes(StandardCharsets.UTF_8)));
            p.send(new ProducerRecord<>(
                    topic, s.malformed(20_000, s.t0).toString().getBytes(StandardCharsets.UTF_8)));
            p.send(new ProducerRecord<>(
                    topic, viaKafka.get(0).toString().getBytes(StandardCharsets.UTF_8))); // a duplicate
            p.flush();
        }
        for (ObjectNode o : viaKafka) {
            s.accepted.put(o.get("event_id").asText(), o);
        }

        Map<String, OrdersScenario.Expected> truth = s.groundTruth();
        assertThat(truth).hasSizeGreaterThan(50);
        List<String> diffs = running.awaitAgreement(truth, Duration.ofSeconds(120));
        assertThat(diffs).as("query API vs ground truth").isEmpty();
        Map<String, List<java.math.BigDecimal>> baskets = BasketView.truth(s.accepted.values());
        assertThat(baskets).hasSizeGreaterThan(20);
        List<String> basketDiffs = List.of("not compared yet");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            basketDiffs = BasketView.compare(baskets, BasketView.queried(HTTP, runtime.httpPort()));
            if (basketDiffs.isEmpty()) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(basketDiffs.subList(0, Math.min(20, basketDiffs.size())))
                .as("hopping view with min/max/avg/quantiles vs ground truth")
                .isEmpty();

        // the raw table holds exactly the accepted events, each once (a list, so a second copy would show)
        assertThat(running.storedIds("orders")).containsExactlyInAnyOrderElementsOf(s.accepted.keySet());

        // poison from the Kafka source is in the dead-letter topic with its reason
        List<ConsumerRecord<byte[], byte[]>> dlq = readAll(pipeline.dlqTopic(), 2);
        assertThat(dlq).hasSize(2);
        assertThat(dlq)
                .extracting(r -> DeadLetter.get(r.headers(), DeadLetter.RULE))
                .containsExactlyInAnyOrder("json", "exclusiveMinimum");
        assertThat(DeadLetter.get(dlq.get(0).headers(), DeadLetter.ORIGIN)).startsWith(topic + "/");

        // late is per view: each view routes exactly the hours-late events it counts (the orders view only
        // the paid ones, the basket view all), once each, to the late topic (and still counted them above);
        // no event within grace is routed late
        List<String> lateForOrders = new ArrayList<>();
        for (String id : s.hoursLateIds) {
            assertThat(s.accepted).containsKey(id);
            if ("paid".equals(s.accepted.get(id).get("status").asText())) {
                lateForOrders.add(id);
            }
        }
        assertThat(s.hoursLateIds).hasSize(12);
        assertThat(lateForOrders).isNotEmpty().hasSizeLessThan(12);
        Map<String, List<String>> lateByView = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(pipeline.lateTopic("orders"), 12 + lateForOrders.size())) {
            lateByView
                    .computeIfAbsent(DeadLetter.get(r.headers(), DeadLetter.VIEW), v -> new ArrayList<>())
                    .add(OrdersScenario.JSON.readTree(r.value()).get("event_id").asText());
        }
        assertThat(lateByView.keySet()).containsExactlyInAnyOrder("gmv_by_country", BasketView.NAME);
        assertThat(lateByView.get("gmv_by_country")).containsExactlyInAnyOrderElementsOf(lateForOrders);
        assertThat(lateByView.get(BasketView.NAME)).containsExactlyInAnyOrderElementsOf(s.hoursLateIds);
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
        return readAll(runtime.bootstrapServers(), topic, atLeast);
    }

    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int atLeast) {
        Map<String, Object> cfg = new HashMap<>(ClientDefaults.consumer(bootstrap, "it-" + topic));
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int idle = 0;
            while (System.nanoTime() < deadline && (out.size() < atLeast || idle < 3)) {
                var recs = c.poll(Duration.ofMillis(300));
                recs.forEach(out::add);
                idle = recs.isEmpty() ? idle + 1 : 0;
            }
        }
        return out;
    }

    @Test
    void healthAndDescriptionsAnswer() throws Exception {
        HttpResponse<String> h = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.httpPort() + "/health"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(h.statusCode()).as(h.body()).isEqualTo(200);
        assertThat(OrdersScenario.JSON.readTree(h.body()).get("processor").asText())
                .isEqualTo("up");
        HttpResponse<String> v = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.httpPort() + "/v1/views"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(v.body())
                .contains("gmv_by_country")
                .contains("count_distinct")
                .contains("\"inputs\":[\"stream:orders\"]");
    }
}
