package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.cli.loadgen.LoadgenCommand;
import dev.sluice.cli.loadgen.VerifyCommand;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The smaller version of the 1-million-event acceptance run: each example's scenario, with duplicates,
 * out-of-order, late, too-late and malformed events injected, sent by {@code sluice loadgen} to a running
 * pipeline. Every view then equals the same view computed in SQL by an in-memory DuckDB over the events loadgen
 * says were accepted ({@link SqlTruth}: no Sluice code in that oracle), and {@code sluice verify}, exact by
 * default, finds the same against loadgen's truth and against the recompute from the raw events in the store. A
 * truth that differs by one event's worth (far under the old 0.1 % tolerance) makes verify fail, naming the window
 * and the measure, and so does a distinct count beyond the HLL bound.
 */
class LoadgenVerifyIT {
    @TempDir
    Path dir;

    /** Copies examples/{name} under a unique pipeline name (and input topic), so runs do not share topics. */
    Path copyExample(String name) throws Exception {
        Path src = Path.of("..", "examples", name);
        Path dst = dir.resolve(name);
        String unique = SharedKafka.uniqueName(name);
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : files.toList()) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else if (p.getFileName().toString().equals("pipeline.yaml")) {
                    Files.writeString(
                            to,
                            Files.readString(p)
                                    .replaceFirst("(?m)^pipeline: \\S+", "pipeline: " + unique)
                                    .replaceAll("(?m)^(\\s+topic: )(\\w+)", "$1" + unique + "-$2"));
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return dst;
    }

    SluiceRuntime start(Path example) throws Exception {
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(example.resolve("pipeline.yaml"));
        SluiceRuntime rt = SluiceRuntime.start(
                pipeline,
                new SluiceRuntime.Options(
                        dir.resolve("data-" + example.getFileName()),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC()));
        assertThat(rt.awaitRunning(Duration.ofSeconds(60))).isTrue();
        return rt;
    }

    record Run(int exit, String out) {}

    static Run run(Object command, String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        if (command instanceof LoadgenCommand l) {
            setOut(l, ps);
        } else if (command instanceof VerifyCommand v) {
            setOut(v, ps);
        }
        int exit = new CommandLine(command).execute(args);
        return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    }

