package dev.sluice.bench;

import dev.sluice.bench.baseline.HandWrittenStreams;
import dev.sluice.kafka.metrics.ConsumerLag;
import dev.sluice.kafka.metrics.WaitingRecords;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The hand-written Kafka Streams baseline ({@link HandWrittenStreams}) as a child JVM on Sluice's embedded broker,
 * with its own input and output topics (as many partitions as the Sluice stream's topic), the JVM flags Sluice's
 * child gets ({@code BASELINE_JAVA_OPTS} added), the harness's own classpath, and its log in the harness's output
 * directory. Its lag is read as Sluice's {@code /v1/lag} reads Sluice's ({@link ConsumerLag}: committed offsets
 * against the log end, transaction markers not counted), per input topic (the source topic and both repartition
 * topics); {@link #lag} is the largest.
 */
final class BaselineChild implements AutoCloseable {
    static final String APPLICATION_ID = "handwritten-gmv";
    static final String INPUT = "baseline.orders";
    static final String OUTPUT = "baseline.gmv_by_country";

    final Process process;
    private final Admin admin;
    private final WaitingRecords waiting;
    private final ConsumerLag consumerLag;

    private BaselineChild(Process process, Admin admin, String bootstrap) {
        this.process = process;
        this.admin = admin;
        this.waiting = new WaitingRecords(bootstrap);
        this.consumerLag = new ConsumerLag(admin, waiting, List.of(APPLICATION_ID), Clock.systemUTC());
    }

    static BaselineChild start(String bootstrap, int partitions, Path out) throws Exception {
        Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap));
        try {
            admin.createTopics(List.of(
                            new NewTopic(INPUT, partitions, (short) 1), new NewTopic(OUTPUT, partitions, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            Path state = Files.createTempDirectory(out, "baseline-state-");
            Path ready = state.resolve("ready");
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED"));
            if (Runtime.version().feature() >= 23) {
                cmd.add("--sun-misc-unsafe-memory-access=allow");
            }
            String extra = System.getenv("BASELINE_JAVA_OPTS");
            if (extra != null && !extra.isBlank()) {
                cmd.addAll(Arrays.asList(extra.trim().split("\\s+")));
            }
            cmd.addAll(List.of(
                    "-cp",
                    System.getProperty("java.class.path"),
                    HandWrittenStreams.class.getName(),
                    "--bootstrap",
                    bootstrap,
                    "--input",
                    INPUT,
                    "--output",
                    OUTPUT,
                    "--application-id",
                    APPLICATION_ID,
                    "--state-dir",
                    state.resolve("streams").toString(),
                    "--ready-file",
                    ready.toString()));
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(out.resolve("baseline.log").toFile())
                    .start();
            BaselineChild c = new BaselineChild(p, admin, bootstrap);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (!Files.exists(ready)) {
                if (!p.isAlive()) {
                    c.close();
                    throw new IllegalStateException("the baseline exited with " + p.exitValue() + ": see baseline.log");
                }
                if (System.nanoTime() > deadline) {
                    c.close();
                    throw new IllegalStateException("the baseline was not RUNNING in 180 s: see baseline.log");
                }
                Thread.sleep(200);
            }
            return c;
        } catch (Exception e) {
            admin.close();
            throw e;
        }
    }

    /**
     * Records its consumer group has still to process on the input topic it is furthest behind on (each topic's lag
     * summed over its partitions).
     *
     * @throws IllegalStateException if the baseline has exited: its lag would stand still
     */
    long lag() throws Exception {
        if (!process.isAlive()) {
            throw new IllegalStateException("the baseline exited with " + process.exitValue() + ": see baseline.log");
        }
        Map<String, Long> byTopic = new HashMap<>();
        for (ConsumerLag.PartitionLag p : consumerLag.sample()) {
            byTopic.merge(p.topic(), p.lag(), Long::sum);
        }
        return byTopic.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /**
     * Fails unless the baseline's constants are the pipeline's {@code view} over its stream: the same dedup horizon,
     * filter, window, groups and measures, so that the two systems do the same job.
     */
    static void requireSameJob(Pipeline pipeline, String view) {
        ViewDef v = pipeline.views().get(view);
        StreamDef s = pipeline.stream(v.from());
        List<String> differences = new ArrayList<>();
        if (!s.dedupHorizon().equals(HandWrittenStreams.DEDUP_HORIZON)) {
            differences.add("dedup " + s.dedupHorizon());
        }
        if (!"event_id".equals(s.idField())) {
            differences.add("id " + s.idField());
        }
        if (v.filter() == null
                || !v.filter()
                        .source()
                        .replace(" ", "")
                        .equals("status==\"" + HandWrittenStreams.COUNTED_STATUS + "\"")) {
            differences.add(
                    "filter " + (v.filter() == null ? "none" : v.filter().source()));
        }
        if (!v.window().equals(WindowDef.tumbling(HandWrittenStreams.WINDOW_SIZE, HandWrittenStreams.WINDOW_GRACE))) {
            differences.add("window " + v.window());
        }
        if (!v.groupBy().equals(HandWrittenStreams.GROUP_BY)) {
            differences.add("group_by " + v.groupBy());
        }
        List<String> measures = v.measures().stream()
                .map(m -> m.kind().keyword() + (m.field() == null ? "" : "(" + m.field() + ")"))
                .toList();
        List<String> baseline = List.of(
                MeasureDef.Kind.COUNT.keyword(),
                MeasureDef.Kind.SUM.keyword() + "(" + HandWrittenStreams.SUMMED_FIELD + ")",
                MeasureDef.Kind.COUNT_DISTINCT.keyword() + "(" + HandWrittenStreams.DISTINCT_FIELD + ")");
        if (!measures.equals(baseline)) {
            differences.add("measures " + measures);
        }
        if (!differences.isEmpty()) {
            throw new IllegalStateException("the hand-written baseline no longer does the job of view " + view
                    + ": the pipeline has " + String.join(", ", differences) + " (see HandWrittenStreams)");
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM: Kafka Streams closes cleanly
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        waiting.close();
        admin.close();
    }
}
