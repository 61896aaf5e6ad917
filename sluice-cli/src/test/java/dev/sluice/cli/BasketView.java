package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A second view over the orders stream, added to a test copy of the example: hopping windows, a
 * derived group field, and the measures the example does not use (min, max, avg and the
 * quantiles). Its ground truth is computed here from the accepted events, without Sluice code.
 */
final class BasketView {
    static final String NAME = "basket_sizes";
    static final long SIZE = 10 * 60_000L;
    static final long ADVANCE = 5 * 60_000L;
    /** KLL at k 200: normalized rank error about 1.65% (99% confidence); allow twice that. */
    static final double RANK_ERROR = 0.033;
    /** KLL at k 200 keeps every value, so answers exactly, until it first compacts (more than k values). */
    static final int KLL_EXACT = 200;

    static final String YAML = """
              basket_sizes:
                from: orders
                derive:
                  big: 'amount >= 100.0'
                window:
                  type: hopping
                  size: 10m
                  advance: 5m
                  grace: 10m
                group_by: [country, big]
                measures:
                  n: count
                  smallest: min(amount)
                  largest: max(amount)
                  mean: avg(amount)
                  median: p50(amount)
                  high: p95(amount)
                  top: p99(amount)
            """;

    private BasketView() {}

    /** Adds the view to a copied pipeline file. */
    static void addTo(Path file) throws Exception {
        Files.writeString(file, added(Files.readString(file)));
    }

    /** A pipeline file's text with the view added before its sinks. */
    static String added(String yaml) {
        String marker = "\nsinks:";
        if (!yaml.contains(marker)) {
            throw new IllegalStateException("no sinks section in the pipeline file");
        }
        return yaml.replace(marker, "\n" + YAML + marker);
    }

    /** Amounts per row, keyed "window_start|country|big". */
    static Map<String, List<BigDecimal>> truth(Collection<JsonNode> accepted) {
        Map<String, List<BigDecimal>> out = new TreeMap<>();
        for (JsonNode e : accepted) {
            long t = Instant.parse(e.get("created_at").asText()).toEpochMilli();
            BigDecimal amount = e.get("amount").decimalValue();
            boolean big = amount.compareTo(BigDecimal.valueOf(100)) >= 0;
            long last = Math.floorDiv(t, ADVANCE) * ADVANCE;
            for (long start = last; start > t - SIZE; start -= ADVANCE) {
                String k = Instant.ofEpochMilli(start) + "|" + e.get("country").asText() + "|" + big;
                out.computeIfAbsent(k, x -> new ArrayList<>()).add(amount);
            }
        }
        return out;
    }

    static Map<String, JsonNode> queried(HttpClient http, int port) throws Exception {
        HttpResponse<String> resp = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/views/" + NAME))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) {
            throw new IllegalStateException("query answered " + resp.statusCode() + ": " + resp.body());
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode r : OrdersScenario.JSON.readTree(resp.body()).get("rows")) {
            String start = Instant.parse(r.get("window_start").asText()).toString();
            long end = Instant.parse(r.get("window_end").asText()).toEpochMilli();
            if (end - Instant.parse(start).toEpochMilli() != SIZE) {
                throw new IllegalStateException("window of the wrong size: " + r);
            }
            out.put(start + "|" + r.get("country").asText() + "|" + r.get("big").asText(), r);
        }
        return out;
    }

    static List<String> compare(Map<String, List<BigDecimal>> truth, Map<String, JsonNode> rows) {
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<String, List<BigDecimal>> e : truth.entrySet()) {
            JsonNode r = rows.get(e.getKey());
            List<BigDecimal> xs = new ArrayList<>(e.getValue());
            xs.sort(null);
            if (r == null) {
                diffs.add(e.getKey() + ": missing, expected n=" + xs.size());
                continue;
            }
            BigDecimal sum = xs.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
            double mean = sum.divide(BigDecimal.valueOf(xs.size()), MathContext.DECIMAL64)
                    .doubleValue();
            List<String> wrong = new ArrayList<>();
            if (r.get("n").asLong() != xs.size()) {
                wrong.add("n");
            }
            if (r.get("smallest").asDouble() != xs.get(0).doubleValue()) {
                wrong.add("smallest");
            }
            if (r.get("largest").asDouble() != xs.get(xs.size() - 1).doubleValue()) {
                wrong.add("largest");
            }
            if (Math.abs(r.get("mean").asDouble() - mean) > 1e-9 * Math.abs(mean)) {
                wrong.add("mean");
            }
            checkQuantile(xs, r.get("median").asDouble(), 0.50, "median", wrong);
            checkQuantile(xs, r.get("high").asDouble(), 0.95, "high", wrong);
            checkQuantile(xs, r.get("top").asDouble(), 0.99, "top", wrong);
            if (!wrong.isEmpty()) {
                diffs.add(e.getKey() + ": wrong " + wrong + " in " + r + ", expected n=" + xs.size() + " min="
                        + xs.get(0) + " max=" + xs.get(xs.size() - 1) + " mean=" + mean);
            }
        }
        for (String k : rows.keySet()) {
            if (!truth.containsKey(k)) {
                diffs.add(k + ": unexpected row " + rows.get(k));
            }
        }
        return diffs;
    }

    /**
     * A quantile estimate must be one of the measured values (KLL returns retained items), so it lies
     * between the minimum and the maximum. Up to {@link #KLL_EXACT} values the sketch has not compacted
     * and is exact: the answer is the smallest value whose rank reaches {@code p} (DataSketches'
     * inclusive rule, {@code sorted[ceil(p n) - 1]}). Above that, its rank in the exact data must be
     * within the sketch's rank error of {@code p} on both sides: the values at or below it reach
     * {@code p - error} and the values strictly below it stay under {@code p + error}.
     */
    static void checkQuantile(List<BigDecimal> sorted, double q, double p, String name, List<String> wrong) {
        int n = sorted.size();
        if (sorted.stream().noneMatch(x -> x.doubleValue() == q)) {
            wrong.add(name + " (not a measured value)");
            return;
        }
        if (n <= KLL_EXACT) {
            int rank = BigDecimal.valueOf(p)
                    .multiply(BigDecimal.valueOf(n))
                    .setScale(0, java.math.RoundingMode.CEILING)
                    .intValueExact();
            if (q != sorted.get(Math.max(0, rank - 1)).doubleValue()) {
                wrong.add(name + " (exact below " + KLL_EXACT + " values: " + sorted.get(Math.max(0, rank - 1)) + ")");
            }
            return;
        }
        long atMost = sorted.stream().filter(x -> x.doubleValue() <= q).count();
        long below = sorted.stream().filter(x -> x.doubleValue() < q).count();
        if ((double) atMost / n < p - RANK_ERROR || (double) below / n > p + RANK_ERROR) {
            wrong.add(name + " (rank " + below + ".." + atMost + " of " + n + ")");
        }
    }
}