    static void setOut(Object command, PrintStream ps) {
        try {
            for (String f : List.of("out", "err")) {
                var field = command.getClass().getDeclaredField(f);
                field.setAccessible(true);
                field.set(command, ps);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Verify, until the pipeline has caught up (the views are eventually consistent) or a minute passed. */
    static Run verifyEventually(String... args) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Run r;
        do {
            r = run(new VerifyCommand(), args);
            if (r.exit() == 0) {
                return r;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ecommerce", "fintech", "fraud", "iot"})
    void loadgenThenVerifyFindsNoDiscrepancy(String example) throws Exception {
        Path ex = copyExample(example);
        try (SluiceRuntime rt = start(ex)) {
            String url = "http://127.0.0.1:" + rt.httpPort();
            Path truth = dir.resolve(example + "-truth.json");
            Run load = run(
                    new LoadgenCommand(),
                    ex.resolve("loadgen.yaml").toString(),
                    "--url",
                    url,
                    "--events",
                    "4000",
                    "--rate",
                    "4000",
                    "--truth",
                    truth.toString(),
                    "--accepted",
                    ClickHouseSinkIT.accepted(truth).toString());
            assertThat(load.exit()).as(load.out()).isZero();
            assertThat(load.out()).contains("sent 4,000").contains("ground truth written");
            var t = OrdersScenario.JSON.readTree(truth.toFile());
            var injected = t.path("run").path("injected");
            for (String kind : List.of("duplicate", "out_of_order", "late", "too_late", "malformed")) {
                assertThat(injected.path(kind).asLong()).as("%s injected", kind).isPositive();
            }
            // refused: exactly the malformed ones; accepted: everything else, duplicates included
            assertThat(t.path("run").path("refused").asLong())
                    .isEqualTo(injected.path("malformed").asLong());
            assertThat(t.path("unique_events").asLong())
                    .isEqualTo(4000
                            - injected.path("malformed").asLong()
                            - injected.path("duplicate").asLong());

            Run verify = verifyEventually("--url", url, "--truth", truth.toString());
            assertThat(verify.exit()).as(verify.out()).isZero();
            assertThat(verify.out()).contains("verify: OK").doesNotContain("FAILED");
            // and the oracle: the views in SQL over what was accepted
            try (SqlTruth sql = SqlTruth.load(ClickHouseSinkIT.accepted(truth), "event_id")) {
                assertThat((long) sql.ids().size())
                        .as("unique accepted events, counted by the oracle")
                        .isEqualTo(OrdersScenario.JSON
                                .readTree(truth.toFile())
                                .path("unique_events")
                                .asLong());
                sql.assertViews(rt.httpPort(), rt.pipeline().views().keySet());
            }
            var m = java.util.regex.Pattern.compile("verify (\\w+): (\\d+) rows expected, (\\d+) stored")
                    .matcher(verify.out());
            int views = 0;
            while (m.find()) {
                views++;
                assertThat(Long.parseLong(m.group(2)))
                        .as("rows of %s", m.group(1))
                        .isPositive();
                assertThat(m.group(3)).isEqualTo(m.group(2));
            }
            assertThat(views)
                    .isEqualTo(rt.pipeline().viewsOf(t.path("stream").asText()).size());
            for (var v : rt.pipeline().views().keySet()) {
                Run again = verifyEventually("--url", url, "--view", v, "--recompute");
                assertThat(again.exit()).as(again.out()).isZero();
            }
        }
    }

    Run verifyAgainst(String url, ObjectNode truth) throws Exception {
        Path wrong = Files.createTempFile(dir, "wrong", ".json");
        OrdersScenario.JSON.writeValue(wrong.toFile(), truth);
        return run(new VerifyCommand(), "--url", url, "--truth", wrong.toString());
    }

    @Test
    void aTruthTheStoreDoesNotMatchFailsNamingWindowAndMeasure() throws Exception {
        Path ex = copyExample("ecommerce");
        try (SluiceRuntime rt = start(ex)) {
            String url = "http://127.0.0.1:" + rt.httpPort();
            Path truth = dir.resolve("truth.json");
            Run load = run(
                    new LoadgenCommand(),
                    ex.resolve("loadgen.yaml").toString(),
                    "--kafka",
                    rt.bootstrapServers(),
                    "--events",
                    "3000",
                    "--rate",
                    "3000",
                    "--truth",
                    truth.toString());
            assertThat(load.exit()).as(load.out()).isZero();
            assertThat(verifyEventually("--url", url, "--truth", truth.toString())
                            .exit())
                    .as("over Kafka, malformed events dead-lettered")
                    .isZero();
            // one order more in the first row than the store has
            var t = (ObjectNode) OrdersScenario.JSON.readTree(truth.toFile());
            ObjectNode row = (ObjectNode)
                    t.path("views").path("gmv_by_country").path("rows").get(0);
            row.put("orders", row.get("orders").asLong() + 1);
            Run r = verifyAgainst(url, t);
            assertThat(r.exit()).as(r.out()).isEqualTo(1);
            assertThat(r.out())
                    .contains("window " + row.get("window_start").asText())
                    .contains(" orders: stored ")
                    .contains("verify: FAILED");
            // one order of 1.00 more in the largest row's gmv: far under 0.1 %, and still a failure
            t = (ObjectNode) OrdersScenario.JSON.readTree(truth.toFile());
            ObjectNode largest = null;
            for (var x : t.path("views").path("gmv_by_country").path("rows")) {
                if (largest == null
                        || x.get("gmv").asDouble() > largest.get("gmv").asDouble()) {
                    largest = (ObjectNode) x;
                }
            }
            java.math.BigDecimal gmv = largest.get("gmv").decimalValue();
            assertThat(1.0 / gmv.doubleValue())
                    .as("one order's share of the row")
                    .isLessThan(0.001);
            largest.put("gmv", gmv.add(java.math.BigDecimal.ONE));
            r = verifyAgainst(url, t);
            assertThat(r.exit()).as(r.out()).isEqualTo(1);
            assertThat(r.out())
                    .contains("window " + largest.get("window_start").asText())
                    .contains(" gmv: stored ")
                    .contains("FAILED (exact)");
            // distinct buyers beyond the HLL bound (3 standard errors of lgK 12: ±5 % of 200) fail too
            t = (ObjectNode) OrdersScenario.JSON.readTree(truth.toFile());
            ObjectNode most = null;
            for (var x : t.path("views").path("gmv_by_country").path("rows")) {
                if (most == null
                        || x.get("buyers").asLong() > most.get("buyers").asLong()) {
                    most = (ObjectNode) x;
                }
            }
            most.put("buyers", most.get("buyers").asLong() * 2 + 10);
            r = verifyAgainst(url, t);
            assertThat(r.exit()).as(r.out()).isEqualTo(1);
            assertThat(r.out())
                    .contains("window " + most.get("window_start").asText())
                    .contains(" buyers: stored ")
                    .contains("beyond the HLL bound");
        }
    }
}
