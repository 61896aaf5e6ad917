package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.wire.DeadLetter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sluice as a drop-in Confluent Schema Registry for a client nobody on the team wrote: Confluent's own Python
 * client (Debian's python3-confluent-kafka) registers an Avro schema in Sluice, produces Avro records in the
 * Confluent wire format into the embedded broker, and a view counts them; the same client then reads the
 * events Sluice writes back out in the wire format. Poison (wrong magic byte, unknown schema id) goes to the
 * dead-letter topic with its reason.
 */
class ConfluentPythonClientIT {
    static final String PYTHON = "/usr/bin/python3";
    static final String TICK_SCHEMA = """
            {"type": "record", "name": "Tick", "namespace": "market", "fields": [
              {"name": "event_id", "type": "string"},
              {"name": "symbol", "type": {"type": "enum", "name": "Symbol", "symbols": ["AAPL", "MSFT", "NVDA"]}},
              {"name": "price", "type": "double"},
              {"name": "qty", "type": "long"},
              {"name": "venue", "type": ["null", "string"], "default": null},
              {"name": "ts", "type": "long"}
            ]}
            """;

    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void confluentsPythonClientRegistersProducesAndReadsBack() throws Exception {
        String name = SharedKafka.uniqueName("ticks");
        String in = name + "-in";
        String out = name + "-out";
        Files.writeString(dir.resolve("ticks.avsc"), TICK_SCHEMA);
        Files.writeString(dir.resolve("pipeline.yaml"), """
                pipeline: %s
                streams:
                  ticks:
                    schema: ticks.avsc
                    id: event_id
                    time: ts
                    key: symbol
                    partitions: 2
                sources:
                  ticks_http:
                    type: http
                    stream: ticks
                  ticks_kafka:
                    type: kafka
                    stream: ticks
                    topic: %s
                    format: confluent
                views:
                  volume:
                    from: ticks
                    window: {type: tumbling, size: 1m, grace: 10m}
                    group_by: [symbol]
                    measures:
                      n: count
                      qty: sum(qty)
                sinks:
                  store: {type: duckdb}
                  downstream: {type: kafka, topic: %s, format: confluent, inputs: [ticks]}
                """.formatted(name, in, out));
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(dir.resolve("pipeline.yaml"));
        SluiceRuntime.Options o = new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC())
                .withRegistry(SharedKafka.uniqueName("_schemas"), -1);
        try (SluiceRuntime rt = SluiceRuntime.start(pipeline, o)) {
            assertThat(rt.awaitRunning(Duration.ofSeconds(60))).isTrue();
            String registry = "http://127.0.0.1:" + rt.httpPort() + "/registry";
            int streamId = rt.registry()
                    .version(pipeline.subject("ticks"), "latest", false)
                    .id();

            int count = 60;
            long base = (Instant.now().minus(Duration.ofMinutes(30)).toEpochMilli() / 60_000) * 60_000;
            List<String> produced = python(
                    "produce", registry, rt.bootstrapServers(), in, Integer.toString(count), Long.toString(base));
            JsonNode report = OrdersScenario.JSON.readTree(produced.get(produced.size() - 1));
            assertThat(report.get("registered_id").asInt())
                    .as("the same schema has one id across subjects")
                    .isEqualTo(streamId);
            assertThat(report.get("latest_version").asInt()).isEqualTo(1);
            assertThat(report.get("fetched_type").asText()).isEqualTo("AVRO");

            // poison: not the wire format, and an id the registry never gave
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
                    ClientDefaults.producer(rt.bootstrapServers()),
                    new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(in, new byte[] {1, 0, 0, 0, 1, 2, 3}));
                p.send(new ProducerRecord<>(
                        in,
                        ByteBuffer.allocate(8)
                                .put((byte) 0)
                                .putInt(987_654)
                                .put(new byte[3])
                                .array()));
                p.flush();
            }

            // ground truth from what the script produced: qty = i + 1, symbol = i mod 3, one-second steps
            String[] symbols = {"AAPL", "MSFT", "NVDA"};
            Map<String, long[]> truth = new HashMap<>();
            for (int i = 0; i < count; i++) {
                long window = Math.floorDiv(base + i * 1000L, 60_000L) * 60_000L;
                long[] t = truth.computeIfAbsent(Instant.ofEpochMilli(window) + "|" + symbols[i % 3], k -> new long[2]);
                t[0]++;
                t[1] += i + 1;
            }
            Map<String, long[]> got = Map.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                got = volume(rt.httpPort());
                if (same(truth, got)) {
                    break;
                }
                Thread.sleep(300);
            }
            assertThat(same(truth, got))
                    .as("view volume vs what Python produced: %s", describe(got))
                    .isTrue();

            List<String> rules = new ArrayList<>();
            for (var r : EcommercePipelineIT.readAll(rt.bootstrapServers(), pipeline.dlqTopic(), 2)) {
                rules.add(DeadLetter.get(r.headers(), DeadLetter.RULE) + ": "
                        + DeadLetter.get(r.headers(), DeadLetter.REASON));
            }
            assertThat(rules).hasSize(2);
            assertThat(rules).anySatisfy(r -> assertThat(r).startsWith("wire-format: wrong magic byte 0x01"));
            assertThat(rules).anySatisfy(r -> assertThat(r).startsWith("schema-id: unknown schema id 987654"));

            // HTTP ingest takes plain JSON for the Avro stream and checks it against the Avro contract
            String good = "{\"event_id\":\"http-1\",\"symbol\":\"MSFT\",\"price\":1.5,\"qty\":7,\"venue\":null,"
                    + "\"ts\":" + base + "}";
            String bad = good.replace("MSFT", "TSLA").replace("http-1", "http-2");
            HttpResponse<String> posted = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rt.httpPort() + "/v1/streams/ticks/events"))
                            .header("Content-Type", "application/x-ndjson")
                            .POST(HttpRequest.BodyPublishers.ofString(good + "\n" + bad))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(posted.statusCode()).as(posted.body()).isEqualTo(207);
            JsonNode refusal = OrdersScenario.JSON
                    .readTree(posted.body())
                    .get("results")
                    .get(1)
                    .get("errors")
                    .get(0);
            assertThat(refusal.get("field").asText()).isEqualTo("symbol");
            assertThat(refusal.get("rule").asText()).isEqualTo("enum");

            // what Sluice writes back out, Confluent's deserializer reads (the HTTP event too)
            List<String> consumed =
                    python("consume", registry, rt.bootstrapServers(), out, Integer.toString(count + 1));
            assertThat(consumed).hasSize(count + 1);
            assertThat(consumed)
                    .anySatisfy(l -> assertThat(l).contains("\"http-1\"").contains("\"MSFT\""));
            JsonNode first = consumed.stream()
                    .map(l -> {
                        try {
                            return OrdersScenario.JSON.readTree(l);
                        } catch (Exception e) {
                            throw new IllegalStateException(l, e);
                        }
                    })
                    .filter(n -> n.get("event_id").asText().equals("tick-0"))
                    .findFirst()
                    .orElseThrow();
            assertThat(first.get("symbol").asText()).isEqualTo("AAPL");
            assertThat(first.get("qty").asLong()).isEqualTo(1);
            assertThat(first.get("venue").asText()).isEqualTo("XNAS");
            assertThat(first.get("ts").asLong()).isEqualTo(base);
        }
    }

    List<String> python(String... args) throws Exception {
        Path script = Path.of("src", "test", "resources", "confluent_avro_producer.py")
                .toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        byte[] stderr = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as(
                        "python %s failed (install python3-confluent-kafka python3-avro python3-requests: "
                                + "scripts/install-deps.sh does): %s",
                        args[0], new String(stderr, StandardCharsets.UTF_8))
                .isZero();
        return new String(stdout, StandardCharsets.UTF_8)
                .lines()
                .filter(l -> !l.isBlank())
                .toList();
    }

    Map<String, long[]> volume(int port) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/views/volume"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, long[]> out = new HashMap<>();
        for (JsonNode row : OrdersScenario.JSON.readTree(r.body()).get("rows")) {
            out.put(
                    Instant.parse(row.get("window_start").asText()) + "|"
                            + row.get("symbol").asText(),
                    new long[] {row.get("n").asLong(), row.get("qty").asLong()});
        }
        return out;
    }

    static boolean same(Map<String, long[]> a, Map<String, long[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        return a.entrySet().stream().allMatch(e -> java.util.Arrays.equals(e.getValue(), b.get(e.getKey())));
    }

    static String describe(Map<String, long[]> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) ->
                sb.append(k).append('=').append(java.util.Arrays.toString(v)).append(' '));
        return sb.toString();
    }
}
