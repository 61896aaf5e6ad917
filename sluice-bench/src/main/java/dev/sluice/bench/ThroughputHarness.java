package dev.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.cli.loadgen.Events;
import dev.sluice.cli.loadgen.LoadgenCommand;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * The throughput harness (BENCHMARKS.md, "Throughput"): in one run on one machine, the limit (raw Kafka produce +
 * consume of the pipeline's own records on Sluice's own broker, and DuckDB's bulk append of the same rows),
 * Sluice's sustained end-to-end rate (the highest rate of a ladder it holds with lag staying bounded, raw rows
 * stored and the ecommerce view maintained), HTTP ingest of NDJSON batches, the server's memory at rest and
 * under load, and last, on the same broker with Sluice idle, the same ladder for a hand-written Kafka Streams job
 * doing the view's work ({@link BaselineChild}). Both ladders also give, per step, the Kafka records written per
 * input event and the CPU time per event. {@code --smoke} runs every measurement briefly; a test does that so the
 * harness cannot rot.
 */
public final class ThroughputHarness {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    record Config(
            Path home,
            Path out,
            int rawEvents,
            int duckdbRows,
            List<Integer> rates,
            int stepSeconds,
            int ingestEvents,
            int drainSeconds,
            List<Integer> latencyRates,
            int latencySeconds,
            int warmupSeconds) {
        static Config defaults(Path home) {
            return new Config(
                    home,
                    home.resolve("sluice-bench/target/harness"),
                    1_000_000,
                    1_000_000,
                    List.of(2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000),
                    60,
                    300_000,
                    180,
                    List.of(1_000, 5_000, 20_000),
                    30,
                    60);
        }

        static Config smoke(Path home, Path out) {
            return new Config(home, out, 20_000, 20_000, List.of(500, 1_000), 4, 4_000, 60, List.of(200), 4, 2);
        }
    }

    private final Config c;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, Object> report = new LinkedHashMap<>();

