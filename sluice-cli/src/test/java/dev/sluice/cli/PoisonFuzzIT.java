package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SourceDef;
import dev.sluice.processor.topology.DeadLetterOnError;
import dev.sluice.wire.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule 6 (poison never blocks) and rule 1 (contracts first) under fuzzing: the ecommerce example on the shared
 * embedded broker and a DuckDB file gets {@value #HTTP_INPUTS} mutated orders over HTTP and {@value
 * #KAFKA_INPUTS} over its Kafka source ({@link PoisonInputs}: wrong types, numbers beyond a double, deep
 * nesting, bad UTF-8, truncated JSON, bad times, duplicates...), plus records written straight to the stream
 * topic around the sources, which only the processor can catch. Then valid orders, over both.
 *
 * <p>Exact accounting: every HTTP input gets the verdict {@link PoisonInputs} gave it (accepted, or refused
 * with field, rule and message); the dead-letter topic holds exactly the refused Kafka inputs and the
 * stream-topic poison, each unchanged, from its origin, with the documented headers; the raw table holds
 * exactly the accepted ids; the view equals a ground truth computed here; the processor never failed and
 * {@code /health} says so. The seed is printed; rerun one with {@code -Dsluice.fuzz.seed=<seed>}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PoisonFuzzIT {
    static final int HTTP_INPUTS = 5_000;
    static final int KAFKA_INPUTS = 5_000;
    static final int STREAM_POISON = 60;
    static final int VALID_AFTER = 200;
    static final int BATCH = 50;

    @TempDir
    static Path dir;

    static RunningPipeline running;
    static SluiceRuntime runtime;
    static Pipeline pipeline;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        running = RunningPipeline.start(dir, "fuzz");
        runtime = running.runtime;
        pipeline = running.pipeline;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    /** What the pipeline accepted, by id, and what it must dead-letter, by origin. */
    static final class Books {
        final Map<String, JsonNode> accepted = new HashMap<>();
        final Map<String, byte[]> deadLetters = new TreeMap<>(); // origin -> value
        final Map<String, String> deadLetterStage = new HashMap<>();
        final Set<String> storedRaw = new HashSet<>();
        int streamRecords; // records written to the stream topic
        final Map<String, String> described = new HashMap<>(); // origin -> input, for messages
        final List<String> wrongVerdicts = new ArrayList<>();
    }

    @Test
    void everyInputIsCountedOrRefusedWithAReasonAndThePipelineKeepsCounting() throws Exception {
        long seed = Long.getLong("sluice.fuzz.seed", new SecureRandom().nextLong());
        System.out.println("PoisonFuzzIT seed " + seed + " (rerun: -Dsluice.fuzz.seed=" + seed + ")");
        String why = "seed " + seed + ": ";
        long started = System.nanoTime();
        long handledBefore = DeadLetterOnError.handled();
        PoisonInputs inputs = new PoisonInputs(seed);
        Books books = new Books();
        String sourceTopic = pipeline.sources().values().stream()
                .filter(SourceDef.Kafka.class::isInstance)
                .map(s -> ((SourceDef.Kafka) s).topic())
                .findFirst()
                .orElseThrow();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                ClientDefaults.producer(runtime.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            // the two doors take turns, so duplicates cross between them
            int http = 0;
            int kafka = 0;
            while (http < HTTP_INPUTS || kafka < KAFKA_INPUTS) {
                if (http < HTTP_INPUTS) {
                    List<PoisonInputs.Input> batch = new ArrayList<>();
                    for (int i = 0; i < BATCH && http < HTTP_INPUTS; i++, http++) {
                        batch.add(inputs.next(false));
                    }
                    postAndCheck(batch, books);
                }
                List<PoisonInputs.Input> batch = new ArrayList<>();
                for (int i = 0; i < BATCH && kafka < KAFKA_INPUTS; i++, kafka++) {
                    batch.add(inputs.next(true));
                }
                sendToSource(producer, sourceTopic, batch, books);
            }
            writeAroundTheSources(producer, inputs, books);
            assertThat(books.wrongVerdicts.subList(0, Math.min(20, books.wrongVerdicts.size())))
                    .as(why + "HTTP inputs whose answer differs from the contract")
                    .isEmpty();

            // valid orders after all that poison are counted
            List<PoisonInputs.Input> after = new ArrayList<>();
            for (int i = 0; i < VALID_AFTER; i++) {
                after.add(inputs.valid());
            }
            postAndCheck(after, books);
            after.clear();
            for (int i = 0; i < VALID_AFTER; i++) {
                after.add(inputs.valid());
            }
            sendToSource(producer, sourceTopic, after, books);
            assertThat(books.wrongVerdicts).as(why).isEmpty();
        }
        System.out.println("PoisonFuzzIT sent " + (HTTP_INPUTS + KAFKA_INPUTS + STREAM_POISON + 2 * VALID_AFTER)
                + " inputs in " + (System.nanoTime() - started) / 1_000_000 + " ms: " + books.accepted.size()
                + " distinct accepted, "
                + books.deadLetters.size() + " to dead-letter; by mutation: " + inputs.tally);

        // every accepted id is stored raw, and nothing else
        Set<String> expectedRaw = new HashSet<>(books.accepted.keySet());
        expectedRaw.addAll(books.storedRaw);
        Set<String> raw = Set.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            raw = new HashSet<>(running.storedIds("orders"));
            if (raw.equals(expectedRaw)) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(raw).as(why + "raw ids; /health: " + get("/health").body()).isEqualTo(expectedRaw);

        // the view equals the ground truth of the accepted orders, those sent after the poison included
        Map<String, OrdersScenario.Expected> truth = truth(books.accepted.values());
        List<String> diffs = running.awaitAgreement(truth, Duration.ofSeconds(120));
        assertThat(diffs)
                .as(why + "query API vs ground truth; /health: "
                        + get("/health").body())
                .isEmpty();

        // the dead-letter topic holds exactly what must be there, unchanged, with the reason (read last: by now
        // the processor has handled everything, so a surplus would show)
        List<ConsumerRecord<byte[], byte[]>> dlq =
                EcommercePipelineIT.readAll(runtime.bootstrapServers(), pipeline.dlqTopic(), books.deadLetters.size());
        Map<String, byte[]> dead = new TreeMap<>();
        List<String> badHeaders = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : dlq) {
            String origin = DeadLetter.get(r.headers(), DeadLetter.ORIGIN);
            if (dead.put(origin, r.value()) != null) {
                badHeaders.add(origin + ": dead-lettered twice");
            }
            String stage = DeadLetter.get(r.headers(), DeadLetter.STAGE);
            if (!String.valueOf(books.deadLetterStage.get(origin)).equals(stage)
                    || !"orders".equals(DeadLetter.get(r.headers(), DeadLetter.STREAM))
                    || isBlank(DeadLetter.get(r.headers(), DeadLetter.RULE))
                    || isBlank(DeadLetter.get(r.headers(), DeadLetter.REASON))) {
                badHeaders.add(origin + ": stage " + stage + " (expected " + books.deadLetterStage.get(origin)
                        + "), stream " + DeadLetter.get(r.headers(), DeadLetter.STREAM) + ", rule "
                        + DeadLetter.get(r.headers(), DeadLetter.RULE) + ", reason "
                        + DeadLetter.get(r.headers(), DeadLetter.REASON));
            }
        }
        List<String> missing = new ArrayList<>();
        books.deadLetters.keySet().stream()
                .filter(o -> !dead.containsKey(o))
                .forEach(o -> missing.add(o + " " + books.described.get(o)));
        List<String> unexpected = new ArrayList<>();
        dead.keySet().stream()
                .filter(o -> !books.deadLetters.containsKey(o))
                .forEach(o -> unexpected.add(o + " " + books.described.get(o)));
        assertThat(missing.subList(0, Math.min(20, missing.size())))
                .as(why + missing.size() + " inputs that should be dead letters are not")
                .isEmpty();
        assertThat(unexpected.subList(0, Math.min(20, unexpected.size())))
                .as(why + unexpected.size() + " dead letters that should not be")
                .isEmpty();
        assertThat(badHeaders).as(why).isEmpty();
        List<String> changed = new ArrayList<>();
        books.deadLetters.forEach((origin, value) -> {
            if (!Arrays.equals(value, dead.get(origin))) {
                changed.add(origin);
            }
        });
        assertThat(changed).as(why + "dead letters not as sent").isEmpty();

        // and the processor never stopped: no failed stream thread, nothing left to the last-resort handler
        assertThat(runtime.processorFailures())
                .as(why + "stream thread failures")
                .isZero();
        assertThat(DeadLetterOnError.handled() - handledBefore)
                .as(why + "records only the last-resort handler caught")
                .isZero();
        JsonNode health = OrdersScenario.JSON.readTree(get("/health").body());
        assertThat(health.get("processor").asText()).as(why + health).isEqualTo("up");
        assertThat(get("/health/ready").statusCode()).as(why).isEqualTo(200);
        System.out.println("PoisonFuzzIT done in " + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    /** Posts one NDJSON body and checks each line's answer against its verdict. */
    static void postAndCheck(List<PoisonInputs.Input> batch, Books books) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (PoisonInputs.Input in : batch) {
            body.writeBytes(in.bytes());
            body.write('\n');
        }
        HttpRequest req = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + "/v1/streams/orders/events"))
                .header("Content-Type", "application/x-ndjson")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build();
        HttpResponse<String> resp = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200 && resp.statusCode() != 207 && resp.statusCode() != 422) {
            books.wrongVerdicts.add("a batch was answered " + resp.statusCode() + ": " + resp.body());
            return;
        }
        JsonNode results = OrdersScenario.JSON.readTree(resp.body()).get("results");
        if (results.size() != batch.size()) {
            books.wrongVerdicts.add(batch.size() + " lines got " + results.size() + " results: " + resp.body());
            return;
        }
        for (JsonNode r : results) {
            PoisonInputs.Input in = batch.get(r.get("index").asInt());
            boolean accepted = "accepted".equals(r.get("status").asText());
            if (accepted != in.valid()) {
                books.wrongVerdicts.add(
                        in.describe() + ": expected " + (in.valid() ? "accepted" : "refused") + ", got " + r);
                continue;
            }
            if (accepted) {
                String id = r.get("id").asText();
                if (in.id() != null && !in.id().equals(id)) {
                    books.wrongVerdicts.add(in.describe() + ": accepted as " + id);
                }
                books.streamRecords++;
                books.accepted.put(id, OrdersScenario.JSON.readTree(in.bytes()));
            } else {
                JsonNode errors = r.get("errors");
                boolean located = errors != null && !errors.isEmpty();
                for (JsonNode e : located ? errors : OrdersScenario.JSON.createArrayNode()) {
                    located &= !isBlank(e.path("field").asText())
                            && !isBlank(e.path("rule").asText())
                            && !isBlank(e.path("message").asText());
                }
                if (!located) {
                    books.wrongVerdicts.add(in.describe() + ": refused without a located reason: " + r);
                }
            }
        }
    }

    /** Sends inputs to the Kafka source; accepted ones get their id, refused ones must reach the DLQ. */
    static void sendToSource(
            KafkaProducer<byte[], byte[]> producer, String topic, List<PoisonInputs.Input> batch, Books books)
            throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (PoisonInputs.Input in : batch) {
            byte[] key = in.n() % 3 == 0 ? null : ("k" + in.n()).getBytes(StandardCharsets.UTF_8);
            sent.add(producer.send(new ProducerRecord<>(topic, key, in.bytes())));
        }
        for (int i = 0; i < batch.size(); i++) {
            RecordMetadata md = sent.get(i).get(30, TimeUnit.SECONDS);
            String origin = md.topic() + "/" + md.partition() + "@" + md.offset();
            PoisonInputs.Input in = batch.get(i);
            books.described.put(origin, in.describe());
            if (in.valid()) {
                // an event without an id gets one derived from its position (docs/semantics.md, rule 1)
                String id = in.id() != null
                        ? in.id()
                        : UUID.nameUUIDFromBytes(origin.getBytes(StandardCharsets.UTF_8))
                                .toString();
                books.streamRecords++;
                books.accepted.put(id, OrdersScenario.JSON.readTree(in.bytes()));
            } else {
                // a dead letter carries the message unless it is over 1,000,000 bytes (docs/semantics.md, rule 6)
                books.deadLetters.put(origin, in.bytes() != null && in.bytes().length > 1_000_000 ? null : in.bytes());
                books.deadLetterStage.put(origin, "validate");
            }
        }
    }

    /**
     * Records a producer writes straight to the stream topic, past the sources' contract: a paid order whose
     * amount is the text the reported bug left there ({@code "Infinity"}) or other text, one with an unreadable
     * time, and bytes that are not JSON. Only the processor can refuse them; each must be dead-lettered once
     * with stage {@code process}. The orders with an id and a time are stored raw (the store keeps what the
     * stream topic holds); the others are not.
     */
    static void writeAroundTheSources(KafkaProducer<byte[], byte[]> producer, PoisonInputs inputs, Books books)
            throws Exception {
        String topic = pipeline.streamTopic("orders");
        for (int i = 0; i < STREAM_POISON; i++) {
            var o = inputs.order();
            o.put("event_id", o.get("event_id").asText() + "-around-" + i);
            o.put("status", "paid");
            byte[] value;
            boolean storable = true;
            switch (i % 4) {
                case 0 -> o.put("amount", "Infinity");
                case 1 -> o.put("amount", "twelve");
                case 2 -> {
                    o.put("created_at", "noon");
                    storable = false;
                }
                default -> storable = false;
            }
            value = i % 4 == 3
                    ? ("not json " + i).getBytes(StandardCharsets.UTF_8)
                    : o.toString().getBytes(StandardCharsets.UTF_8);
            RecordMetadata md = producer.send(new ProducerRecord<>(
                            topic, o.get("order_id").asText().getBytes(StandardCharsets.UTF_8), value))
                    .get(30, TimeUnit.SECONDS);
            String origin = md.topic() + "/" + md.partition() + "@" + md.offset();
            books.streamRecords++;
            books.deadLetters.put(origin, value);
            books.deadLetterStage.put(origin, "process");
            books.described.put(origin, "around the sources: " + new String(value, StandardCharsets.UTF_8));
            if (storable) {
                books.storedRaw.add(o.get("event_id").asText());
            }
        }
    }

    /** Expected rows of gmv_by_country from the accepted orders, with plain JDK code. */
    static Map<String, OrdersScenario.Expected> truth(java.util.Collection<JsonNode> accepted) {
        Map<String, OrdersScenario.Expected> out = new TreeMap<>();
        for (JsonNode e : accepted) {
            if (!"paid".equals(e.get("status").asText())) {
                continue;
            }
            long t = OffsetDateTime.parse(e.get("created_at").asText())
                    .toInstant()
                    .toEpochMilli();
            long start = Math.floorDiv(t, 60_000L) * 60_000L;
            String k = Instant.ofEpochMilli(start) + "|" + e.get("country").asText() + "|"
                    + e.get("currency").asText();
            OrdersScenario.Expected x = out.computeIfAbsent(k, kk -> new OrdersScenario.Expected());
            x.orders++;
            x.gmv = x.gmv.add(PoisonInputs.amountAsRead(e.get("amount")));
            x.buyers.add(e.get("user_id").asText());
        }
        return out;
    }

    static HttpResponse<String> get(String path) throws Exception {
        return running.get(path);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
