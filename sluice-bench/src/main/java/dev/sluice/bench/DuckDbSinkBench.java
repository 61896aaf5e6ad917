package dev.sluice.bench;

import dev.sluice.cli.loadgen.Events;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.kafka.EmbeddedKafka;
import dev.sluice.kafka.KafkaTopics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.sinks.SinkLoop;
import dev.sluice.sinks.duckdb.DuckDbSink;
import dev.sluice.sinks.duckdb.DuckDbStore;
import dev.sluice.wire.Accepted;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * How many raw rows per second the DuckDB sink stores from a Kafka topic at full speed, against DuckDB's bare
 * appender on the same rows (the store's limit), in one JVM on this machine. The ecommerce example's orders (the
 * loadgen's valid events, about 290 bytes of JSON each) are first produced to the stream topic on an embedded
 * broker of their own; then, each into a fresh database file:
 *
 * <ol>
 *   <li>the limit: every row through DuckDB's appender into a table of the raw table's columns without its primary
 *       key, one transaction;
 *   <li>the sink's write step alone, without Kafka ({@link DuckDbSink#writeBatch}), in batches of a given size;
 *   <li>the sink itself, reading the whole topic from its start: from the sink's start until every row is stored.
 * </ol>
 *
 * {@code bash bench/duckdb-sink.sh [--events N]}; see BENCHMARKS.md, "DuckDB sink: raw rows per second".
 */
public final class DuckDbSinkBench {
    private DuckDbSinkBench() {}

    public static void main(String[] args) throws Exception {
        List<String> a = List.of(args);
        Path home = Path.of(option(a, "--home", System.getProperty("sluice.home", ".")));
        int n = Integer.parseInt(option(a, "--events", "1000000"));
        Path dir = Files.createTempDirectory("duckdb-sink-bench");
        try {
            run(home, n, dir);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(Path home, int n, Path dir) throws Exception {
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(home.resolve("examples/ecommerce/pipeline.yaml"));
        String topic = pipeline.streamTopic("orders");
        List<byte[]> values = new ArrayList<>(n);
        try (EmbeddedKafka broker = EmbeddedKafka.start(dir.resolve("kafka"), freePort())) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(ClientDefaults.admin(bootstrap))) {
                KafkaTopics.ensureTopic(admin, topic, pipeline.stream("orders").partitions(), Map.of());
                KafkaTopics.ensureTopic(
                        admin,
                        pipeline.acceptedTopic("orders"),
                        pipeline.stream("orders").partitions(),
                        Map.of());
            }
            produce(home, bootstrap, topic, n, values);
            produceVerdicts(bootstrap, topic, pipeline.acceptedTopic("orders"));
            long bytes = values.stream().mapToLong(v -> v.length).sum();
            log("%,d orders on %s, %d bytes each on average", n, topic, bytes / n);

            double limit = bareAppender(pipeline, dir.resolve("limit.duckdb"), values);
            log("DuckDB bare appender (the limit): %,.0f rows/s", limit);
            for (int batch : new int[] {10_000, 50_000}) {
                double step = writeStep(pipeline, dir.resolve("step-" + batch + ".duckdb"), topic, values, batch);
                log(
                        "the sink's write step, no Kafka, batches of %,d: %,.0f rows/s (%.2f of the limit)",
                        batch, step, step / limit);
            }
            double sink = sinkFromKafka(pipeline, dir.resolve("sink.duckdb"), bootstrap, n);
            log("the DuckDB sink from Kafka: %,.0f rows/s (%.2f of the limit)", sink, sink / limit);
        }
    }

    private static void produce(Path home, String bootstrap, String topic, int n, List<byte[]> values)
            throws Exception {
        Map<String, Object> pc = new HashMap<>();
        pc.put("bootstrap.servers", bootstrap);
        pc.put("acks", "all");
        pc.put("linger.ms", 5);
        pc.put("compression.type", "lz4");
        pc.put("batch.size", 256 * 1024);
        List<Events.Record> records =
                Events.valid(home.resolve("examples/ecommerce/loadgen.yaml"), n, 7, 20_000, System.currentTimeMillis());
        try (KafkaProducer<byte[], byte[]> p =
                new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Events.Record r : records) {
                p.send(new ProducerRecord<>(topic, r.key(), r.value()));
                values.add(r.value());
            }
            p.flush();
        }
    }

    /**
     * The processor's verdicts on the stream topic, as it would write them: every record accepted, one verdict per
     * {@value #VERDICT_RECORDS} offsets of a partition (a commit's worth at about 150,000 events/s).
     */
    private static void produceVerdicts(String bootstrap, String topic, String acceptedTopic) throws Exception {
        Map<String, Object> cc = new HashMap<>(ClientDefaults.consumer(bootstrap, "bench-verdicts"));
        Map<String, Object> pc = new HashMap<>();
        pc.put("bootstrap.servers", bootstrap);
        pc.put("acks", "all");
        try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                        cc,
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer());
                KafkaProducer<byte[], byte[]> p =
                        new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<org.apache.kafka.common.TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition()))
                    .toList();
            for (var e : c.endOffsets(parts).entrySet()) {
                int part = e.getKey().partition();
                for (long from = 0; from < e.getValue(); from += VERDICT_RECORDS) {
                    long to = Math.min(e.getValue(), from + VERDICT_RECORDS);
                    p.send(new ProducerRecord<>(
                            acceptedTopic,
                            part,
                            Accepted.key(part),
                            new Accepted(part, from, to, new long[0]).encode()));
                }
            }
            p.flush();
        }
    }

    private static final int VERDICT_RECORDS = 5_000;

    /** Rows per second of DuckDB's appender into a table with the raw table's columns (no key), one commit. */
    private static double bareAppender(Pipeline pipeline, Path file, List<byte[]> values) throws Exception {
        List<String[]> cols = new ArrayList<>();
        try (DuckDbStore store = DuckDbStore.open(pipeline, file);
                Connection conn = store.connect()) {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE bare AS SELECT * FROM orders WHERE false");
                try (ResultSet rs = st.executeQuery("SELECT column_name, data_type FROM information_schema.columns"
                        + " WHERE table_name = 'bare' ORDER BY ordinal_position")) {
                    while (rs.next()) {
                        cols.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            }
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            conn.setAutoCommit(false);
            long t0 = System.nanoTime();
            try (DuckDBAppender app =
                    ((DuckDBConnection) conn).createAppender(DuckDBConnection.DEFAULT_SCHEMA, "bare")) {
                for (byte[] v : values) {
                    var e = json.readTree(v);
                    app.beginRow();
                    for (String[] c : cols) {
                        var f = e.get(c[0]);
                        if (f == null || f.isNull()) {
                            app.appendNull();
                        } else {
                            switch (c[1]) {
                                case "TIMESTAMP" ->
                                    app.appendEpochMicros(
                                            Instant.parse(f.asText()).toEpochMilli() * 1000);
                                case "DOUBLE" -> app.append(f.asDouble());
                                case "BIGINT" -> app.append(f.asLong());
                                case "BOOLEAN" -> app.append(f.asBoolean());
                                default -> app.append(f.isTextual() ? f.textValue() : f.toString());
                            }
                        }
                    }
                    app.endRow();
                }
                app.flush();
            }
            conn.commit();
            return values.size() / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** Rows per second of {@link DuckDbSink#writeBatch}: the sink's parse, append, insert and commit. */
    private static double writeStep(Pipeline pipeline, Path file, String topic, List<byte[]> values, int batch)
            throws Exception {
        try (DuckDbStore store = DuckDbStore.open(pipeline, file)) {
            DuckDbSink sink = new DuckDbSink(pipeline, sinkDef(), store, Clock.systemUTC());
            long t0 = System.nanoTime();
            for (int i = 0; i < values.size(); i += batch) {
                List<ConsumerRecord<byte[], byte[]>> recs = new ArrayList<>(batch);
                int end = Math.min(values.size(), i + batch);
                for (int j = i; j < end; j++) {
                    recs.add(new ConsumerRecord<>(topic, 0, j, null, values.get(j)));
                }
                recs.add(
                        new ConsumerRecord<>( // the processor's verdict: every one accepted
                                pipeline.acceptedTopic("orders"),
                                0,
                                i / batch,
                                Accepted.key(0),
                                new Accepted(0, i, end, new long[0]).encode()));
                sink.writeBatch(recs);
            }
            double rate = values.size() / ((System.nanoTime() - t0) / 1e9);
            check(store, values.size());
            return rate;
        }
    }

    /** Rows per second of the DuckDB sink reading the whole topic, from its start until every row is stored. */
    private static double sinkFromKafka(Pipeline pipeline, Path file, String bootstrap, int n) throws Exception {
        try (DuckDbStore store = DuckDbStore.open(pipeline, file)) {
            Map<String, Object> consumer = new HashMap<>(ClientDefaults.consumer(bootstrap, "bench-sink"));
            consumer.put("max.poll.records", 10_000); // as sluice run
            SinkDef.DuckDb def = sinkDef();
            DuckDbSink sink = new DuckDbSink(pipeline, def, store, Clock.systemUTC(), PipelineMetrics.none());
            SinkLoop loop = new SinkLoop(sink, consumer, def.batchRows(), def.batchInterval());
            long t0 = System.nanoTime();
            Thread t = Thread.ofPlatform().name("bench-sink").start(loop);
            long deadline = t0 + TimeUnit.MINUTES.toNanos(10);
            while (sink.rowsWritten() < n && System.nanoTime() < deadline && loop.failure() == null) {
                Thread.sleep(5);
            }
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            loop.close();
            t.join();
            check(store, n);
            return rate;
        }
    }

    /** The raw orders only, with the default batches, or those of {@code -Dbatch.rows} and {@code -Dbatch.ms}. */
    private static SinkDef.DuckDb sinkDef() {
        return new SinkDef.DuckDb(
                "bench",
                null,
                List.of("orders"),
                Long.getLong("batch.rows", SinkDef.DuckDb.BATCH_ROWS),
                Duration.ofMillis(Long.getLong("batch.ms", SinkDef.DuckDb.BATCH_INTERVAL.toMillis())));
    }

    private static void check(DuckDbStore store, long n) throws Exception {
        long stored = store.countRaw("orders");
        if (stored != n) {
            throw new IllegalStateException("stored " + stored + " raw rows, expected " + n);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String option(List<String> args, String name, String dflt) {
        int i = args.indexOf(name);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : dflt;
    }

    private static void log(String format, Object... args) {
        System.out.printf(java.util.Locale.ROOT, format + "%n", args);
    }
}
