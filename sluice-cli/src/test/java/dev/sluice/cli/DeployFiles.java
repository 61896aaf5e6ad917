package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The monitoring files under {@code deploy/} and the metric names their PromQL expressions use. */
final class DeployFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    /** PromQL functions and aggregations (up to Prometheus 3), their @ modifiers, and Grafana's query helpers. */
    static final Set<String> FUNCTIONS = words("""
            sum min max avg group stddev stdvar count count_values bottomk topk quantile limitk limit_ratio
            abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month day_of_week
            day_of_year days_in_month delta deriv exp floor histogram_avg histogram_count histogram_fraction
            histogram_quantile histogram_stddev histogram_stdvar histogram_sum holt_winters
            double_exponential_smoothing hour idelta increase info irate label_join label_replace ln log2 log10
            minute month predict_linear rate resets round scalar sgn sort sort_desc sort_by_label
            sort_by_label_desc sqrt time timestamp vector year avg_over_time min_over_time max_over_time
            sum_over_time count_over_time quantile_over_time stddev_over_time stdvar_over_time last_over_time
            present_over_time mad_over_time acos acosh asin asinh atan atanh cos cosh sin sinh tan tanh deg rad pi
            start end
            label_values label_names metrics query_result
            """);

    /** Keywords that stand without parentheses: set operators, modifiers, matching clauses, number words. */
    static final Set<String> KEYWORDS =
            words("and or unless atan2 bool offset by without on ignoring group_left group_right inf nan");

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern COMMENT = Pattern.compile("#[^\\n]*");
    // $pipeline, $__rate_interval, ${pipeline:regex}, [[pipeline]]
    private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{[^}]*\\}|\\[\\[[^\\]]*\\]\\]|\\$\\w+");
    private static final Pattern LABEL_MATCHERS = Pattern.compile("\\{[^}]*\\}");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
    private static final Pattern LABEL_VALUES =
            Pattern.compile("(?<![\\w:])label_values\\s*\\(\\s*([a-zA-Z_:][\\w:]*)\\s*,\\s*[a-zA-Z_]\\w*\\s*\\)");
    private static final Pattern LABEL_VALUES_OF_LABEL =
            Pattern.compile("(?<![\\w:])label_values\\s*\\(\\s*[a-zA-Z_]\\w*\\s*\\)");
    private static final Pattern GROUPING =
            Pattern.compile("(?<![\\w:])(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w:.])(?:0[xX][0-9a-fA-F]+"
            + "|(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?(?:(?:ms|[smhdwy])(?:\\d+(?:ms|[smhdwy]))*)?)(?![\\w:])");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][\\w:]*");

    private DeployFiles() {}

    private static Set<String> words(String text) {
        return Set.of(text.strip().split("\\s+"));
    }

    /** The repository's {@code deploy/} directory, found by walking up from the working directory. */
    static Path root() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/prometheus"))) {
                return dir.resolve("deploy");
            }
        }
        throw new IllegalStateException("no deploy/prometheus in " + start + " or above");
    }

    static List<Path> ruleFiles() {
        return list(root().resolve("prometheus/rules"), ".yml", ".yaml");
    }

    static List<Path> dashboardFiles() {
        return list(root().resolve("grafana/dashboards"), ".json");
    }

    static JsonNode readYaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every rule (alerting and recording) of every rule file. */
    static List<JsonNode> rules() {
        List<JsonNode> rules = new ArrayList<>();
        for (Path file : ruleFiles()) {
            for (JsonNode group : readYaml(file).path("groups")) {
                group.path("rules").forEach(rules::add);
            }
        }
        return rules;
    }

    /** The dashboard's panels, with those nested in (collapsed) rows, in order. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        addPanels(dashboard.path("panels"), panels);
        return panels;
    }

    private static void addPanels(JsonNode array, List<JsonNode> into) {
        for (JsonNode panel : array) {
            into.add(panel);
            addPanels(panel.path("panels"), into);
        }
    }

    /** The queries of the dashboard's query variables (a string, or an object with a query field). */
    static List<String> variableQueries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("query")) {
                JsonNode query = variable.path("query");
                queries.add(
                        query.isTextual() ? query.asText() : query.path("query").asText());
            }
        }
        return queries;
    }

    /** The PromQL of every rule, dashboard target and dashboard variable. */
    static List<String> expressions() {
        List<String> exprs = new ArrayList<>();
        rules().forEach(rule -> exprs.add(rule.path("expr").asText()));
        for (Path file : dashboardFiles()) {
            JsonNode dashboard = readJson(file);
            for (JsonNode panel : panels(dashboard)) {
                panel.path("targets")
                        .forEach(target -> exprs.add(target.path("expr").asText()));
            }
            exprs.addAll(variableQueries(dashboard));
        }
        return exprs;
    }

    /** Every metric name the rules and dashboards use, as written (histograms as their _bucket series). */
    static Set<String> metricNamesUsed() {
        Set<String> names = new TreeSet<>();
        expressions().forEach(expr -> names.addAll(metricNames(expr)));
        return names;
    }

    /**
     * The metric names in one PromQL expression (or Grafana variable query). Strips what holds no metric name
     * (strings, comments, Grafana variables, label matchers, ranges, groupings, numbers and durations), then keeps
     * the identifiers that are neither keywords nor function calls. Throws on a call of an unknown function, so a
     * new function is added to {@link #FUNCTIONS} rather than taken for a metric.
     */
    static Set<String> metricNames(String expr) {
        String s = expr;
        for (Pattern strip : List.of(STRING, COMMENT, GRAFANA_VARIABLE, LABEL_MATCHERS, RANGE)) {
            s = strip.matcher(s).replaceAll(" ");
        }
        s = LABEL_VALUES.matcher(s).replaceAll(" $1 ");
        for (Pattern strip : List.of(LABEL_VALUES_OF_LABEL, GROUPING, NUMBER)) {
            s = strip.matcher(s).replaceAll(" ");
        }
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String id = m.group();
            if (s.substring(m.end()).stripLeading().startsWith("(")) {
                if (!FUNCTIONS.contains(id)) {
                    throw new IllegalArgumentException("unknown PromQL function " + id + " in: " + expr);
                }
            } else if (!KEYWORDS.contains(id.toLowerCase(Locale.ROOT))) {
                names.add(id);
            }
        }
        return names;
    }

    private static List<Path> list(Path dir, String... suffixes) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> Stream.of(suffixes)
                            .anyMatch(suffix -> f.getFileName().toString().endsWith(suffix)))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