    ThroughputHarness(Config c) {
        this.c = c;
    }

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        Path home = Path.of(option(a, "--home", ".")).toAbsolutePath().normalize();
        Config d = a.contains("--smoke")
                ? Config.smoke(home, home.resolve("sluice-bench/target/harness-smoke"))
                : Config.defaults(home);
        int raw = Integer.parseInt(option(a, "--raw-events", Integer.toString(d.rawEvents())));
        String rates = option(a, "--rates", null);
        Config c = new Config(
                home,
                Path.of(option(a, "--out", d.out().toString())),
                raw,
                a.contains("--raw-events") ? raw : d.duckdbRows(),
                rates == null
                        ? d.rates()
                        : Arrays.stream(rates.split(",")).map(Integer::parseInt).toList(),
                Integer.parseInt(option(a, "--step-seconds", Integer.toString(d.stepSeconds()))),
                Integer.parseInt(option(a, "--ingest-events", Integer.toString(d.ingestEvents()))),
                d.drainSeconds(),
                d.latencyRates(),
                d.latencySeconds(),
                Integer.parseInt(option(a, "--warmup-seconds", Integer.toString(d.warmupSeconds()))));
        Map<String, Object> r = new ThroughputHarness(c).run();
        System.out.println(markdown(r));
    }

    /** The value after {@code name} in the arguments, or the default. */
    private static String option(List<String> args, String name, String dflt) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : dflt;
    }

    Map<String, Object> run() throws Exception {
        Files.createDirectories(c.out());
        Path scenario = c.home().resolve("examples/ecommerce/loadgen.yaml");
        Path pipelineFile = c.home().resolve("examples/ecommerce/pipeline.yaml");
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(pipelineFile);
        BaselineChild.requireSameJob(pipeline, "gmv_by_country");
        report.put("machine", machine());
        report.put("started", Instant.now().toString());
        try (SluiceChild s = SluiceChild.start(c.home(), pipelineFile, c.out())) {
            Thread.sleep(3_000);
            long rssRest = s.rssBytes();
            report.put("rss_rest_mb", rssRest / (1024 * 1024));
            log("sluice up (pid %d), RSS at rest %d MB", s.process.pid(), rssRest >> 20);

            List<Events.Record> records = Events.valid(scenario, c.rawEvents(), 7, 20_000, System.currentTimeMillis());
            long bytes = records.stream().mapToLong(r -> r.value().length).sum();
            report.put("record_bytes_avg", bytes / records.size());
            report.put("kafka_limit", kafkaLimit(s.bootstrap(), records));
            report.put("duckdb_limit", duckdbLimit(records.subList(0, Math.min(records.size(), c.duckdbRows()))));

            AtomicLong maxRss = new AtomicLong(rssRest);
            Thread rssSampler = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    maxRss.accumulateAndGet(s.rssBytes(), Math::max);
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            try {
                report.put(
                        "sustained",
                        ladder(
                                new SystemUnderTest( // keyed, as HTTP ingest writes them after validation
                                        "Sluice",
                                        "ecommerce.orders",
                                        true,
                                        () -> lag(s),
                                        Map.of("sluice", s.process.toHandle())),
                                s.bootstrap(),
                                scenario));
                report.put("latency", latency(s, scenario));
                report.put("http_ingest", httpIngest(s, scenario));
            } finally {
                rssSampler.interrupt();
            }
            report.put("rss_load_max_mb", maxRss.get() >> 20);
            report.put("baseline", baseline(s, pipeline, scenario));
        }
        report.put("finished", Instant.now().toString());
        Files.writeString(c.out().resolve("harness.json"), JSON.writeValueAsString(report));
        Files.writeString(c.out().resolve("harness.md"), markdown(report));
        return report;
    }

    // ---------------------------------------------------------------- the limits

    /** Produce every record to a fresh 3-partition topic while a consumer reads them back; the rate until it has all. */
    Map<String, Object> kafkaLimit(String bootstrap, List<Events.Record> records) throws Exception {
        String topic = "bench-raw-" + System.nanoTime();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> pc = new LinkedHashMap<>();
        pc.put("bootstrap.servers", bootstrap);
        pc.put("acks", "all");
        pc.put("linger.ms", 5);
        pc.put("compression.type", "lz4");
        pc.put("batch.size", 256 * 1024);
        Map<String, Object> cc = new LinkedHashMap<>();
        cc.put("bootstrap.servers", bootstrap);
        cc.put("group.id", topic + "-reader");
        cc.put("auto.offset.reset", "earliest");
        cc.put("max.poll.records", 10_000);
        int n = records.size();
        AtomicLong consumed = new AtomicLong();
        long[] done = new long[1];
        long t0 = System.nanoTime();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (KafkaConsumer<byte[], byte[]> cons =
                    new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                cons.subscribe(List.of(topic));
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                while (consumed.get() < n && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : cons.poll(Duration.ofMillis(100))) {
                        if (r.value() != null) {
                            consumed.incrementAndGet();
                        }
                    }
                }
                done[0] = System.nanoTime();
            }
        });
        long produced;
        try (KafkaProducer<byte[], byte[]> p =
                new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Events.Record r : records) {
                p.send(new ProducerRecord<>(topic, r.key(), r.value()));
            }
            p.flush();
            produced = System.nanoTime();
        }
        reader.join();
        double produceSeconds = (produced - t0) / 1e9;
        double bothSeconds = (done[0] - t0) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("records", n);
        m.put("produce_per_s", Math.round(n / produceSeconds));
        m.put("produce_consume_per_s", Math.round(n / bothSeconds));
        log(
                "kafka limit: %,d records produced at %,.0f/s; produced and consumed at %,.0f/s",
                n, n / produceSeconds, n / bothSeconds);
        return m;
    }

    /** DuckDB's appender into a plain table of the raw columns: rows per second, including the commit. */
    Map<String, Object> duckdbLimit(List<Events.Record> records) throws Exception {
        Path file = c.out().resolve("bench-" + System.nanoTime() + ".duckdb");
        List<JsonNode> rows = new ArrayList<>(records.size());
        for (Events.Record r : records) {
            rows.add(JSON.readTree(r.value()));
        }
        String[] cols = {"event_id", "order_id", "user_id", "country", "currency", "amount", "status", "created_at"};
        long t0;
        long t1;
        try (Connection conn = DriverManager.getConnection("jdbc:duckdb:" + file)) {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE orders (event_id VARCHAR, order_id VARCHAR, user_id VARCHAR, country VARCHAR,"
                        + " currency VARCHAR, amount DOUBLE, status VARCHAR, created_at TIMESTAMP)");
            }
            conn.setAutoCommit(false);
            t0 = System.nanoTime();
            try (DuckDBAppender app =
                    ((DuckDBConnection) conn).createAppender(DuckDBConnection.DEFAULT_SCHEMA, "orders")) {
                for (JsonNode e : rows) {
                    app.beginRow();
                    for (String col : cols) {
                        JsonNode v = e.get(col);
                        if (v == null) {
                            app.appendNull();
                        } else if (col.equals("amount")) {
                            app.append(v.asDouble());
                        } else if (col.equals("created_at")) {
                            app.appendEpochMicros(Instant.parse(v.asText()).toEpochMilli() * 1000);
                        } else {
                            app.append(v.asText());
                        }
                    }
                    app.endRow();
                }
                app.flush();
            }
            conn.commit();
            t1 = System.nanoTime();
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(Path.of(file + ".wal"));
        }
        double seconds = (t1 - t0) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", rows.size());
        m.put("append_per_s", Math.round(rows.size() / seconds));
        log("duckdb limit: %,d rows appended at %,.0f/s", rows.size(), rows.size() / seconds);
        return m;
    }

    // ---------------------------------------------------------------- Sluice

    /** The larger of the processor's and the sink's lag (all their input topics), from /v1/lag. */
    long lag(SluiceChild s) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(s.base + "/v1/lag"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        long max = 0;
        for (JsonNode g : JSON.readTree(r.body()).path("groups")) {
            max = Math.max(max, g.path("lag").asLong());
        }
        return max;
    }

    /**
     * What a ladder drives: the topic it produces the orders to, with their key (as Sluice's HTTP ingest writes
     * them) or without (as producers usually send them), the records its consumers have still to process, and the
     * processes whose CPU it costs.
     */
    record SystemUnderTest(
            String name, String topic, boolean keyed, LagSource lag, Map<String, ProcessHandle> processes) {}

    /** Records a system under test has still to process, by its own account. */
    @FunctionalInterface
    interface LagSource {
        long records() throws Exception;
    }

    /**
     * After a warm-up ({@link #warmUp}), each rate of the ladder for a step: orders produced to the system's topic at that rate (for each rate the
     * same records, whichever the system); the rate holds when the producer kept the rate, and at the end of the
     * step the lag is under five seconds' worth of events and did not grow by more than half a second's worth over
     * the last third. (Lag counts the records of the system's input topics its consumers have not committed yet, so
     * a system keeping up shows some: those between two commits.) After each step the lag drains; stops at the first
     * rate that does not hold.
     *
     * <p>Per step, from its first record until the lag drained: the events processed per second, the Kafka records
     * written per input event (the end offsets' increase over all topics but the broker's own, see {@link
     * #endOffsets}, the input topic and transaction markers included), and CPU µs per event of the system's
     * processes and of this JVM (the producer). The per-event figures are left out (null) for a step whose lag did
     * not drain.
     */
    Map<String, Object> ladder(SystemUnderTest sut, String bootstrap, Path scenario) throws Exception {
        List<Map<String, Object>> steps = new ArrayList<>();
        int held = 0;
        long seed = 100;
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap, 5);
                Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
            warmUp(sut, p, scenario);
            for (int rate : c.rates()) {
                long n = (long) rate * c.stepSeconds();
                List<Events.Record> recs = Events.valid(scenario, n, seed++, rate, System.currentTimeMillis());
                log("%s sustained: %,d events/s for %d s", sut.name(), rate, c.stepSeconds());
                Map<TopicPartition, Long> offsetsBefore = endOffsets(admin);
                Map<String, Duration> cpuBefore = cpuTimes(sut.processes());
                Duration harnessCpuBefore = cpuTime(ProcessHandle.current());
                long t0 = System.nanoTime();
                long[] lagAt = new long[c.stepSeconds() + 1];
                int sec = 0;
                for (int i = 0; i < recs.size(); i++) {
                    long due = t0 + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 1_000_000) {
                        Thread.sleep(wait / 1_000_000);
                    }
                    Events.Record r = recs.get(i);
                    p.send(new ProducerRecord<>(sut.topic(), sut.keyed() ? r.key() : null, r.value()));
                    int now = (int) ((System.nanoTime() - t0) / 1_000_000_000L);
                    if (now > sec && now <= c.stepSeconds()) {
                        sec = now;
                        lagAt[sec] = sut.lag().records();
                    }
                }
                p.flush();
                double sendSeconds = (System.nanoTime() - t0) / 1e9;
                long endLag = sut.lag().records();
                long thirdLag = lagAt[Math.max(1, c.stepSeconds() * 2 / 3)];
                boolean sentOnTime = sendSeconds < c.stepSeconds() * 1.1;
                boolean holds = sentOnTime && endLag <= 5L * rate && endLag - thirdLag <= rate / 2;
                Map<String, Object> step = new LinkedHashMap<>();
                step.put("rate", rate);
                step.put("send_seconds", Math.round(sendSeconds * 10) / 10.0);
                step.put("lag_two_thirds", thirdLag);
                step.put("lag_end", endLag);
                step.put("holds", holds);
                long drainStart = System.nanoTime();
                long l = endLag;
                while (l > 0 && System.nanoTime() - drainStart < TimeUnit.SECONDS.toNanos(c.drainSeconds())) {
                    Thread.sleep(500);
                    l = sut.lag().records();
                }
                double drain = (System.nanoTime() - drainStart) / 1e9;
                Map<String, Long> written = writtenSince(offsetsBefore, endOffsets(admin));
                Map<String, Duration> cpuAfter = cpuTimes(sut.processes());
                Duration harnessCpuAfter = cpuTime(ProcessHandle.current());
                boolean drained = l == 0;
                step.put("drain_seconds", Math.round(drain * 10) / 10.0);
                // what the system actually got through: the step's events over send + drain time
                step.put("processed_per_s", drained ? Math.round(n / (sendSeconds + drain)) : null);
                long total =
                        written.values().stream().mapToLong(Long::longValue).sum();
                step.put("records_per_event", drained ? Math.round(total * 100.0 / n) / 100.0 : null);
                Map<String, Object> cpuByProcess = new LinkedHashMap<>();
                double cpuTotal = 0;
                for (String name : sut.processes().keySet()) {
                    Double us = microsPerEvent(cpuBefore.get(name), cpuAfter.get(name), n);
                    cpuByProcess.put(name, drained ? us : null);
                    cpuTotal = us == null ? Double.NaN : cpuTotal + us;
                }
                step.put(
                        "cpu_us_per_event",
                        drained && !Double.isNaN(cpuTotal) ? Math.round(cpuTotal * 10) / 10.0 : null);
                step.put("cpu_us_per_event_by_process", cpuByProcess);
                step.put(
                        "harness_cpu_us_per_event",
                        drained ? microsPerEvent(harnessCpuBefore, harnessCpuAfter, n) : null);
                step.put("records_written_by_topic", written);
                steps.add(step);
                log("  %s", step);
                if (!holds || !drained) {
                    break;
                }
                held = rate;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step_seconds", c.stepSeconds());
        m.put("held_per_s", held);
        m.put("steps", steps);
        return m;
    }

    /**
     * Before the first step: the first rate for {@code warmupSeconds}, not measured, then the lag drained. A
     * system's first minute is mostly the JIT compiling the broker, the clients and the job (a quarter of the
     * server's CPU over its first minutes in a profile); without this, the first step measured the compiler.
     */
    private void warmUp(SystemUnderTest sut, KafkaProducer<byte[], byte[]> p, Path scenario) throws Exception {
        if (c.warmupSeconds() <= 0 || c.rates().isEmpty()) {
            return;
        }
        int rate = c.rates().get(0);
        log("%s warm-up: %,d events/s for %d s (not measured)", sut.name(), rate, c.warmupSeconds());
        List<Events.Record> recs =
                Events.valid(scenario, (long) rate * c.warmupSeconds(), 99, rate, System.currentTimeMillis());
        long t0 = System.nanoTime();
        for (int i = 0; i < recs.size(); i++) {
            long wait = t0 + (long) (i * 1e9 / rate) - System.nanoTime();
            if (wait > 1_000_000) {
                Thread.sleep(wait / 1_000_000);
            }
            Events.Record r = recs.get(i);
            p.send(new ProducerRecord<>(sut.topic(), sut.keyed() ? r.key() : null, r.value()));
        }
        p.flush();
        long drainStart = System.nanoTime();
        while (sut.lag().records() > 0 && System.nanoTime() - drainStart < TimeUnit.SECONDS.toNanos(c.drainSeconds())) {
            Thread.sleep(500);
        }
    }

    /**
     * The log end offset of every partition of every topic but the broker's own: Kafka's internal topics
     * ({@code __consumer_offsets}, {@code __transaction_state}) and any whose name begins with an underscore (Sluice's
     * schema registry topic {@code _schemas}, its readiness probe {@code __sluice_ready_probe}).
     */
    static Map<TopicPartition, Long> endOffsets(Admin admin) throws Exception {
        List<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(t -> !t.startsWith("_"))
                .toList();
        Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
        admin.describeTopics(topics)
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .forEach((t, d) -> d.partitions()
                        .forEach(p -> ask.put(new TopicPartition(t, p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listOffsets(ask).all().get(30, TimeUnit.SECONDS).forEach((tp, r) -> out.put(tp, r.offset()));
        return out;
    }

    /** Offsets taken between two {@link #endOffsets} (records and transaction markers), by topic; unchanged topics left out. */
    static Map<String, Long> writtenSince(Map<TopicPartition, Long> before, Map<TopicPartition, Long> after) {
        Map<String, Long> out = new TreeMap<>();
        after.forEach((tp, end) -> {
            long written = end - before.getOrDefault(tp, 0L);
            if (written != 0) {
                out.merge(tp.topic(), written, Long::sum);
            }
        });
        return out;
    }

    /** A process's CPU time so far (user + system, all threads), or null where the OS does not tell. */
    static Duration cpuTime(ProcessHandle process) {
        return process.info().totalCpuDuration().orElse(null);
    }

    static Map<String, Duration> cpuTimes(Map<String, ProcessHandle> processes) {
        Map<String, Duration> out = new HashMap<>();
        processes.forEach((name, p) -> out.put(name, cpuTime(p)));
        return out;
    }

    static Double microsPerEvent(Duration before, Duration after, long events) {
        if (before == null || after == null) {
            return null;
        }
        return Math.round(after.minus(before).toNanos() / 100.0 / events) / 10.0;
    }

    /**
     * The hand-written Kafka Streams baseline ({@link BaselineChild}) on Sluice's broker, once Sluice is idle (its
     * lag drained): the same ladder, the same records, produced without a key to the baseline's own input topic. The
     * broker's CPU (in the Sluice child) counts for the baseline too.
     */
    Map<String, Object> baseline(SluiceChild s, Pipeline pipeline, Path scenario) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(c.drainSeconds());
        long sluiceLag;
        while ((sluiceLag = lag(s)) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        try (BaselineChild b =
                BaselineChild.start(s.bootstrap(), pipeline.stream("orders").partitions(), c.out())) {
            log("hand-written Kafka Streams up (pid %d); Sluice's lag %,d", b.process.pid(), sluiceLag);
            Map<String, ProcessHandle> processes = new LinkedHashMap<>();
            processes.put("baseline", b.process.toHandle());
            processes.put("sluice (broker)", s.process.toHandle());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sluice_lag_at_start", sluiceLag);
            m.putAll(ladder(
                    new SystemUnderTest("hand-written Kafka Streams", BaselineChild.INPUT, false, b::lag, processes),
                    s.bootstrap(),
                    scenario));
            return m;
        }
    }

    /**
     * End-to-end latency at fixed rates: orders produced to the stream topic on a fixed schedule, each stamped
     * (in its {@code sent_at}, the stream's source time) with the time it was <em>due</em>, not the time it went
     * out, so a stall of the producer counts against the system (no coordinated omission); one SSE client on
     * {@code /v1/live/gmv_by_country} records receipt − {@code source_ms} of every update in an HdrHistogram.
     */
    Map<String, Object> latency(SluiceChild s, Path scenario) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        List<String> stamp = Events.sourceTimeFields(scenario);
        long seed = 500;
        try (KafkaProducer<byte[], byte[]> p = producer(s.bootstrap(), 1)) {
            for (int rate : c.latencyRates()) {
                long n = (long) rate * c.latencySeconds();
                long start = System.currentTimeMillis() + 2_000;
                List<Events.Record> recs = Events.valid(scenario, n, seed++, rate, start);
                org.HdrHistogram.Histogram h = new org.HdrHistogram.Histogram(3_600_000L, 3);
                AtomicLong received = new AtomicLong();
                HttpResponse<java.util.stream.Stream<String>> sse = http.send(
                        HttpRequest.newBuilder(URI.create(s.base + "/v1/live/gmv_by_country"))
                                .header("Accept", "text/event-stream")
                                .build(),
                        HttpResponse.BodyHandlers.ofLines());
                Thread reader = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        sse.body().forEach(line -> {
                            int at = line.indexOf("\"source_ms\":");
                            if (line.startsWith("data:") && at > 0) {
                                long now = System.currentTimeMillis();
                                int end = at + 12;
                                while (end < line.length() && Character.isDigit(line.charAt(end))) {
                                    end++;
                                }
                                long src = Long.parseLong(line.substring(at + 12, end));
                                if (src >= start) {
                                    synchronized (h) {
                                        h.recordValue(Math.max(0, Math.min(now - src, 3_600_000L)));
                                    }
                                    received.incrementAndGet();
                                }
                            }
                        });
                    } catch (RuntimeException e) {
                        // closed
                    }
                });
                while (System.currentTimeMillis() < start) {
                    Thread.sleep(10);
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < recs.size(); i++) {
                    long dueNanos = (long) (i * 1e9 / rate);
                    long wait = t0 + dueNanos - System.nanoTime();
                    if (wait > 1_000_000) {
                        Thread.sleep(wait / 1_000_000);
                    }
                    Events.Record r = recs.get(i);
                    String due =
                            Instant.ofEpochMilli(start + dueNanos / 1_000_000).toString();
                    stamp.forEach(f -> r.event().put(f, due));
                    p.send(new ProducerRecord<>(
                            "ecommerce.orders", r.key(), r.event().toString().getBytes(StandardCharsets.UTF_8)));
                }
                p.flush();
                Thread.sleep(3_000); // the last updates arrive
                sse.body().close();
                reader.interrupt();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("rate", rate);
                m.put("seconds", c.latencySeconds());
                synchronized (h) {
                    m.put("updates", h.getTotalCount());
                    m.put("p50_ms", h.getValueAtPercentile(50));
                    m.put("p99_ms", h.getValueAtPercentile(99));
                    m.put("p999_ms", h.getValueAtPercentile(99.9));
                    m.put("max_ms", h.getMaxValue());
                }
                log("latency at %,d/s: %s", rate, m);
                out.add(m);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(c.drainSeconds());
                while (lag(s) > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
            }
        }
        return Map.of("rates", out);
    }

    /** A producer set up as a pipeline's own clients are: acks=all, lz4, a short linger. */
    static KafkaProducer<byte[], byte[]> producer(String bootstrap, int lingerMs) {
        Map<String, Object> pc = new LinkedHashMap<>();
        pc.put("bootstrap.servers", bootstrap);
        pc.put("acks", "all");
        pc.put("linger.ms", lingerMs);
        pc.put("compression.type", "lz4");
        return new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** sluice loadgen at full speed over HTTP (NDJSON batches of 500, 4 in flight), the scenario's faults included. */
    Map<String, Object> httpIngest(SluiceChild s, Path scenario) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        LoadgenCommand cmd = new LoadgenCommand().output(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int exit = new picocli.CommandLine(cmd)
                .execute(
                        scenario.toString(),
                        "--url",
                        s.base,
                        "--events",
                        Integer.toString(c.ingestEvents()),
                        "--rate",
                        "100000000");
        Map<String, Object> m = new LinkedHashMap<>(cmd.summary());
        m.put("exit", exit);
        log("http ingest: %s", m);
        return m;
    }

    // ---------------------------------------------------------------- report

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("java", Runtime.version().toString());
        try {
            m.put(
                    "memory_gb",
                    Math.round(Long.parseLong(Files.readAllLines(Path.of("/proc/meminfo"))
                                    .get(0)
                                    .replaceAll("\\D+", ""))
                            / 1024.0
                            / 1024.0));
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> r) {
        Map<String, Object> k = (Map<String, Object>) r.get("kafka_limit");
        Map<String, Object> d = (Map<String, Object>) r.get("duckdb_limit");
        Map<String, Object> s = (Map<String, Object>) r.get("sustained");
        Map<String, Object> h = (Map<String, Object>) r.get("http_ingest");
        Map<String, Object> base = (Map<String, Object>) r.get("baseline");
        double kafka = ((Number) k.get("produce_consume_per_s")).doubleValue();
        double held = ((Number) s.get("held_per_s")).doubleValue();
        double baseHeld = base == null ? 0 : ((Number) base.get("held_per_s")).doubleValue();
        double ingest = ((Number) h.getOrDefault("rate", 0)).doubleValue();
        StringBuilder b = new StringBuilder();
        b.append("| measure | value | ratio | target | gap |\n|---|---|---|---|---|\n");
        b.append(String.format(
                Locale.ROOT,
                "| raw Kafka produce+consume, %,d records (the limit) | %,.0f/s | 1.00 | | |%n",
                ((Number) k.get("records")).longValue(),
                kafka));
        b.append(String.format(
                Locale.ROOT,
                "| raw Kafka produce only | %,d/s | | | |%n",
                ((Number) k.get("produce_per_s")).longValue()));
        b.append(String.format(
                Locale.ROOT,
                "| DuckDB bulk append, %,d rows (the store's limit) | %,d/s | | | |%n",
                ((Number) d.get("rows")).longValue(),
                ((Number) d.get("append_per_s")).longValue()));
        b.append(String.format(
                Locale.ROOT,
                "| Sluice sustained (raw stored + view), %d s steps | %,.0f/s | %.3f of Kafka | ≥ 200,000/s and ≥ 0.5 | %s |%n",
                ((Number) s.get("step_seconds")).intValue(),
                held,
                held / kafka,
                held >= 200_000 && held / kafka >= 0.5
                        ? "met"
                        : String.format(Locale.ROOT, "%.0f× short", 200_000 / Math.max(held, 1))));
        if (base != null) {
            b.append(String.format(
                    Locale.ROOT,
                    "| hand-written Kafka Streams sustained (same job, exactly-once, defaults), %d s steps | %,.0f/s |"
                            + " %.3f of Kafka | | |%n",
                    ((Number) base.get("step_seconds")).intValue(),
                    baseHeld,
                    baseHeld / kafka));
        }
        b.append(String.format(
                Locale.ROOT,
                "| HTTP ingest, NDJSON batches of 500 | %,.0f/s | %.3f of Kafka | ≥ 150,000/s | %s |%n",
                ingest,
                ingest / kafka,
                ingest >= 150_000 ? "met" : String.format(Locale.ROOT, "%.1f× short", 150_000 / Math.max(ingest, 1))));
        b.append(String.format(
                Locale.ROOT,
                "| server RSS at rest / under load (max) | %s MB / %s MB | | | |%n",
                r.get("rss_rest_mb"),
                r.get("rss_load_max_mb")));
        if (base != null) {
            long sluiceBehind = ((Number) base.get("sluice_lag_at_start")).longValue();
            b.append(String.format(
                    Locale.ROOT,
                    "%nhand-written Kafka Streams sustained %,.0f/s; Sluice/baseline ratio %s%s%n",
                    baseHeld,
                    baseHeld > 0
                            ? String.format(Locale.ROOT, "%.2f", held / baseHeld)
                            : "n/a (the baseline held no rate)",
                    sluiceBehind > 0
                            ? String.format(
                                    Locale.ROOT, " (Sluice was still %,d records behind when it started)", sluiceBehind)
                            : ""));
        }
        b.append(
                "\nEnd-to-end latency (source time → update received by an SSE client), one client:\n\n"
                        + "| rate/s | updates | p50 ms | p99 ms | p99.9 ms | max ms | target |\n|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> l :
                (List<Map<String, Object>>) ((Map<String, Object>) r.get("latency")).get("rates")) {
            b.append(String.format(
                    Locale.ROOT,
                    "| %,d | %,d | %s | %s | %s | %s | %s |%n",
                    ((Number) l.get("rate")).intValue(),
                    ((Number) l.get("updates")).longValue(),
                    l.get("p50_ms"),
                    l.get("p99_ms"),
                    l.get("p999_ms"),
                    l.get("max_ms"),
                    ((Number) l.get("rate")).intValue() == 20_000 ? "p99 ≤ 100 ms" : ""));
        }
        b.append("\nLadder steps, Sluice:\n\n");
        ladderTable(b, (List<Map<String, Object>>) s.get("steps"));
        if (base != null) {
            b.append("\nLadder steps, hand-written Kafka Streams (CPU: the baseline and the Sluice child, the broker's"
                    + " host, idle otherwise):\n\n");
            ladderTable(b, (List<Map<String, Object>>) base.get("steps"));
        }
        return b.toString();
    }

    /** A ladder's steps as a Markdown table. */
    @SuppressWarnings("unchecked")
    static void ladderTable(StringBuilder b, List<Map<String, Object>> steps) {
        b.append("| rate/s | sent in s | lag at 2/3 | lag at end | holds | drained in s | processed/s | records/event"
                + " | CPU µs/event | harness CPU µs/event |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> st : steps) {
            Map<String, Object> byProcess = (Map<String, Object>) st.get("cpu_us_per_event_by_process");
            String cpu = orDash(st.get("cpu_us_per_event"));
            if (byProcess != null && byProcess.size() > 1 && st.get("cpu_us_per_event") != null) {
                List<String> parts = new ArrayList<>();
                byProcess.forEach((name, us) -> parts.add(name + " " + us));
                cpu += " (" + String.join(", ", parts) + ")";
            }
            b.append(String.format(
                    Locale.ROOT,
                    "| %,d | %s | %,d | %,d | %s | %s | %s | %s | %s | %s |%n",
                    ((Number) st.get("rate")).intValue(),
                    st.get("send_seconds"),
                    ((Number) st.get("lag_two_thirds")).longValue(),
                    ((Number) st.get("lag_end")).longValue(),
                    st.get("holds"),
                    st.get("drain_seconds"),
                    st.get("processed_per_s") == null
                            ? "-"
                            : String.format(Locale.ROOT, "%,d", ((Number) st.get("processed_per_s")).longValue()),
                    orDash(st.get("records_per_event")),
                    cpu,
                    orDash(st.get("harness_cpu_us_per_event"))));
        }
    }

    private static String orDash(Object figure) {
        return figure == null ? "-" : figure.toString();
    }

    static void log(String format, Object... args) {
        System.err.println(
                "[" + Instant.now().toString().substring(11, 19) + "] " + String.format(Locale.ROOT, format, args));
    }
}
