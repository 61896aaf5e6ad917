package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Test data for the ecommerce example and the independent ground truth it is checked against.
 *
 * <p>Events span {@link #span} of event time (20 minutes by default) and are sent shuffled, so many
 * arrive after their 1-minute window ended; over a 20-minute span some arrive after the 10-minute
 * grace too, over a span shorter than the grace none can (whatever order the processor reads them
 * in). A handful are hours late, sent last; a share is sent twice (in the same batch and in later
 * ones); a share breaks the contract. The ground truth is computed here, from the events the server
 * said it accepted, without any Sluice code.
 */
final class OrdersScenario {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] COUNTRIES = {"US", "DE", "FR", "GB", "JP"};
    static final String[] CURRENCIES = {"USD", "EUR", "GBP"};
    static final String[] STATUSES = {"placed", "paid", "paid", "refunded"};

    final Random random;
    final long t0;
    /** Accepted events by id: the only input of the ground truth. */
    final Map<String, JsonNode> accepted = new HashMap<>();
    /** Event ids of the events built to break the contract, and of those the server refused. */
    final Set<String> malformedIds = new HashSet<>();

    final Set<String> refusedIds = new HashSet<>();
    /** Event ids of the orders built three hours older than the rest (late for every view). */
    final Set<String> hoursLateIds = new HashSet<>();
    /** Every event in the order {@link #batches} returned them, copies included. */
    final List<JsonNode> sent = new ArrayList<>();
    /** The event-time span of the regular orders, from {@link #t0}. */
    final long span;

    OrdersScenario(long seed) {
        this(seed, Duration.ofMinutes(20));
    }

    OrdersScenario(long seed, Duration span) {
        this.span = span.toMillis();
        random = new Random(seed);
        // two hours ago, on a minute boundary: far enough back that hours-late events are allowed
        t0 = (Instant.now().minus(Duration.ofHours(2)).toEpochMilli() / 60_000) * 60_000;
    }

    ObjectNode order(int i, long time) {
        ObjectNode o = JSON.createObjectNode();
        o.put("event_id", "ev-" + seedTag() + "-" + i);
        o.put("order_id", "o-" + i);
        o.put("user_id", "u-" + random.nextInt(40));
        o.put("country", COUNTRIES[random.nextInt(COUNTRIES.length)]);
        o.put("currency", CURRENCIES[random.nextInt(CURRENCIES.length)]);
        o.put("amount", new BigDecimal(1 + random.nextInt(50000)).movePointLeft(2));
        o.put("status", STATUSES[random.nextInt(STATUSES.length)]);
        o.put("created_at", Instant.ofEpochMilli(time).toString());
        return o;
    }

    private String tag;

    String seedTag() {
        if (tag == null) {
            tag = Long.toString(Math.abs(random.nextLong()) % 1_000_000, 36);
        }
        return tag;
    }

    /** Ways an event can break the orders contract. */
    ObjectNode malformed(int i, long time) {
        ObjectNode o = order(i, time);
        malformedIds.add(o.get("event_id").asText());
        switch (i % 5) {
            case 0 -> o.put("amount", -5);
            case 1 -> o.put("status", "shipped");
            case 2 -> o.remove("user_id");
            case 3 -> o.put("created_at", "yesterday");
            default -> o.put("country", "Narnia");
        }
        return o;
    }

    /**
     * Batches to send: {@code n} valid orders over {@link #span} (shuffled), 5% sent again, 3%
     * malformed, and {@code hoursLate} orders three hours older than the rest, sent last.
     */
    List<List<JsonNode>> batches(int n, int hoursLate, int batchSize) {
        List<JsonNode> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(order(i, someTime()));
        }
        for (int i = 0; i < n * 3 / 100; i++) {
            events.add(malformed(n + i, someTime()));
        }
        Collections.shuffle(events, random);
        List<JsonNode> dups = new ArrayList<>();
        for (int i = 0; i < n * 5 / 100; i++) {
            dups.add(events.get(random.nextInt(events.size())).deepCopy());
        }
        // duplicates go both right after their original and much later
        for (JsonNode d : dups) {
            int at = Math.min(events.size(), random.nextInt(events.size()) + 1);
            events.add(at, d);
        }
        for (int i = 0; i < hoursLate; i++) {
            ObjectNode late = order(n * 2 + i, t0 - Duration.ofHours(3).toMillis() + random.nextInt(60_000));
            hoursLateIds.add(late.get("event_id").asText());
            events.add(late);
        }
        sent.addAll(events);
        List<List<JsonNode>> out = new ArrayList<>();
        for (int i = 0; i < events.size(); i += batchSize) {
            out.add(events.subList(i, Math.min(events.size(), i + batchSize)));
        }
        return out;
    }

    /** A regular order's event time: within {@link #span} from {@link #t0}. */
    long someTime() {
        return t0 + random.nextInt((int) span);
    }

    /** How many of the sent events (copies included) have one of these ids. */
    long copiesOf(Set<String> ids) {
        return sent.stream()
                .filter(e -> ids.contains(e.path("event_id").asText()))
                .count();
    }

    static String ndjson(List<JsonNode> batch) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : batch) {
            sb.append(e.toString()).append('\n');
        }
        return sb.toString();
    }

    /** Posts a batch, records what was accepted, and returns the response. */
    HttpResponse<String> send(HttpClient http, int port, List<JsonNode> batch, boolean asNdjson) throws Exception {
        String body = asNdjson ? ndjson(batch) : JSON.writeValueAsString(batch);
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/streams/orders/events"))
                .header("Content-Type", asNdjson ? "application/x-ndjson" : "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() == 200 || resp.statusCode() == 207 || resp.statusCode() == 422) {
            JsonNode results = JSON.readTree(resp.body()).get("results");
            for (JsonNode r : results) {
                if ("accepted".equals(r.get("status").asText())) {
                    JsonNode e = batch.get(r.get("index").asInt());
                    accepted.put(r.get("id").asText(), e);
                } else {
                    refusedIds.add(
                            batch.get(r.get("index").asInt()).path("event_id").asText());
                }
            }
        }
        return resp;
    }

    /** Expected rows of gmv_by_country, keyed "window_start|country|currency". */
    Map<String, Expected> groundTruth() {
        Map<String, Expected> out = new TreeMap<>();
        for (JsonNode e : accepted.values()) {
            if (!"paid".equals(e.get("status").asText())) {
                continue;
            }
            long t = Instant.parse(e.get("created_at").asText()).toEpochMilli();
            long start = Math.floorDiv(t, 60_000L) * 60_000L;
            String k = Instant.ofEpochMilli(start) + "|" + e.get("country").asText() + "|"
                    + e.get("currency").asText();
            Expected x = out.computeIfAbsent(k, kk -> new Expected());
            x.orders++;
            x.gmv = x.gmv.add(e.get("amount").decimalValue());
            x.buyers.add(e.get("user_id").asText());
        }
        return out;
    }

    static final class Expected {
        long orders;
        BigDecimal gmv = BigDecimal.ZERO;
        Set<String> buyers = new HashSet<>();

        @Override
        public String toString() {
            return "orders=" + orders + " gmv=" + gmv + " buyers=" + buyers.size();
        }
    }

    /** Rows of the view from the query API, keyed like the ground truth. */
    static Map<String, JsonNode> queried(HttpClient http, int port) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/views/gmv_by_country"))
                .timeout(Duration.ofSeconds(30))
                .build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) {
            throw new IllegalStateException("query answered " + resp.statusCode() + ": " + resp.body());
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode r : JSON.readTree(resp.body()).get("rows")) {
            String start = Instant.parse(r.get("window_start").asText()).toString();
            out.put(
                    start + "|" + r.get("country").asText() + "|"
                            + r.get("currency").asText(),
                    r);
        }
        return out;
    }

    /** Differences between the query API and the ground truth; empty when they agree. */
    static List<String> compare(Map<String, Expected> truth, Map<String, JsonNode> rows) {
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<String, Expected> e : truth.entrySet()) {
            JsonNode r = rows.get(e.getKey());
            Expected x = e.getValue();
            if (r == null) {
                diffs.add(e.getKey() + ": missing, expected " + x);
                continue;
            }
            if (r.get("orders").asLong() != x.orders
                    || r.get("gmv").asDouble() != x.gmv.doubleValue()
                    || !DistinctBound.accepts(x.buyers.size(), r.get("buyers").asLong())
                    || r.get("version").asLong() != x.orders) {
                diffs.add(e.getKey() + ": got " + r + ", expected " + x);
            }
        }
        for (String k : rows.keySet()) {
            if (!truth.containsKey(k)) {
                diffs.add(k + ": unexpected row " + rows.get(k));
            }
        }
        return diffs;
    }

    /** Copies the ecommerce example into {@code dir}, renaming the pipeline and its input topic. */
    static Path copyExample(Path dir, String pipelineName) throws Exception {
        Path src = Path.of("..", "examples", "ecommerce");
        Files.createDirectories(dir.resolve("schemas"));
        Files.copy(src.resolve("schemas/orders.schema.json"), dir.resolve("schemas/orders.schema.json"));
        String yaml = Files.readString(src.resolve("pipeline.yaml"))
                .replace("pipeline: ecommerce", "pipeline: " + pipelineName)
                .replace("topic: orders ", "topic: " + pipelineName + "-orders ");
        Path file = dir.resolve("pipeline.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
