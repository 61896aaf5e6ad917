package dev.sluice.cli.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.wire.Accumulator;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice verify}: a view's stored rows against a ground truth (docs/loadgen.md).
 *
 * <p>Exact measures ({@code count}, {@code sum}, {@code min}, {@code max}, {@code avg}) must match: by default
 * to within floating-point rounding ({@link #NOISE}), far below any one event's share, so a lost or doubled event
 * fails; {@code --threshold} loosens that for runs where a known loss is acceptable. {@code count_distinct} is an
 * HLL estimate in the view: it must lie within {@link #HLL_STD_ERRORS} standard errors of the exact count.
 * Quantiles are not in the truth.
 */
@Command(
        name = "verify",
        description = "Compare a view's stored aggregates with a ground truth (from loadgen, or recomputed from"
                + " the raw events in the store); exit 1 above the threshold.")
public final class VerifyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Below this a difference is floating-point noise (the store sums doubles, the truth decimals). */
    private static final double NOISE = 1e-9;

    /**
     * Relative standard error of the views' HyperLogLog ({@code 1.04 / sqrt(2^lgK)}, lgK
     * {@value Accumulator#HLL_LG_K}: 1.625 %); a distinct count is checked to {@value #HLL_STD_ERRORS} of them.
     */
    static final double HLL_RSE = 1.04 / Math.sqrt(1 << Accumulator.HLL_LG_K);

    static final int HLL_STD_ERRORS = 3;

    private static final int SHOWN = 50;

    @Option(
            names = "--url",
            defaultValue = "http://127.0.0.1:8080",
            description = "the running pipeline (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--truth", paramLabel = "FILE", description = "a ground truth written by sluice loadgen --truth")
    Path truthFile;

    @Option(names = "--view", description = "only this view (with --recompute: the view to check)")
    String view;

    @Option(names = "--recompute", description = "recompute the truth from the raw events in the store")
    boolean recompute;

    @Option(
            names = "--threshold",
            defaultValue = "0",
            description = "largest relative discrepancy allowed in count, sum, min, max and avg (default:"
                    + " ${DEFAULT-VALUE}, exact up to floating-point rounding)")
    double threshold;

    PrintStream out = System.out;
    PrintStream err = System.err;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Override
    public Integer call() throws Exception {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        Map<String, JsonNode> truths = new LinkedHashMap<>();
        if (recompute) {
            if (view == null) {
                err.println("sluice verify: --recompute needs --view");
                return 2;
            }
            JsonNode t = get(base + "/v1/views/" + enc(view) + "/truth");
            if (t == null) {
                return 2;
            }
            truths.put(view, t);
        } else if (truthFile != null) {
            JsonNode root = JSON.readTree(truthFile.toFile());
            for (var e : root.path("views").properties()) {
                if (view == null || view.equals(e.getKey())) {
                    truths.put(e.getKey(), e.getValue());
                }
            }
            if (truths.isEmpty()) {
                err.println("sluice verify: " + truthFile + " holds no view" + (view == null ? "" : " '" + view + "'"));
                return 2;
            }
        } else {
            err.println("sluice verify: say what to compare with: --truth FILE, or --view V --recompute");
            return 2;
        }
        boolean ok = true;
        for (var e : truths.entrySet()) {
            JsonNode stored = get(base + "/v1/views/" + enc(e.getKey()));
            if (stored == null) {
                return 2;
            }
            ok &= compare(e.getKey(), e.getValue(), stored.path("rows"));
        }
        out.println(ok ? "verify: OK" : "verify: FAILED");
        return ok ? 0 : 1;
    }

    private JsonNode get(String uri) throws Exception {
        HttpResponse<String> r;
        try {
            r = http.send(
                    HttpRequest.newBuilder(URI.create(uri))
                            .timeout(Duration.ofMinutes(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            err.println("sluice verify: cannot reach " + uri + ": " + e);
            return null;
        }
        if (r.statusCode() != 200) {
            err.println("sluice verify: " + uri + " answered " + r.statusCode() + ": " + r.body());
            return null;
        }
        return JSON.readTree(r.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Row identity: window start and group values, numbers normalised. */
    private static String key(JsonNode row, List<String> groupBy, boolean windowed) {
        StringBuilder b = new StringBuilder(windowed ? row.path("window_start").asText() : "");
        for (String g : groupBy) {
            JsonNode v = row.path(g);
            b.append('|')
                    .append(v.isNumber() ? v.decimalValue().stripTrailingZeros().toPlainString() : v.asText());
        }
        return b.toString();
    }

    private boolean compare(String name, JsonNode truth, JsonNode storedRows) {
        List<String> groupBy = new ArrayList<>();
        truth.path("group_by").forEach(g -> groupBy.add(g.asText()));
        boolean windowed = truth.path("windowed").asBoolean(true);
        Map<String, String> measures = new LinkedHashMap<>();
        truth.path("measures")
                .properties()
                .forEach(m -> measures.put(m.getKey(), m.getValue().asText()));
        Map<String, JsonNode> expected = new LinkedHashMap<>();
        Set<String> windows = new HashSet<>();
        for (JsonNode r : truth.path("rows")) {
            expected.put(key(r, groupBy, windowed), r);
            windows.add(r.path("window_start").asText());
        }
        Map<String, JsonNode> stored = new LinkedHashMap<>();
        for (JsonNode r : storedRows) {
            if (!windowed || windows.contains(r.path("window_start").asText())) {
                stored.put(key(r, groupBy, windowed), r);
            }
        }
        int shown = 0;
        long missing = 0;
        long extra = 0;
        Map<String, Double> worst = new LinkedHashMap<>();
        Map<String, Long> off = new LinkedHashMap<>();
        for (var e : expected.entrySet()) {
            JsonNode s = stored.get(e.getKey());
            if (s == null) {
                missing++;
                if (shown++ < SHOWN) {
                    out.printf("  %s: row %s expected, not stored%n", name, e.getKey());
                }
                continue;
            }
            for (var m : measures.entrySet()) {
                String kind = m.getValue();
                if (kind.startsWith("p")) {
                    continue; // quantiles: estimated by the view, not computed by the truth
                }
                JsonNode ev = e.getValue().path(m.getKey());
                JsonNode sv = s.path(m.getKey());
                double d = discrepancy(sv, ev);
                worst.merge(m.getKey(), d, Math::max);
                boolean estimated = kind.equals("count_distinct");
                boolean wrong = estimated ? !withinHllBound(sv, ev) : d > NOISE;
                if (wrong) {
                    off.merge(m.getKey(), 1L, Long::sum);
                    if (shown++ < SHOWN) {
                        out.printf(
                                "  %s: window %s group %s %s: stored %s, expected %s (%.4f%%%s)%n",
                                name,
                                windowed ? e.getValue().path("window_start").asText() : "-",
                                e.getKey().substring(e.getKey().indexOf('|') + 1),
                                m.getKey(),
                                sv,
                                ev,
                                d * 100,
                                estimated ? ", beyond the HLL bound ±" + hllBound(ev.asLong()) : "");
                    }
                }
            }
        }
        for (String k : stored.keySet()) {
            if (!expected.containsKey(k)) {
                extra++;
                if (shown++ < SHOWN) {
                    out.printf("  %s: row %s stored, not expected%n", name, k);
                }
            }
        }
        if (shown > SHOWN) {
            out.printf("  %s: ... %d more lines%n", name, shown - SHOWN);
        }
        boolean ok = missing == 0 && extra == 0;
        StringBuilder per = new StringBuilder();
        for (var m : measures.entrySet()) {
            if (m.getValue().startsWith("p")) {
                per.append(String.format("  %s (%s): not compared (estimated)%n", m.getKey(), m.getValue()));
                continue;
            }
            double w = worst.getOrDefault(m.getKey(), 0.0);
            boolean estimated = m.getValue().equals("count_distinct");
            long differ = off.getOrDefault(m.getKey(), 0L);
            if (estimated ? differ > 0 : w > Math.max(threshold, NOISE)) {
                ok = false;
            }
            per.append(String.format(
                    "  %s (%s): max discrepancy %.6f%%, %d rows %s%n",
                    m.getKey(),
                    m.getValue(),
                    w * 100,
                    differ,
                    estimated
                            ? "beyond " + HLL_STD_ERRORS + " standard errors of the HLL estimate ("
                                    + String.format("%.3f%%", HLL_RSE * 100) + " each)"
                            : "differ"));
        }
        out.printf(
                "verify %s: %d rows expected, %d stored in those windows, %d missing, %d not expected: %s%n%s",
                name,
                expected.size(),
                stored.size(),
                missing,
                extra,
                ok ? "OK" : threshold > 0 ? "FAILED (threshold " + threshold * 100 + "%)" : "FAILED (exact)",
                per);
        return ok;
    }

    /** How far an HLL estimate of {@code exact} distinct values may be off: HLL_STD_ERRORS standard errors. */
    static long hllBound(long exact) {
        return (long) Math.ceil(HLL_STD_ERRORS * HLL_RSE * exact);
    }

    static boolean withinHllBound(JsonNode stored, JsonNode expected) {
        if (stored == null || !stored.isNumber() || expected == null || !expected.isNumber()) {
            return discrepancy(stored, expected) == 0;
        }
        return Math.abs(stored.asLong() - expected.asLong()) <= hllBound(expected.asLong());
    }

    /** |stored − expected| / |expected| (|stored| when expected is 0); 1 when only one side has a value. */
    static double discrepancy(JsonNode stored, JsonNode expected) {
        boolean sNull = stored == null || stored.isNull() || stored.isMissingNode();
        boolean eNull = expected == null || expected.isNull() || expected.isMissingNode();
        if (sNull || eNull) {
            return sNull == eNull ? 0 : 1;
        }
        BigDecimal s = new BigDecimal(stored.asText());
        BigDecimal e = new BigDecimal(expected.asText());
        double diff = s.subtract(e).abs().doubleValue();
        double base = e.abs().doubleValue();
        return base == 0 ? diff : diff / base;
    }
}
