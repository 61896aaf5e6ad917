package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.pipeline.Pipeline;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.tools.consumer.group.ConsumerGroupCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Observability of a running ecommerce pipeline over real HTTP: the same counters for every component with the
 * counts the events call for, health probes, every metric the deploy/ dashboards and rules use present in
 * {@code /metrics}, consumer lag equal to what Kafka's own {@code kafka-consumer-groups} reports, and a real
 * Prometheus scraping Sluice that sees lag rise while the processor is held and fall back to zero.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityIT {
    @TempDir
    static Path dir;

    static RunningPipeline running;
    static SluiceRuntime runtime;
    static Pipeline pipeline;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        running = RunningPipeline.start(dir, "obs");
        runtime = running.runtime;
        pipeline = running.pipeline;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    static String base() {
        return running.base();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return running.get(path);
    }

    static void post(String path) throws Exception {
        running.post(path);
    }

    static String order(String id, String status, Instant at) {
        return "{\"event_id\":\"" + id + "\",\"order_id\":\"o-" + id + "\",\"user_id\":\"u-" + id
                + "\",\"country\":\"DE\",\"currency\":\"EUR\",\"amount\":10,\"status\":\"" + status
                + "\",\"created_at\":\"" + at + "\"}";
    }

    /** The value of each sample of /metrics, by its full series name with labels as written. */
    static Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        Map<String, Double> m = new HashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            m.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        }
        return m;
    }

    static double value(Map<String, Double> m, String name, String component, String n, String extra) {
        String prefix = name + "{component=\"" + component + "\",name=\"" + n + "\",pipeline=\"" + pipeline.name()
                + "\"" + (extra == null ? "" : "," + extra) + "}";
        Double v = m.get(prefix);
        assertThat(v).as("series %s", prefix).isNotNull();
        return v;
    }

    static Map<String, Double> awaitMetrics(Predicate<Map<String, Double>> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, Double> m = scrape();
        while (!done.test(m) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            m = scrape();
        }
        return m;
    }

    @Test
    @Order(1)
    void everyComponentCountsWhatHappenedToItsEvents() throws Exception {
        Instant now = Instant.now();
        List<String> first = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            first.add(order("m-" + i, "paid", now));
        }
        // one post per update: the processor sends a changed row once per commit interval, so orders posted
        // together may make one update; each waits for the view's update before the next is posted
        for (int i = 0; i < first.size(); i++) {
            LiveIT.postTo(runtime.httpPort(), List.of(first.get(i)));
            int updates = i + 1;
            awaitMetrics(m -> value(m, "sluice_events_emitted_total", "view", "gmv_by_country", null) >= updates);
        }
        String mixedBody = String.join(
                "\n",
                order("m-1", "paid", now),
                order("m-6", "placed", now),
                order("m-7", "paid", now.minusSeconds(3600)),
                order("m-8", "paid", now).replace("\"amount\":10,", ""));
        // then: a duplicate, a placed order (not paid: the view's filter says no), one an hour old (beyond the
        // 10 min grace) and one without an amount (refused at the door: 207, the rest accepted)
        HttpResponse<String> mixed = HTTP.send(
                HttpRequest.newBuilder(URI.create(base() + "/v1/streams/orders/events"))
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(mixedBody))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(207);
        // the sink reads the stream topic (7 accepted events and the duplicate: 8) and the view topic (5 updates
        // and the late event's delta: 6)
        Map<String, Double> m = awaitMetrics(x -> value(
                                x, "sluice_events_discarded_total", "view", "gmv_by_country", "reason=\"late\"")
                        >= 1
                && x.getOrDefault(
                                "sluice_late_events_total{pipeline=\"" + pipeline.name() + "\",stream=\"orders\"}", 0.0)
                        >= 1
                && value(x, "sluice_events_received_total", "sink", "store", null) >= 14
                && x.getOrDefault(
                                "sluice_end_to_end_latency_seconds_count{pipeline=\"" + pipeline.name()
                                        + "\",stage=\"emitted\",view=\"gmv_by_country\"}",
                                0.0)
                        >= 5);
        String src = "orders_http";
        assertThat(value(m, "sluice_events_received_total", "source", src, null))
                .isEqualTo(9);
        assertThat(value(m, "sluice_events_refused_total", "source", src, null)).isEqualTo(1);
        assertThat(value(m, "sluice_events_emitted_total", "source", src, null)).isEqualTo(8);
        assertThat(value(m, "sluice_bytes_received_total", "source", src, null))
                .as("the bytes of every request body")
                .isEqualTo(first.stream().mapToInt(String::length).sum() + mixedBody.length());
        assertThat(value(m, "sluice_events_received_total", "stream", "orders", null))
                .isEqualTo(8);
        assertThat(value(m, "sluice_events_discarded_total", "stream", "orders", "reason=\"duplicate\""))
                .isEqualTo(1);
        assertThat(value(m, "sluice_events_emitted_total", "stream", "orders", null))
                .isEqualTo(7);
        String v = "gmv_by_country";
        assertThat(value(m, "sluice_events_received_total", "view", v, null)).isEqualTo(7);
        assertThat(value(m, "sluice_events_discarded_total", "view", v, "reason=\"filtered\""))
                .isEqualTo(1);
        assertThat(value(m, "sluice_events_discarded_total", "view", v, "reason=\"late\""))
                .isEqualTo(1);
        assertThat(value(m, "sluice_events_emitted_total", "view", v, null)).isEqualTo(5);
        assertThat(value(m, "sluice_events_received_total", "sink", "store", null))
                .isEqualTo(14);
        assertThat(value(m, "sluice_errors_total", "sink", "store", "stage=\"write\""))
                .isZero();
        String p = "pipeline=\"" + pipeline.name() + "\"";
        assertThat(m.get("sluice_end_to_end_latency_seconds_count{" + p + ",stage=\"emitted\",view=\"" + v + "\"}"))
                .as("one latency per update of the view")
                .isEqualTo(5);
        assertThat(m.get("sluice_view_processing_seconds_count{" + p + ",view=\"" + v + "\"}"))
                .as("one per event that reached the aggregate: the 5 first, the hour-old one")
                .isEqualTo(6);
        assertThat(m.get("sluice_view_sla_seconds{" + p + ",view=\"" + v + "\"}"))
                .isEqualTo(5.0);
        assertThat(m.get("sluice_watermark_timestamp_seconds{" + p + ",view=\"" + v + "\"}"))
                .isCloseTo(now.toEpochMilli() / 1000.0, org.assertj.core.data.Offset.offset(1.0));
        assertThat(m.get("sluice_ready{" + p + "}")).isEqualTo(1.0);

        // the same set, for every component of the pipeline
        Map<String, List<String>> components = new TreeMap<>();
        components.put("source", new ArrayList<>(pipeline.sources().keySet()));
        components.put("stream", new ArrayList<>(pipeline.streams().keySet()));
        components.put("view", new ArrayList<>(pipeline.views().keySet()));
        components.put("sink", new ArrayList<>(pipeline.sinks().keySet()));
        components.forEach((kind, names) -> names.forEach(n -> {
            for (String metric : List.of(
                    "sluice_events_received_total",
                    "sluice_events_emitted_total",
                    "sluice_events_refused_total",
                    "sluice_bytes_received_total")) {
                value(m, metric, kind, n, null);
            }
            for (String reason : List.of("duplicate", "late", "invalid", "filtered")) {
                value(m, "sluice_events_discarded_total", kind, n, "reason=\"" + reason + "\"");
            }
            for (String stage : List.of("decode", "ingest", "process", "write")) {
                value(m, "sluice_errors_total", kind, n, "stage=\"" + stage + "\"");
            }
        }));
    }

    @Test
    @Order(2)
    void healthProbesForKubernetes() throws Exception {
        HttpResponse<String> live = get("/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/health/ready");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        JsonNode r = OrdersScenario.JSON.readTree(ready.body());
        assertThat(r.get("processor").asText()).isEqualTo("ready");
        assertThat(r.get("store").asText()).isEqualTo("up");
    }

    @Test
    @Order(3)
    void everyMetricTheDashboardsAndAlertRulesUseIsExposed() throws Exception {
        System.gc(); // the GC pause timer appears with the first collection
        Set<String> used = new TreeSet<>(DeployFiles.metricNamesUsed());
        assertThat(used).contains("up"); // SluiceDown: Prometheus adds it to every scrape, not in /metrics
        used.remove("up");
        assertThat(used).isNotEmpty();
        // the consumer-lag families come from a sampler that runs every second: give it a few
        Set<String> exposed = new TreeSet<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            exposed.clear();
            for (String series : scrape().keySet()) {
                int brace = series.indexOf('{');
                exposed.add(brace < 0 ? series : series.substring(0, brace));
            }
        } while (!exposed.containsAll(used) && System.nanoTime() < deadline && sleep(500));
        assertThat(exposed).as("metrics in /metrics").containsAll(used);
    }

    static boolean sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return true;
    }

    /** kafka-consumer-groups --describe, Kafka's own tool, in this JVM: (topic/partition) → [current, end, lag]. */
    static Map<String, long[]> kafkaConsumerGroups(String group) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        Exit.setExitProcedure((code, message) -> {
            throw new IllegalStateException("kafka-consumer-groups exited " + code + ": " + message);
        });
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            ConsumerGroupCommand.main(
                    new String[] {"--bootstrap-server", runtime.bootstrapServers(), "--describe", "--group", group});
        } finally {
            System.setOut(old);
            Exit.resetExitProcedure();
        }
        Map<String, long[]> out = new TreeMap<>();
        for (String line : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.trim().split("\\s+");
            // partitions the group has not committed yet show "-": they are not lag figures
            if (f.length >= 6 && f[0].equals(group) && f[2].matches("\\d+") && f[3].matches("\\d+")) {
                out.put(f[1] + "/" + f[2], new long[] {Long.parseLong(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5])
                });
            }
        }
        return out;
    }

    static Map<String, long[]> v1Lag(String group) throws Exception {
        JsonNode body = OrdersScenario.JSON.readTree(get("/v1/lag").body());
        Map<String, long[]> out = new TreeMap<>();
        for (JsonNode g : body.get("groups")) {
            if (!g.get("group").asText().equals(group)) {
                continue;
            }
            for (JsonNode p : g.get("partitions")) {
                out.put(p.get("topic").asText() + "/" + p.get("partition").asInt(), new long[] {
                    p.get("current_offset").asLong(),
                    p.get("log_end_offset").asLong(),
                    p.get("lag").asLong()
                });
            }
        }
        return out;
    }

    static long streamLag(Map<String, long[]> lag) {
        long n = 0;
        for (Map.Entry<String, long[]> e : lag.entrySet()) {
            if (e.getKey().startsWith(pipeline.streamTopic("orders") + "/")) {
                n += e.getValue()[2];
            }
        }
        return n;
    }

    static Map<String, long[]> awaitLag(String group, long expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, long[]> lag = v1Lag(group);
        while (streamLag(lag) != expected && System.nanoTime() < deadline) {
            Thread.sleep(200);
            lag = v1Lag(group);
        }
        assertThat(streamLag(lag)).as("lag of %s on the orders topic", group).isEqualTo(expected);
        return lag;
    }

    static List<String> lagEvents(int n, String prefix) {
        List<String> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(order(prefix + i, "paid", Instant.now()));
        }
        return events;
    }

    @Test
    @Order(4)
    void lagAgreesWithKafkasOwnToolAndSluiceLag() throws Exception {
        String processor = pipeline.applicationId();
        String sink = processor + "-sink-store";
        awaitLag(processor, 0);
        post("/v1/admin/processor/pause");
        try {
            LiveIT.postTo(runtime.httpPort(), lagEvents(12, "lag-"));
            // ingest writes without transactions: each event is one offset of lag
            Map<String, long[]> ours = awaitLag(processor, 12);
            Map<String, long[]> kafkas = kafkaConsumerGroups(processor);
            assertThat(kafkas).isNotEmpty();
            assertThat(ours.keySet()).isEqualTo(kafkas.keySet());
            ours.forEach((tp, v) -> assertThat(v).as(tp).containsExactly(kafkas.get(tp)));
            // the sink is held too: it stores raw events once the processor's verdicts accept them, so the 12 wait
            // in it, and its lag says so, as Kafka's tool does
            Map<String, long[]> sinkOurs = awaitLag(sink, 12);
            Map<String, long[]> sinkKafkas = kafkaConsumerGroups(sink);
            assertThat(sinkOurs.keySet()).isEqualTo(sinkKafkas.keySet());
            sinkOurs.forEach((tp, v) -> assertThat(v).as(tp).containsExactly(sinkKafkas.get(tp)));

            // sluice lag prints the same figures
            LagCommand cmd = new LagCommand();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
            cmd.url = base();
            cmd.group = processor;
            assertThat(cmd.call()).isZero();
            long printed = 0;
            for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f[0].equals(processor) && f[1].equals(pipeline.streamTopic("orders"))) {
                    printed += Long.parseLong(f[5]);
                }
            }
            assertThat(printed).isEqualTo(12);
        } finally {
            post("/v1/admin/processor/resume");
        }
        awaitLag(processor, 0);
        awaitSink(sink);
    }

    /** Waits until the sink group has no lag on the stream topic, and returns its figures. */
    static Map<String, long[]> awaitSink(String group) throws Exception {
        return awaitLag(group, 0);
    }

    @Test
    @Order(5)
    void prometheusScrapesLagRisingWhileHeldAndBackToZero() throws Exception {
        Path prom = Path.of("/usr/bin/prometheus");
        assertThat(prom)
                .as("Debian's prometheus (scripts/install-deps.sh installs it)")
                .exists();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path home = Files.createDirectories(dir.resolve("prometheus"));
        Files.writeString(home.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: sluice
                    metrics_path: /metrics
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(runtime.httpPort()));
        Process p = new ProcessBuilder(
                        prom.toString(),
                        "--config.file=" + home.resolve("prometheus.yml"),
                        "--storage.tsdb.path=" + home.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("prometheus.log").toFile())
                .start();
        String api = "http://127.0.0.1:" + port;
        try {
            String processor = pipeline.applicationId();
            String lagQuery = "sum(kafka_consumergroup_lag{consumergroup=\"" + processor + "\",topic=\""
                    + pipeline.streamTopic("orders") + "\"})";
            awaitPrometheus(api, lagQuery, v -> v == 0, home);
            post("/v1/admin/processor/pause");
            try {
                long built = System.currentTimeMillis();
                LiveIT.postTo(runtime.httpPort(), lagEvents(40, "prom-"));
                assertThat(awaitPrometheus(api, lagQuery, v -> v == 40, home)).isEqualTo(40);
                // the age of the oldest waiting event grows while the processor is held, and is never more than
                // the time since the events were made (plus one sampling interval)
                String secondsQuery = "max(kafka_consumergroup_lag_seconds{consumergroup=\"" + processor + "\"})";
                double age = awaitPrometheus(api, secondsQuery, v -> v >= 2, home);
                assertThat(age).isBetween(2.0, (System.currentTimeMillis() - built) / 1000.0 + 1.0);
            } finally {
                post("/v1/admin/processor/resume");
            }
            assertThat(awaitPrometheus(api, lagQuery, v -> v == 0, home)).isZero();
        } finally {
            p.destroy();
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS))
                    .as("prometheus stops")
                    .isTrue();
        }
    }

    @Test
    @Order(6)
    void aFailingStoreWriteIsCountedRetriedAndLosesNothing() throws Exception {
        long before = runtime.store().countRaw("orders");
        Map<String, Double> m0 = scrape();
        double errors0 = value(m0, "sluice_errors_total", "sink", "store", "stage=\"write\"");
        // another writer holds the sink's offset rows in an open transaction: the sink's commit conflicts
        try (java.sql.Connection other = runtime.store().connect()) {
            other.setAutoCommit(false);
            try (java.sql.Statement st = other.createStatement()) {
                st.executeUpdate("UPDATE _sluice_offsets SET next_offset = next_offset");
            }
            LiveIT.postTo(runtime.httpPort(), lagEvents(10, "conflict-"));
            Map<String, Double> m =
                    awaitMetrics(x -> value(x, "sluice_errors_total", "sink", "store", "stage=\"write\"") > errors0);
            assertThat(value(m, "sluice_errors_total", "sink", "store", "stage=\"write\""))
                    .isGreaterThan(errors0);
            HttpResponse<String> ready = get("/health/ready");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            assertThat(get("/health/live").statusCode()).isEqualTo(200);
            other.rollback();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (runtime.store().countRaw("orders") < before + 10 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(runtime.store().countRaw("orders")).isEqualTo(before + 10);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);
    }

    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[^,]+,\"([^\"]+)\"\\]");

    /** Polls an instant query until its single value satisfies {@code done}; returns the last value. */
    static double awaitPrometheus(String api, String query, java.util.function.DoublePredicate done, Path home)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Double last = null;
        String lastBody = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(
                        HttpRequest.newBuilder(URI.create(api + "/api/v1/query?query="
                                        + URLEncoder.encode(query, StandardCharsets.UTF_8)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                lastBody = r.body();
                Matcher m = VALUE.matcher(r.body());
                if (r.statusCode() == 200 && m.find()) {
                    last = Double.parseDouble(m.group(1));
                    if (done.test(last)) {
                        return last;
                    }
                }
            } catch (java.io.IOException e) {
                lastBody = e.toString(); // not up yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("Prometheus query " + query + " ended at " + last + " (" + lastBody + "); log:\n"
                + Files.readString(home.resolve("prometheus.log")));
    }
}
