package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice run} in a child JVM with its embedded broker, killed with SIGKILL while events
 * stream in, then restarted on the same data directory: once the client has retried the batches
 * whose answers it never got (same event ids), the stored aggregates equal the ground truth, with
 * nothing lost and nothing counted twice.
 */
@Tag("slow")
class KillRestartIT {
    @TempDir
    Path dir;

    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void killNineMidStreamLosesNothingAndCountsNothingTwice() throws Exception {
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), "ecommerce");
        BasketView.addTo(file);
        Path data = dir.resolve("data");
        int port = freePort();
        int kafkaPort = freePort();
        OrdersScenario s = new OrdersScenario(7);
        List<List<JsonNode>> batches = s.batches(2000, 10, 50);

        Process p = launch(file, data, port, kafkaPort, "first");
        awaitHealthy(port, p);
        List<List<JsonNode>> unanswered = new ArrayList<>();
        int killAt = batches.size() / 2;
        for (int i = 0; i < batches.size(); i++) {
            if (i == killAt) {
                // kill while a request is in flight: its answer is lost, so the client must retry it
                List<JsonNode> inFlight = batches.get(i);
                Thread sender = Thread.ofVirtual().start(() -> {
                    try {
                        s.send(http, port, inFlight, true);
                    } catch (Exception e) {
                        // expected: the server died
                    }
                });
                Thread.sleep(5);
                p.destroyForcibly().waitFor();
                sender.join();
                unanswered.add(inFlight);
                p = launch(file, data, port, kafkaPort, "second");
                awaitHealthy(port, p);
                continue;
            }
            HttpResponse<String> r = sendRetrying(s, port, batches.get(i));
            assertThat(r.statusCode()).as(r.body()).isIn(200, 207, 422);
        }
        for (List<JsonNode> b : unanswered) {
            HttpResponse<String> r = sendRetrying(s, port, b);
            assertThat(r.statusCode()).as(r.body()).isIn(200, 207, 422);
        }
        try {
            Map<String, OrdersScenario.Expected> truth = s.groundTruth();
            List<String> diffs = List.of("not compared yet");
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < deadline) {
                diffs = OrdersScenario.compare(truth, OrdersScenario.queried(http, port));
                if (diffs.isEmpty()) {
                    break;
                }
                Thread.sleep(500);
            }
            assertThat(diffs.subList(0, Math.min(diffs.size(), 20)))
                    .as("after kill -9 and restart")
                    .isEmpty();
            Map<String, List<BigDecimal>> baskets = BasketView.truth(s.accepted.values());
            List<String> basketDiffs = List.of("not compared yet");
            long basketDeadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < basketDeadline) {
                basketDiffs = BasketView.compare(baskets, BasketView.queried(http, port));
                if (basketDiffs.isEmpty()) {
                    break;
                }
                Thread.sleep(500);
            }
            assertThat(basketDiffs.subList(0, Math.min(basketDiffs.size(), 20)))
                    .as("hopping view after kill -9 and restart")
                    .isEmpty();
        } finally {
            p.destroy();
            p.waitFor();
        }
        // the raw table holds exactly the accepted events, each once (a list, so a second copy would show)
        List<String> stored = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + data.resolve("sluice.duckdb"));
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT event_id FROM orders")) {
            while (rs.next()) {
                stored.add(rs.getString(1));
            }
        }
        assertThat(stored).containsExactlyInAnyOrderElementsOf(s.accepted.keySet());
    }

    private HttpResponse<String> sendRetrying(OrdersScenario s, int port, List<JsonNode> batch) throws Exception {
        HttpResponse<String> r = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            r = s.send(http, port, batch, true);
            if (r.statusCode() != 429 && r.statusCode() != 503) {
                return r;
            }
            Thread.sleep(500);
        }
        return r;
    }

    private Process launch(Path file, Path data, int port, int kafkaPort, String tag) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(
                java,
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.sluice.cli.Main",
                "run",
                file.toString(),
                "--data-dir",
                data.toString(),
                "--port",
                String.valueOf(port),
                "--kafka-port",
                String.valueOf(kafkaPort));
        Path log = dir.resolve("sluice-" + tag + ".log");
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    private void awaitHealthy(int port, Process p) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("sluice exited with " + p.exitValue() + ": " + logs());
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                                .timeout(Duration.ofSeconds(3))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("sluice did not become healthy: " + logs());
    }

    private String logs() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(x -> x.getFileName().toString().endsWith(".log"))
                    .toList()) {
                String text = Files.readString(f);
                sb.append("\n--- ")
                        .append(f.getFileName())
                        .append('\n')
                        .append(text.substring(Math.max(0, text.length() - 4000)));
            }
        }
        return sb.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
