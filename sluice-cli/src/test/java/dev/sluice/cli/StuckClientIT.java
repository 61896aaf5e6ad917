package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.server.live.LiveHub;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Slow and stuck live clients over real sockets, for SSE and for WebSocket alike. A client that stops reading is
 * disconnected once an update has waited in its queue longer than allowed (and counted), while another client on the
 * same view gets every row's latest version and the pipeline goes on; a client that reads slower than the
 * updates come gets coalesced versions, in order, ending on the latest.
 */
@Tag("slow")
class StuckClientIT {
    private static final String SUBSCRIBE = "{\"op\":\"subscribe\",\"view\":\"gmv_by_country\"%s}";

    @TempDir
    Path dir;

    /** A client's updates as they arrive. */
    private interface Feed extends AutoCloseable {
        /** The updates that arrive within {@code d}. */
        List<JsonNode> updates(Duration d) throws Exception;

        /** Waits for the subscription's acknowledgement: every later update reaches this client. */
        void awaitSubscribed() throws Exception;
    }

    private static Feed healthy(String transport, int port) throws Exception {
        String base = "http://127.0.0.1:" + port;
        if (transport.equals("sse")) {
            LiveIT.Sse sse = new LiveIT.Sse(base, "/v1/live/gmv_by_country", null);
            return new Feed() {
                @Override
                public List<JsonNode> updates(Duration d) throws Exception {
                    return sse.updatesUntil(x -> false, d).stream()
                            .map(LiveIT.Sse.Event::data)
                            .toList();
                }

                @Override
                public void awaitSubscribed() throws Exception {
                    sse.awaitSubscribed();
                }

                @Override
                public void close() {
                    sse.close();
                }
            };
        }
        LiveIT.Ws ws = new LiveIT.Ws(base);
        ws.send(SUBSCRIBE.formatted(""));
        return new Feed() {
            @Override
            public List<JsonNode> updates(Duration d) throws Exception {
                return ws.updatesUntil(x -> false, d);
            }

            @Override
            public void awaitSubscribed() throws Exception {
                LiveIT.next(ws.in, "subscribed");
            }

            @Override
            public void close() throws Exception {
                ws.close();
            }
        };
    }

