package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.server.live.LiveHub;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that stops reading its SSE stream, over a real socket: the server disconnects it once it is behind
 * by more rows than its queue holds (and counts it), while another client on the same view gets every row's
 * latest version and the pipeline goes on.
 */
@Tag("slow")
class StuckClientIT {
    @TempDir
    Path dir;

    @Test
    void aStuckClientIsDroppedAndNobodyElseNotices() throws Exception {
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), SharedKafka.uniqueName("stuck"));
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(file);
        SluiceRuntime.Options o = new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC())
                .withLive(new LiveHub.Settings(100, 300, Duration.ofSeconds(1), Duration.ofMillis(500)));
        try (SluiceRuntime rt = SluiceRuntime.start(pipeline, o)) {
            assertThat(rt.awaitRunning(Duration.ofSeconds(60))).isTrue();
            int port = rt.httpPort();
            // the stuck client: asks for the stream with a tiny receive window, then never reads
            Socket stuck = new Socket();
            stuck.setReceiveBufferSize(1024);
            stuck.connect(new java.net.InetSocketAddress("127.0.0.1", port));
            OutputStream req = stuck.getOutputStream();
            req.write(("GET /v1/live/gmv_by_country HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            req.flush();
            try (LiveIT.Sse healthy = sse(port)) {
                Thread.sleep(500);
                String[] countries = {"US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "BR", "MX", "JP"};
                String[] currencies = {"USD", "EUR", "GBP", "SEK", "PLN", "BRL", "MXN", "JPY", "INR", "AUD", "CAD"};
                Map<String, long[]> truth = new HashMap<>();
                // ten one-minute windows: 1,320 rows in flux, more than a client's queue (300) holds
                long minute = Instant.now().toEpochMilli() / 60_000 * 60_000 - 9 * 60_000;
                int n = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (dropped(port) == 0 && System.nanoTime() < deadline) {
                    List<String> batch = new ArrayList<>();
                    for (int i = 0; i < 500; i++, n++) {
                        String c = countries[n % countries.length];
                        String cur = currencies[(n / countries.length) % currencies.length];
                        batch.add(LiveIT.order("st-" + n, c, cur, 1)
                                .replaceFirst(
                                        "\"created_at\":\"[^\"]+\"",
                                        "\"created_at\":\"" + Instant.ofEpochMilli(minute) + "\""));
                        truth.computeIfAbsent(c + "|" + cur, k -> new long[1])[0]++;
                    }
                    LiveIT.postTo(port, batch);
                }
                assertThat(dropped(port))
                        .as("the stuck client was disconnected and counted")
                        .isPositive();
                // the healthy client ends on every row's latest version
                Map<String, Long> latest = new HashMap<>();
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < until && !reached(latest, truth)) {
                    for (LiveIT.Sse.Event e : healthy.updatesUntil(x -> true, Duration.ofMillis(200))) {
                        JsonNode row = e.data().get("row");
                        latest.merge(
                                row.get("country").asText() + "|"
                                        + row.get("currency").asText(),
                                row.get("version").asLong(),
                                Math::max);
                    }
                }
                assertThat(reached(latest, truth))
                        .as("healthy client saw %s of %s rows at their final version", latest.size(), truth.size())
                        .isTrue();
            } finally {
                stuck.close();
            }
        }
    }

    @Test
    void aSlowReaderSkipsVersionsButEndsOnTheLatestInOrder() throws Exception {
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), SharedKafka.uniqueName("slow"));
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(file);
        SluiceRuntime.Options o = new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC())
                .withLive(new LiveHub.Settings(100, 300, Duration.ofSeconds(1), Duration.ofMillis(500)));
        try (SluiceRuntime rt = SluiceRuntime.start(pipeline, o)) {
            assertThat(rt.awaitRunning(Duration.ofSeconds(60))).isTrue();
            int port = rt.httpPort();
            try (Socket slow = new Socket()) {
                slow.setReceiveBufferSize(1024);
                slow.connect(new java.net.InetSocketAddress("127.0.0.1", port));
                slow.getOutputStream()
                        .write(("GET /v1/live/gmv_by_country?country=SE HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        + "Accept: text/event-stream\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(500);
                int n = 1500;
                List<String> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    batch.add(LiveIT.order("slow-" + i, "SE", "SEK", 1));
                }
                LiveIT.postTo(port, batch);
                java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(slow.getInputStream(), StandardCharsets.UTF_8));
                List<Long> versions = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                String line;
                while (System.nanoTime() < deadline && (line = in.readLine()) != null) {
                    if (line.startsWith("data:") && line.contains("\"type\":\"update\"")) {
                        long v = OrdersScenario.JSON
                                .readTree(line.substring(5).trim())
                                .get("row")
                                .get("version")
                                .asLong();
                        versions.add(v);
                        if (v == n) {
                            break;
                        }
                        Thread.sleep(30); // a reader slower than the updates
                    }
                }
                assertThat(versions).as("versions received").isSorted().doesNotHaveDuplicates();
                assertThat(versions).last().isEqualTo((long) n);
                assertThat(versions.size())
                        .as("intermediate versions were coalesced away")
                        .isLessThan(n);
            }
        }
    }

    static boolean reached(Map<String, Long> latest, Map<String, long[]> truth) {
        for (Map.Entry<String, long[]> t : truth.entrySet()) {
            Long v = latest.get(t.getKey());
            if (v == null || v < t.getValue()[0]) {
                return false;
            }
        }
        return true;
    }

    static LiveIT.Sse sse(int port) throws Exception {
        return new LiveIT.Sse("http://127.0.0.1:" + port, "/v1/live/gmv_by_country", null);
    }

    static long dropped(int port) throws Exception {
        HttpResponse<String> r = LiveIT.HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/stats"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return OrdersScenario.JSON
                .readTree(r.body())
                .get("live_clients_dropped")
                .asLong();
    }
}
