package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.server.live.LiveHub;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live push over real HTTP on the ecommerce example: SSE updates in order per row, resume with
 * {@code Last-Event-ID} (from the replay buffer, and from a store snapshot when the buffer no longer reaches
 * back), and the same over WebSocket ({@code last_id}) with subscribe filters, unsubscribe and errors. (Queue
 * coalescing, disconnecting a client that stays behind and isolation from a stuck client, over both transports,
 * are in StuckClientIT.)
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveIT {
    @TempDir
    static Path dir;

    static RunningPipeline running;
    static SluiceRuntime runtime;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
        running = RunningPipeline.start(
                dir,
                "live",
                null,
                o -> o.withLive(new LiveHub.Settings(
                        40, 1_000, Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(10))));
        runtime = running.runtime;
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    static String base() {
        return "http://127.0.0.1:" + runtime.httpPort();
    }

    /**
     * One minute for every order of this class: a test that checks a row's versions must not see its orders
     * split over two windows because the wall clock passed a minute boundary between two posts.
     */
    static Instant at = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);

    /** A paid order in this class's minute; all orders of one (country, currency) update one row. */
    static String order(String id, String country, String currency, double amount) {
        return order(id, country, currency, amount, at);
    }

    /** A paid order at {@code at}. */
    static String order(String id, String country, String currency, double amount, Instant at) {
        return "{\"event_id\":\"" + id + "\",\"order_id\":\"o-" + id + "\",\"user_id\":\"u-" + id + "\",\"country\":\""
                + country + "\",\"currency\":\"" + currency + "\",\"amount\":" + amount + ",\"status\":\"paid\","
                + "\"created_at\":\"" + at + "\"}";
    }

    static void post(List<String> events) throws Exception {
        postTo(runtime.httpPort(), events);
    }

    static void postTo(int port, List<String> events) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/streams/orders/events"))
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(String.join("\n", events)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** An SSE connection; events arrive in a queue as (id, type, json). */
    static final class Sse implements AutoCloseable {
        /** @param receivedMs when the reader thread read it (epoch ms) */
        record Event(String id, String type, JsonNode data, long receivedMs) {}

        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final Thread reader;
        volatile Stream<String> lines;

        Sse(String path, String lastEventId) throws Exception {
            this(base(), path, lastEventId);
        }

        Sse(String base, String path, String lastEventId) throws Exception {
            HttpRequest.Builder b =
                    HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<Stream<String>> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(r.statusCode()).isEqualTo(200);
            lines = r.body();
            reader = Thread.ofVirtual().start(() -> {
                String id = null;
                String type = "message";
                try {
                    for (String line : (Iterable<String>) lines::iterator) {
                        if (line.startsWith("id:")) {
                            id = line.substring(3).trim();
                        } else if (line.startsWith("event:")) {
                            type = line.substring(6).trim();
                        } else if (line.startsWith("data:")) {
                            events.add(new Event(
                                    id,
                                    type,
                                    OrdersScenario.JSON.readTree(
                                            line.substring(5).trim()),
                                    System.currentTimeMillis()));
                            id = null;
                            type = "message";
                        }
                    }
                } catch (Exception e) {
                    // closed
                }
            });
        }

        /**
         * Waits for the server's {@code subscribed} acknowledgement (every update after it reaches this client),
         * which comes before any update; returns the id of the view's last update before the subscription.
         */
        long awaitSubscribed() throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                Event e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null && !e.type().equals("status")) {
                    assertThat(e.type())
                            .as("no update before the acknowledgement")
                            .isEqualTo("subscribed");
                    return e.data().get("id").asLong();
                }
            }
            throw new AssertionError("no subscribed event within 30 s");
        }

        /** Updates until one satisfies {@code done}, or the timeout. */
        List<Event> updatesUntil(java.util.function.Predicate<Event> done, Duration timeout) throws Exception {
            List<Event> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Event e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null && e.type().equals("update")) {
                    out.add(e);
                    if (done.test(e)) {
                        return out;
                    }
                }
            }
            return out;
        }

        @Override
        public void close() {
            lines.close();
            reader.interrupt();
        }
    }

    static boolean row(Sse.Event e, String country, String currency) {
        return e.data().get("row").get("country").asText().equals(country)
                && e.data().get("row").get("currency").asText().equals(currency);
    }

    @Test
    @Order(1)
    void updatesOfARowArriveInOrderUpToTheLatest() throws Exception {
        long sentBefore = stats().get("views")
                .get("gmv_by_country")
                .get("latency_ms")
                .get("count")
                .asLong();
        try (Sse sse = new Sse("/v1/live/gmv_by_country?country=DE", null)) {
            sse.awaitSubscribed();
            long posted = System.currentTimeMillis();
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                events.add(order("ord-" + i, "DE", "EUR", 10));
                events.add(order("other-" + i, "FR", "EUR", 10)); // filtered out
            }
            for (int i = 0; i < 30; i += 5) {
                post(events.subList(i * 2, i * 2 + 10));
            }
            List<Sse.Event> got = sse.updatesUntil(
                    e -> row(e, "DE", "EUR")
                            && e.data().get("row").get("version").asLong() == 30,
                    Duration.ofSeconds(30));
            assertThat(got)
                    .allSatisfy(
                            e -> assertThat(e.data().get("row").get("country").asText())
                                    .isEqualTo("DE"));
            List<Long> versions = got.stream()
                    .filter(e -> row(e, "DE", "EUR"))
                    .map(e -> e.data().get("row").get("version").asLong())
                    .toList();
            assertThat(versions).isNotEmpty().isSorted().doesNotHaveDuplicates().endsWith(30L);
            Sse.Event last = got.get(got.size() - 1);
            assertThat(last.data().get("row").get("gmv").asDouble()).isEqualTo(300.0);
            assertThat(last.data().get("lag").has("events")).isTrue();
            // the source time is the event time (the orders carry no sent_at); the latency is measured from it
            // to the fan-out, which happened after the post and before this client read the update
            long lowest = Long.MAX_VALUE;
            long highest = 0;
            for (Sse.Event e : got) {
                assertThat(e.data().get("source_ms").asLong()).isEqualTo(at.toEpochMilli());
                assertThat(e.data().get("latency_ms").asLong())
                        .isBetween(posted - at.toEpochMilli(), e.receivedMs() - at.toEpochMilli());
                lowest = Math.min(lowest, e.data().get("latency_ms").asLong());
                highest = Math.max(highest, e.receivedMs() - at.toEpochMilli());
            }
            List<Long> ids = got.stream().map(e -> Long.parseLong(e.id())).toList();
            assertThat(ids).isSorted().doesNotHaveDuplicates();
            // every update written to this client, and nothing else, went into the view's latency histogram
            // (source → written), between the fan-out and the client's read (to HdrHistogram's 3 digits)
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            JsonNode lat;
            do {
                lat = stats().get("views").get("gmv_by_country").get("latency_ms");
            } while (lat.get("count").asLong() < sentBefore + got.size() && System.nanoTime() < deadline);
            // the server records an update's latency after writing it, which can be a few ms after this client read
            // it; every recorded value was recorded before the stats that hold it were read
            long readBy = System.currentTimeMillis() - at.toEpochMilli();
            assertThat(lat.get("count").asLong()).isEqualTo(sentBefore + got.size());
            assertThat(sentBefore)
                    .as("this test runs first: the histogram holds only its updates")
                    .isZero();
            org.HdrHistogram.Histogram digits = new org.HdrHistogram.Histogram(3);
            for (String p : List.of("p50", "p99")) {
                assertThat(lat.get(p).asLong())
                        .as(p)
                        .isBetween(
                                digits.lowestEquivalentValue(lowest),
                                digits.highestEquivalentValue(Math.max(highest, readBy)));
            }
        }
    }

    @Test
    void aClientResumesWithLastEventIdFromTheBufferOrASnapshot() throws Exception {
        String lastId;
        List<Long> seen;
        try (Sse sse = new Sse("/v1/live/gmv_by_country?country=GB", null)) {
            sse.awaitSubscribed();
            // one post per version: the processor sends a row once per commit interval with every event so far
            post(List.of(order("gb-1", "GB", "GBP", 5)));
            awaitVersion("GB", "GBP", 1);
            post(List.of(order("gb-2", "GB", "GBP", 5)));
            List<Sse.Event> got =
                    sse.updatesUntil(e -> e.data().get("row").get("version").asLong() == 2, Duration.ofSeconds(30));
            seen = got.stream()
                    .map(e -> e.data().get("row").get("version").asLong())
                    .toList();
            lastId = got.get(got.size() - 1).id();
        }
        // missed while away: within the replay buffer (40), one post per version as above
        post(List.of(order("gb-3", "GB", "GBP", 5)));
        awaitVersion("GB", "GBP", 3);
        post(List.of(order("gb-4", "GB", "GBP", 5)));
        awaitVersion("GB", "GBP", 4);
        try (Sse again = new Sse("/v1/live/gmv_by_country?country=GB", lastId)) {
            List<Sse.Event> missed =
                    again.updatesUntil(e -> e.data().get("row").get("version").asLong() == 4, Duration.ofSeconds(10));
            // every missed update, each once, in order, under its own id, none a snapshot
            assertThat(missed.stream()
                            .map(e -> e.data().get("row").get("version").asLong())
                            .toList())
                    .isEqualTo(missedAfter(seen));
            assertThat(missed.stream().map(e -> Long.parseLong(e.id())).toList())
                    .isSorted()
                    .doesNotHaveDuplicates()
                    .allMatch(id -> id > Long.parseLong(lastId));
            assertThat(missed).noneMatch(e -> e.data().has("snapshot"));
            assertThat(again.awaitSubscribed())
                    .isGreaterThanOrEqualTo(Long.parseLong(missed.get(1).id()));
        }
        // away for longer than the buffer reaches back: the current rows instead
        pushOutOfTheReplayBuffer("US", "USD");
        post(List.of(order("gb-5", "GB", "GBP", 5)));
        awaitVersion("GB", "GBP", 5);
        try (Sse again = new Sse("/v1/live/gmv_by_country?country=GB", lastId)) {
            List<Sse.Event> snap =
                    again.updatesUntil(e -> e.data().get("row").get("version").asLong() == 5, Duration.ofSeconds(10));
            assertThat(snap).isNotEmpty();
            assertThat(snap.get(snap.size() - 1).data().get("snapshot").asBoolean())
                    .isTrue();
            assertThat(snap.get(snap.size() - 1).data().get("row").get("gmv").asDouble())
                    .isEqualTo(25.0);
        }
    }

    static JsonNode stats() throws Exception {
        return OrdersScenario.JSON.readTree(HTTP.send(
                        HttpRequest.newBuilder(URI.create(base() + "/v1/stats")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body());
    }

    static void awaitVersion(String country, String currency, long version) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(
                                    base() + "/v1/views/gmv_by_country?country=" + country + "&currency=" + currency))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            for (JsonNode row : OrdersScenario.JSON.readTree(r.body()).get("rows")) {
                if (row.get("version").asLong() >= version) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("row " + country + "/" + currency + " never reached version " + version);
    }

    /** A WebSocket on {@code /v1/ws}; messages arrive in a queue as JSON. */
    static final class Ws implements AutoCloseable {
        final BlockingQueue<JsonNode> in = new LinkedBlockingQueue<>();
        final WebSocket ws;

        Ws() throws Exception {
            this(base());
        }

        Ws(String base) throws Exception {
            ws = HTTP.newWebSocketBuilder()
                    .buildAsync(URI.create(base.replace("http", "ws") + "/v1/ws"), new WebSocket.Listener() {
                        final StringBuilder sb = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            sb.append(data);
                            if (last) {
                                try {
                                    in.add(OrdersScenario.JSON.readTree(sb.toString()));
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                                sb.setLength(0);
                            }
                            w.request(1);
                            return null;
                        }
                    })
                    .get(10, TimeUnit.SECONDS);
        }

        void send(String text) throws Exception {
            ws.sendText(text, true).get(10, TimeUnit.SECONDS);
        }

        /** Updates until one satisfies {@code done}, or the timeout. */
        List<JsonNode> updatesUntil(java.util.function.Predicate<JsonNode> done, Duration timeout) throws Exception {
            List<JsonNode> out = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                JsonNode m = in.poll(100, TimeUnit.MILLISECONDS);
                if (m != null && m.get("type").asText().equals("update")) {
                    out.add(m);
                    if (done.test(m)) {
                        return out;
                    }
                }
            }
            return out;
        }

        @Override
        public void close() {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                ws.abort(); // the server closed it already
            }
        }
    }

    static long version(JsonNode update) {
        return update.get("row").get("version").asLong();
    }

    @Test
    void aWebSocketSubscribesWithAFilterAndUnsubscribes() throws Exception {
        try (Ws ws = new Ws()) {
            BlockingQueue<JsonNode> in = ws.in;
            ws.send("{\"op\":\"subscribe\",\"view\":\"nope\"}");
            JsonNode err = next(in, "error");
            assertThat(err.get("message").asText()).contains("unknown view 'nope'");
            ws.send("{\"op\":\"subscribe\",\"view\":\"gmv_by_country\",\"filter\":{\"cntry\":\"JP\"}}");
            assertThat(next(in, "error").get("message").asText()).contains("unknown field 'cntry'");
            ws.send("{\"op\":\"subscribe\",\"view\":\"gmv_by_country\",\"last_id\":\"x1\"}");
            assertThat(next(in, "error").get("message").asText()).contains("last_id must be the id");

            String jp = "{\"op\":\"subscribe\",\"view\":\"gmv_by_country\",\"filter\":{\"country\":\"JP\"}}";
            ws.send(jp);
            assertThat(next(in, "subscribed").get("view").asText()).isEqualTo("gmv_by_country");
            post(List.of(order("jp-1", "JP", "JPY", 7), order("es-1", "ES", "EUR", 7)));
            JsonNode u = next(in, "update");
            assertThat(u.get("row").get("country").asText()).isEqualTo("JP");
            assertThat(u.get("row").get("gmv").asDouble()).isEqualTo(7.0);
            assertThat(next(in, "status").get("sla_ms").asLong()).isEqualTo(5000);

            ws.send("{\"op\":\"unsubscribe\",\"view\":\"gmv_by_country\"}");
            // the server handles a socket's messages in order: once this one is answered, the unsubscribe holds
            ws.send("{\"op\":\"subscribe\",\"view\":\"nope\"}");
            next(in, "error");
            try (Ws witness = new Ws()) {
                witness.send(jp);
                next(witness.in, "subscribed");
                post(List.of(order("jp-2", "JP", "JPY", 7)));
                assertThat(version(next(witness.in, "update"))).isEqualTo(2);
            }
            // the update was fanned out to every subscriber before the witness got it; a subscription's
            // acknowledgement queues behind anything already queued for this client, so none came before it
            ws.send(jp);
            List<JsonNode> before = new ArrayList<>();
            JsonNode m;
            while (!(m = next(in, null)).get("type").asText().equals("subscribed")) {
                before.add(m);
            }
            assertThat(before).noneMatch(x -> x.get("type").asText().equals("update"));
        }
    }

    @Test
    void webSocketUpdatesOfARowArriveInOrderUpToTheLatest() throws Exception {
        try (Ws ws = new Ws()) {
            ws.send("{\"op\":\"subscribe\",\"view\":\"gmv_by_country\",\"filter\":{\"country\":\"IT\"}}");
            next(ws.in, "subscribed");
            List<String> events = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                events.add(order("it-" + i, "IT", "EUR", 10));
                events.add(order("nl-" + i, "NL", "EUR", 10)); // filtered out
            }
            for (int i = 0; i < 30; i += 5) {
                post(events.subList(i * 2, i * 2 + 10));
            }
            List<JsonNode> got = ws.updatesUntil(
                    m -> m.get("row").get("country").asText().equals("IT") && version(m) == 30, Duration.ofSeconds(30));
            assertThat(got)
                    .allSatisfy(m ->
                            assertThat(m.get("row").get("country").asText()).isEqualTo("IT"));
            assertThat(got.stream().map(LiveIT::version).toList())
                    .isNotEmpty()
                    .isSorted()
                    .doesNotHaveDuplicates()
                    .endsWith(30L);
            assertThat(got.get(got.size() - 1).get("row").get("gmv").asDouble()).isEqualTo(300.0);
            assertThat(got.stream().map(m -> m.get("id").asLong()).toList())
                    .isSorted()
                    .doesNotHaveDuplicates();
        }
    }

    @Test
    void aWebSocketResumesWithLastIdFromTheBufferOrASnapshot() throws Exception {
        String sub = "{\"op\":\"subscribe\",\"view\":\"gmv_by_country\",\"filter\":{\"country\":\"PL\"}";
        String lastId;
        List<Long> seen;
        try (Ws ws = new Ws()) {
            ws.send(sub + "}");
            next(ws.in, "subscribed");
            post(List.of(order("pl-1", "PL", "PLN", 5)));
            awaitVersion("PL", "PLN", 1);
            post(List.of(order("pl-2", "PL", "PLN", 5)));
            List<JsonNode> got = ws.updatesUntil(m -> version(m) == 2, Duration.ofSeconds(30));
            seen = got.stream().map(LiveIT::version).toList();
            lastId = got.get(got.size() - 1).get("id").asText();
        }
        // missed while away: within the replay buffer (40), one post per version as above
        post(List.of(order("pl-3", "PL", "PLN", 5)));
        awaitVersion("PL", "PLN", 3);
        post(List.of(order("pl-4", "PL", "PLN", 5)));
        awaitVersion("PL", "PLN", 4);
        try (Ws again = new Ws()) {
            again.send(sub + ",\"last_id\":\"" + lastId + "\"}");
            List<JsonNode> missed = again.updatesUntil(m -> version(m) == 4, Duration.ofSeconds(10));
            // every missed update, each once, in order, under its own id, none a snapshot
            assertThat(missed.stream().map(LiveIT::version).toList()).isEqualTo(missedAfter(seen));
            assertThat(missed.stream().map(m -> m.get("id").asLong()).toList())
                    .isSorted()
                    .doesNotHaveDuplicates()
                    .allMatch(id -> id > Long.parseLong(lastId));
            assertThat(missed).noneMatch(m -> m.has("snapshot"));
        }
        // away for longer than the buffer reaches back: the current rows instead
        pushOutOfTheReplayBuffer("CA", "CAD");
        post(List.of(order("pl-5", "PL", "PLN", 5)));
        awaitVersion("PL", "PLN", 5);
        try (Ws again = new Ws()) {
            again.send(sub + ",\"last_id\":\"" + lastId + "\"}");
            List<JsonNode> snap = again.updatesUntil(m -> version(m) == 5, Duration.ofSeconds(10));
            assertThat(snap).isNotEmpty();
            JsonNode last = snap.get(snap.size() - 1);
            assertThat(last.get("snapshot").asBoolean()).isTrue();
            assertThat(last.get("row").get("gmv").asDouble()).isEqualTo(25.0);
        }
    }

    /**
     * Makes 45 updates of another row, more than the replay buffer holds (40), so an older id is no longer in it:
     * one post per update, each waiting for the row's new version (the processor sends a row once per commit
     * interval with every event counted so far, so orders posted together would make one update).
     */
    static void pushOutOfTheReplayBuffer(String country, String currency) throws Exception {
        for (int i = 1; i <= 45; i++) {
            post(List.of(order(country.toLowerCase(java.util.Locale.ROOT) + "-" + i, country, currency, 1)));
            awaitVersion(country, currency, i);
        }
    }

    /**
     * What a client that saw these versions of a row (1 and 2, or only 2 when the two were coalesced in its
     * queue and sent under the first one's id) gets on resuming after its last id, once versions 3 and 4
     * followed: every update after that id, so version 2 again when it came under version 1's id.
     */
    static List<Long> missedAfter(List<Long> seen) {
        assertThat(seen).isIn(List.of(1L, 2L), List.of(2L));
        return seen.size() == 2 ? List.of(3L, 4L) : List.of(2L, 3L, 4L);
    }

    /** The next message of {@code type} (any type when null), skipping others, within 30 s. */
    static JsonNode next(BlockingQueue<JsonNode> in, String type) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode m = in.poll(100, TimeUnit.MILLISECONDS);
            if (m != null && (type == null || m.get("type").asText().equals(type))) {
                return m;
            }
        }
        throw new AssertionError("no " + (type == null ? "" : type + " ") + "message within 30 s");
    }
}