    private SluiceRuntime start(String name) throws Exception {
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), SharedKafka.uniqueName(name));
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(file);
        SluiceRuntime.Options o = new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC())
                .withLive(new LiveHub.Settings(
                        100, 2_000, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(3)));
        SluiceRuntime rt = SluiceRuntime.start(pipeline, o);
        assertThat(rt.awaitRunning(Duration.ofSeconds(60))).isTrue();
        return rt;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sse", "ws"})
    void aStuckClientIsDroppedAndNobodyElseNotices(String transport) throws Exception {
        try (SluiceRuntime rt = start("stuck-" + transport)) {
            int port = rt.httpPort();
            // the stuck client: subscribes with a tiny receive window, then never reads
            try (RawClient stuck = transport.equals("sse")
                            ? RawClient.sse(port, "/v1/live/gmv_by_country")
                            : RawClient.ws(port, SUBSCRIBE.formatted(""));
                    Feed feed = healthy(transport, port)) {
                // the stuck client reads its acknowledgement, then nothing more
                assertThat(firstMessage(stuck, transport).get("type").asText()).isEqualTo("subscribed");
                feed.awaitSubscribed();
                String[] countries = {"US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "BR", "MX", "JP"};
                String[] currencies = {"USD", "EUR", "GBP", "SEK", "PLN", "BRL", "MXN", "JPY", "INR", "AUD", "CAD"};
                Map<String, long[]> truth = new HashMap<>();
                // the stuck client's kernel buffers fill, its writer blocks, and updates wait in its queue
                long minute = Instant.now().toEpochMilli() / 60_000 * 60_000 - 9 * 60_000;
                int n = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (dropped(port) == 0 && System.nanoTime() < deadline) {
                    List<String> batch = new ArrayList<>();
                    for (int i = 0; i < 500; i++, n++) {
                        String c = countries[n % countries.length];
                        String cur = currencies[(n / countries.length) % currencies.length];
                        // ten one-minute windows: 1,320 rows in flux
                        long window = minute + (long) ((n / 132) % 10) * 60_000;
                        batch.add(LiveIT.order(transport + "-" + n, c, cur, 1)
                                .replaceFirst(
                                        "\"created_at\":\"[^\"]+\"",
                                        "\"created_at\":\"" + Instant.ofEpochMilli(window) + "\""));
                        truth.computeIfAbsent(window + "|" + c + "|" + cur, k -> new long[1])[0]++;
                    }
                    LiveIT.postTo(port, batch);
                }
                assertThat(dropped(port))
                        .as("one client was disconnected and counted")
                        .isEqualTo(1);
                // of the two clients one is left, and the healthy one goes on receiving below: the stuck one was
                // dropped
                assertThat(stats(port).get("live_clients").asLong())
                        .as("clients still connected")
                        .isEqualTo(1);
                // the healthy client ends on every row's latest version
                Map<String, Long> latest = new HashMap<>();
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < until && !reached(latest, truth)) {
                    for (JsonNode u : feed.updates(Duration.ofMillis(200))) {
                        JsonNode row = u.get("row");
                        latest.merge(
                                Instant.parse(row.get("window_start").asText()).toEpochMilli() + "|"
                                        + row.get("country").asText() + "|"
                                        + row.get("currency").asText(),
                                row.get("version").asLong(),
                                Math::max);
                    }
                }
                assertThat(reached(latest, truth))
                        .as("healthy client saw %s of %s rows at their final version", latest.size(), truth.size())
                        .isTrue();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sse", "ws"})
    void aSlowReaderSkipsVersionsButEndsOnTheLatestInOrder(String transport) throws Exception {
        try (SluiceRuntime rt = start("slow-" + transport)) {
            int port = rt.httpPort();
            boolean sse = transport.equals("sse");
            try (RawClient slow = sse
                    ? RawClient.sse(port, "/v1/live/gmv_by_country?country=SE")
                    : RawClient.ws(port, SUBSCRIBE.formatted(",\"filter\":{\"country\":\"SE\"}"))) {
                assertThat(firstMessage(slow, transport).get("type").asText()).isEqualTo("subscribed");
                // one window for all of them, whatever minute boundary the wall clock passes meanwhile
                Instant minute = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
                int n = 1500;
                List<String> batch = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    batch.add(LiveIT.order("slow-" + i, "SE", "SEK", 1, minute));
                }
                LiveIT.postTo(port, batch);
                List<Long> versions = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                String text;
                while (System.nanoTime() < deadline && (text = sse ? slow.readSseData() : slow.readText()) != null) {
                    JsonNode m = OrdersScenario.JSON.readTree(text);
                    if (m.path("type").asText().equals("update")) {
                        long v = m.get("row").get("version").asLong();
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
                        .as("intermediate versions were coalesced away (by the processor, which sends a row once per"
                                + " commit interval, and by the client's queue: SubscriberTest)")
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

    static long dropped(int port) throws Exception {
        return stats(port).get("live_clients_dropped").asLong();
    }

    static JsonNode stats(int port) throws Exception {
        HttpResponse<String> r = LiveIT.HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/stats"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return OrdersScenario.JSON.readTree(r.body());
    }

    /** The first message a raw client reads other than a status. */
    static JsonNode firstMessage(RawClient c, String transport) throws Exception {
        while (true) {
            String text = transport.equals("sse") ? c.readSseData() : c.readText();
            assertThat(text).as("a message before the stream ends").isNotNull();
            JsonNode m = OrdersScenario.JSON.readTree(text);
            if (!m.path("type").asText().equals("status")) {
                return m;
            }
        }
    }
}
