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
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table end to end, on the JVM's shared embedded broker: the ecommerce example with a table {@code last_order}
 * (the newest order per {@code user_id}, keeping {@code amount} and {@code status}), fed over HTTP, queried with
 * {@code GET /v1/tables/last_order}; then Sluice stopped and started again on the same data directory.
 */
class TableIT {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Instant T = Instant.parse("2026-11-24T10:00:00Z");

    @TempDir
    Path dir;

    /** One order; every order here has the same {@code order_id}, so all are read from one partition, in order. */
    static String order(String id, String user, int seconds, int amount) {
        return "{\"event_id\":\"" + id + "\",\"order_id\":\"o-1\",\"user_id\":\"" + user
                + "\",\"country\":\"DE\",\"currency\":\"EUR\",\"amount\":" + amount + ",\"status\":\"paid\","
                + "\"created_at\":\"" + T.plusSeconds(seconds) + "\"}";
    }

    SluiceRuntime start(Pipeline p) throws Exception {
        SluiceRuntime r = SluiceRuntime.start(
                p,
                new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC()));
        assertThat(r.awaitRunning(Duration.ofSeconds(60)))
                .as("running within 60 s")
                .isTrue();
        return r;
    }

    static HttpResponse<String> get(SluiceRuntime r, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.httpPort() + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void post(SluiceRuntime r, List<String> events) throws Exception {
        HttpResponse<String> res = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.httpPort() + "/v1/streams/orders/events"))
                        .header("Content-Type", "application/x-ndjson")
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", events)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    }

    /** The table's late count in this process: events older than their key's row. */
    static double lateForTheTable(SluiceRuntime r) throws Exception {
        for (String line : get(r, "/metrics").body().split("\n")) {
            if (line.startsWith("sluice_events_discarded_total{")
                    && line.contains("component=\"table\"")
                    && line.contains("name=\"last_order\"")
                    && line.contains("reason=\"late\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    /** Polls {@code read} every 200 ms until {@code done} holds, for at most 30 s; returns the last value read. */
    static <T> T within30s(ThrowingSupplier<T> read, Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        T v = read.get();
        while (!done.test(v) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            v = read.get();
        }
        return v;
    }

    interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    static String row(SluiceRuntime r, String user) throws Exception {
        HttpResponse<String> res = get(r, "/v1/tables/last_order?key=" + user);
        return res.statusCode() + " " + res.body();
    }

    @Test
    void holdsEachKeysNewestRowByEventTimeAndOutlivesARestart() throws Exception {
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), SharedKafka.uniqueName("tables"));
        String yaml = Files.readString(file);
        assertThat(yaml).contains("\nviews:\n");
        Files.writeString(
                file,
                yaml.replace(
                        "\nviews:\n",
                        "\ntables:\n  last_order:\n    from: orders\n    key: [user_id]\n    fields: [amount, status]\n"
                                + "\nviews:\n"));
        Pipeline p = PipelineLoader.withSystemEnv().load(file);

        SluiceRuntime r = start(p);
        try {
            assertThat(row(r, "u1")).isEqualTo("404 {\"error\":\"table last_order holds no key [u1]\"}");
            post(
                    r,
                    List.of(
                            order("e1", "u1", 10, 5),
                            order("e2", "u1", 30, 7),
                            order("e3", "u1", 20, 9), // older than u1's row: changes nothing
                            order("e4", "u2", 5, 1),
                            order("e2", "u1", 30, 7))); // a duplicate
            String u1 = "200 {\"key\":{\"user_id\":\"u1\"},\"value\":{\"amount\":7,\"status\":\"paid\"},\"time\":\""
                    + T.plusSeconds(30) + "\"}";
            String u2 = "200 {\"key\":{\"user_id\":\"u2\"},\"value\":{\"amount\":1,\"status\":\"paid\"},\"time\":\""
                    + T.plusSeconds(5) + "\"}";
            assertThat(within30s(
                            () -> row(r, "u1") + " | " + row(r, "u2") + " | late " + lateForTheTable(r),
                            s -> s.equals(u1 + " | " + u2 + " | late 1.0")))
                    .isEqualTo(u1 + " | " + u2 + " | late 1.0");
            JsonNode tables = OrdersScenario.JSON.readTree(get(r, "/v1/tables").body());
            assertThat(tables.toString())
                    .isEqualTo(
                            "[{\"name\":\"last_order\",\"from\":\"orders\",\"key\":[\"user_id\"],\"fields\":[\"amount\","
                                    + "\"status\"],\"topic\":\"" + p.tableTopic("last_order") + "\",\"keys\":2}]");
            assertThat(get(r, "/v1/tables/nope").statusCode()).isEqualTo(404);
            assertThat(get(r, "/v1/tables/last_order?amount=3").body())
                    .as("a parameter that is not a key field is no key")
                    .startsWith("[");
        } finally {
            r.close();
        }

        SluiceRuntime again = start(p);
        try {
            String u2 = "200 {\"key\":{\"user_id\":\"u2\"},\"value\":{\"amount\":1,\"status\":\"paid\"},\"time\":\""
                    + T.plusSeconds(5) + "\"}";
            assertThat(within30s(() -> row(again, "u2"), u2::equals))
                    .as("the server reads the table's topic back")
                    .isEqualTo(u2);
            post(again, List.of(order("e5", "u1", 25, 11))); // older than the row kept before the restart
            assertThat(within30s(() -> lateForTheTable(again), l -> l == 1.0)).isEqualTo(1.0);
            assertThat(row(again, "u1"))
                    .as("the processor's rows were restored: the older event did not replace u1's")
                    .isEqualTo("200 {\"key\":{\"user_id\":\"u1\"},\"value\":{\"amount\":7,\"status\":\"paid\"},"
                            + "\"time\":\"" + T.plusSeconds(30) + "\"}");
        } finally {
            again.close();
        }
    }
}
