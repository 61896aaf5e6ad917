package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The integration tests' one fixture: the ecommerce example copied into a temp directory under a
 * name of its own (its own topics on the JVM's shared embedded broker), optionally edited, started
 * in this JVM with a DuckDB file and an HTTP server on a free port, and the HTTP calls the tests
 * make on it. An edit must change the file: a replacement that matches nothing fails the test.
 */
final class RunningPipeline implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    final Pipeline pipeline;
    final SluiceRuntime runtime;

    private RunningPipeline(Pipeline pipeline, SluiceRuntime runtime) {
        this.pipeline = pipeline;
        this.runtime = runtime;
    }

    /** The example as it ships. */
    static RunningPipeline start(Path dir, String prefix) throws Exception {
        return start(dir, prefix, null, o -> o);
    }

    /**
     * @param edit changes the copied pipeline file's text (must change it), or null
     * @param options changes the runtime options (live settings, clock)
     */
    static RunningPipeline start(
            Path dir, String prefix, UnaryOperator<String> edit, UnaryOperator<SluiceRuntime.Options> options)
            throws Exception {
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), SharedKafka.uniqueName(prefix));
        if (edit != null) {
            String yaml = Files.readString(file);
            String edited = edit.apply(yaml);
            assertThat(edited).as("the edit of the pipeline file changes it").isNotEqualTo(yaml);
            Files.writeString(file, edited);
        }
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(file);
        SluiceRuntime runtime = SluiceRuntime.start(
                pipeline,
                options.apply(new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC())));
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60)))
                .as("pipeline running within 60 s")
                .isTrue();
        return new RunningPipeline(pipeline, runtime);
    }

    /** Replaces {@code from} by {@code to} in a pipeline file's text, failing when {@code from} is absent. */
    static UnaryOperator<String> replacing(String from, String to) {
        return yaml -> {
            assertThat(yaml).as("the pipeline file").contains(from);
            return yaml.replace(from, to);
        };
    }

    int port() {
        return runtime.httpPort();
    }

    String base() {
        return "http://127.0.0.1:" + port();
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base() + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return OrdersScenario.JSON.readTree(r.body());
    }

    /** POST without a body (the admin routes). */
    HttpResponse<String> post(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base() + path))
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Posts a body to a stream's HTTP source. */
    HttpResponse<String> postEvents(String stream, String body, String contentType) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base() + "/v1/streams/" + stream + "/events"))
                        .header("Content-Type", contentType)
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Posts orders as NDJSON and expects every one accepted (200). */
    void postOrders(List<String> events) throws Exception {
        HttpResponse<String> r = postEvents("orders", String.join("\n", events), "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** Every event id in the stream's raw table, one entry per stored row. */
    List<String> storedIds(String stream) throws Exception {
        List<String> ids = new java.util.ArrayList<>();
        try (var c = runtime.store().connect();
                var st = c.createStatement();
                var rs = st.executeQuery("SELECT event_id FROM \"" + stream + "\"")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    /**
     * Polls {@code gmv_by_country} until it equals the truth or the timeout passes; returns the differences
     * left (at most 20; empty when they agree).
     */
    List<String> awaitAgreement(java.util.Map<String, OrdersScenario.Expected> truth, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> diffs;
        do {
            diffs = OrdersScenario.compare(truth, OrdersScenario.queried(HTTP, port()));
            if (diffs.isEmpty()) {
                return diffs;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return diffs.subList(0, Math.min(20, diffs.size()));
    }

    @Override
    public void close() {
        runtime.close();
    }
}
