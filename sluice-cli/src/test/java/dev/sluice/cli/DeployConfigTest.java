package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring files under deploy/: promtool checks the Prometheus config and rules and runs the rule unit tests;
 * the Grafana provisioning and dashboard are checked for structure; every metric they use must be in
 * docs/metrics.md.
 */
class DeployConfigTest {
    private static final String DATASOURCE_UID = "sluice-prometheus";
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @TempDir
    Path tmp;

    private record Run(int exit, String output) {}

    /** Runs promtool in the repository root; its arguments are relative to it. */
    private Run promtool(String... args) throws IOException, InterruptedException {
        if (!Files.isExecutable(PROMTOOL)) {
            fail(PROMTOOL + " not found: run scripts/install-deps.sh (it installs Debian's prometheus package)");
        }
        List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        Path output = Files.createTempFile(tmp, "promtool", ".out");
        Process process = new ProcessBuilder(command)
                .directory(DeployFiles.root().getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 60s:\n" + Files.readString(output));
        }
        return new Run(process.exitValue(), Files.readString(output));
    }

    private static void assertSucceeded(Run run, String expectedOutput) {
        assertThat(run.exit())
                .as("promtool exit code; output:\n%s", run.output())
                .isZero();
        assertThat(run.output()).contains(expectedOutput);
    }

    private static List<JsonNode> alerts() {
        return DeployFiles.rules().stream().filter(r -> r.has("alert")).toList();
    }

    @Test
    void promtoolAcceptsTheConfigAndFindsTheRuleFiles() throws Exception {
        Run run = promtool("check", "config", "deploy/prometheus/prometheus.yml");
        assertSucceeded(run, "SUCCESS: " + DeployFiles.ruleFiles().size() + " rule files found");
        assertThat(run.output()).contains("valid prometheus config file syntax");
    }

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        assertThat(DeployFiles.ruleFiles()).isNotEmpty();
        for (Path file : DeployFiles.ruleFiles()) {
            int rules = 0;
            for (JsonNode group : DeployFiles.readYaml(file).path("groups")) {
                rules += group.path("rules").size();
            }
            String relative =
                    DeployFiles.root().getParent().relativize(file).toString().replace(File.separatorChar, '/');
            assertSucceeded(promtool("check", "rules", relative), "SUCCESS: " + rules + " rules found");
        }
    }

    @Test
    void promtoolRuleUnitTestsPass() throws Exception {
        Run run = promtool("test", "rules", "deploy/prometheus/tests/sluice-alerts-test.yml");
        assertSucceeded(run, "SUCCESS");
        assertThat(run.output()).doesNotContain("FAILED");
    }

    @Test
    void everyAlertIsLabelledAnnotatedAndTestedFiringAndSilent() {
        Path testFile = DeployFiles.root().resolve("prometheus/tests/sluice-alerts-test.yml");
        JsonNode unitTests = DeployFiles.readYaml(testFile);
        Set<Path> tested = new HashSet<>();
        unitTests
                .path("rule_files")
                .forEach(f -> tested.add(
                        testFile.resolveSibling(f.asText()).normalize().toAbsolutePath()));
        assertThat(tested)
                .as("the unit tests load every rule file")
                .containsAll(DeployFiles.ruleFiles().stream()
                        .map(f -> f.normalize().toAbsolutePath())
                        .toList());

        Set<String> firing = new TreeSet<>();
        Set<String> silent = new TreeSet<>();
        for (JsonNode test : unitTests.path("tests")) {
            for (JsonNode alertTest : test.path("alert_rule_test")) {
                String name = alertTest.path("alertname").asText();
                (alertTest.path("exp_alerts").isEmpty() ? silent : firing).add(name);
            }
        }
        List<JsonNode> alerts = alerts();
        assertThat(alerts).hasSize(8);
        for (JsonNode alert : alerts) {
            String name = alert.path("alert").asText();
            assertThat(alert.path("for").asText()).as("%s: for", name).isNotBlank();
            assertThat(alert.path("labels").path("severity").asText())
                    .as("%s: severity", name)
                    .isIn("warning", "critical");
            assertThat(alert.path("annotations").path("summary").asText())
                    .as("%s: summary", name)
                    .contains("{{ $labels.");
            assertThat(alert.path("annotations").path("description").asText())
                    .as("%s: description", name)
                    .isNotBlank();
            assertThat(firing).as("alerts with a firing test case").contains(name);
            assertThat(silent)
                    .as("alerts with a test case where they must not fire")
                    .contains(name);
        }
    }

    @Test
    void datasourceHasThePinnedUid() {
        JsonNode datasources = DeployFiles.readYaml(
                        DeployFiles.root().resolve("grafana/provisioning/datasources/sluice.yaml"))
                .path("datasources");
        assertThat(datasources.size()).isEqualTo(1);
        JsonNode datasource = datasources.get(0);
        assertThat(datasource.path("uid").asText()).isEqualTo(DATASOURCE_UID);
        assertThat(datasource.path("type").asText()).isEqualTo("prometheus");
        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
        assertThat(datasource.path("isDefault").asBoolean()).isTrue();
    }

    @Test
    void dashboardProviderLoadsTheMountedDashboards() {
        JsonNode providers = DeployFiles.readYaml(
                        DeployFiles.root().resolve("grafana/provisioning/dashboards/sluice.yaml"))
                .path("providers");
        assertThat(providers.size()).isEqualTo(1);
        assertThat(providers.get(0).path("type").asText()).isEqualTo("file");
        assertThat(providers.get(0).path("options").path("path").asText()).endsWith("dashboards/sluice");
    }

    @Test
    void everyPanelAndTargetUsesTheProvisionedDatasource() {
        assertThat(DeployFiles.dashboardFiles())
                .extracting(f -> f.getFileName().toString())
                .contains("sluice-pipeline-health.json");
        for (Path file : DeployFiles.dashboardFiles()) {
            JsonNode dashboard = DeployFiles.readJson(file);
            String dashboardName = file.getFileName().toString();
            assertThat(dashboard.path("uid").asText() + ".json").isEqualTo(dashboardName);
            assertThat(dashboard.path("schemaVersion").asInt()).isEqualTo(39);
            for (JsonNode variable : dashboard.path("templating").path("list")) {
                assertDatasource(variable.path("datasource"), dashboardName + " variable " + variable.path("name"));
            }
            assertThat(DeployFiles.variableQueries(dashboard))
                    .contains("label_values(sluice_events_received_total, pipeline)");

            List<JsonNode> panels = DeployFiles.panels(dashboard);
            assertThat(panels).as("panels of %s", dashboardName).hasSizeGreaterThan(10);
            assertThat(panels.stream().map(p -> p.path("id").asInt()).distinct())
                    .as("panel ids")
                    .hasSameSizeAs(panels);
            assertThat(panels)
                    .as("collapsed rows hold their panels")
                    .anySatisfy(p -> assertThat(p.path("panels").size()).isPositive());
            for (JsonNode panel : panels) {
                String title = panel.path("title").asText();
                String where = dashboardName + " panel '" + title + "'";
                assertThat(title).as("%s: title", where).isNotBlank();
                assertDatasource(panel.path("datasource"), where);
                assertThat(panel.path("gridPos").path("w").asInt())
                        .as("%s: gridPos.w", where)
                        .isPositive();
                assertThat(panel.path("gridPos").path("h").asInt())
                        .as("%s: gridPos.h", where)
                        .isPositive();
                if (panel.path("type").asText().equals("row")) {
                    continue;
                }
                assertThat(panel.path("type").asText()).as("%s: type", where).isEqualTo("timeseries");
                assertThat(panel.path("targets").size())
                        .as("%s: targets", where)
                        .isPositive();
                for (JsonNode target : panel.path("targets")) {
                    assertDatasource(target.path("datasource"), where + " target " + target.path("refId"));
                    assertThat(target.path("expr").asText())
                            .as("%s: expr", where)
                            .isNotBlank();
                }
            }
            assertThat(panels.stream()
                            .filter(p -> !p.path("type").asText().equals("row"))
                            .findFirst()
                            .orElseThrow()
                            .path("title")
                            .asText())
                    .as("first panel")
                    .containsIgnoringCase("consumer lag");
        }
    }

    private static void assertDatasource(JsonNode datasource, String where) {
        assertThat(datasource.path("type").asText())
                .as("%s: datasource type", where)
                .isEqualTo("prometheus");
        assertThat(datasource.path("uid").asText())
                .as("%s: datasource uid", where)
                .isEqualTo(DATASOURCE_UID);
    }

    /** promtool parses every dashboard query, written as recording rules with the Grafana variables filled in. */
    @Test
    void dashboardQueriesAreValidPromql() throws Exception {
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboards\n    rules:\n");
        int count = 0;
        for (Path file : DeployFiles.dashboardFiles()) {
            for (JsonNode panel : DeployFiles.panels(DeployFiles.readJson(file))) {
                for (JsonNode target : panel.path("targets")) {
                    String expr = target.path("expr")
                            .asText()
                            .replaceAll("\\$__(rate_)?interval|\\$__range", "1m")
                            .replaceAll("\\$\\{?\\w+\\}?", "x");
                    rules.append("      - record: dashboard_query_")
                            .append(count++)
                            .append("\n        expr: '")
                            .append(expr.replace("'", "''").replace("\n", " "))
                            .append("'\n");
                }
            }
        }
        Path rulesFile = tmp.resolve("dashboard-queries.yml");
        Files.writeString(rulesFile, rules, StandardCharsets.UTF_8);
        assertSucceeded(promtool("check", "rules", rulesFile.toString()), "SUCCESS: " + count + " rules found");
    }

    @Test
    void metricNamesAreParsedFromPromql() {
        assertThat(DeployFiles.metricNames("""
                        sum by (job, le) (rate(a_bucket{x="}", y=~"$pipeline"}[$__rate_interval] offset 1h30m))
                          > on (pipeline) group_left (view) max without (instance) (b:recorded) * 1e3
                        and deriv(sum(c)[10m:1m]) > bool 0.5
                        or label_replace(d, "dst", "$1", "src", "(.*)") unless vector(1) # e_commented
                        """)).containsExactly("a_bucket", "b:recorded", "c", "d");
        assertThat(DeployFiles.metricNames("label_values(m_total{pipeline=\"p\"}, pipeline)"))
                .containsExactly("m_total");
        assertThat(DeployFiles.metricNames("label_values(pipeline)")).isEmpty();
        assertThatThrownBy(() -> DeployFiles.metricNames("frobnicate(x)"))
                .hasMessageContaining("unknown PromQL function frobnicate");
    }

    private static final Pattern DOCUMENTED_NAME =
            Pattern.compile("`((?:sluice|kafka|jvm|process|system)_[a-z0-9_]+|up)(?:\\{[^`]*\\})?`");
    private static final Pattern BINDER_PREFIX = Pattern.compile("^(jvm|process|system)_");

    @Test
    void usedMetricNamesAreDocumented() throws IOException {
        Set<String> used = DeployFiles.metricNamesUsed();
        assertThat(used)
                .contains(
                        "kafka_consumergroup_lag",
                        "kafka_consumergroup_lag_sum",
                        "kafka_consumergroup_lag_seconds",
                        "kafka_topic_partition_current_offset",
                        "sluice_end_to_end_latency_seconds_bucket",
                        "sluice_view_processing_seconds_bucket",
                        "sluice_view_sla_seconds",
                        "sluice_events_received_total",
                        "sluice_dead_letter_records_total",
                        "sluice_ready",
                        "jvm_memory_used_bytes")
                .doesNotContain("pipeline", "consumergroup", "le", "stage", "sum", "by", "rate", "m");

        String doc = Files.readString(DeployFiles.root().resolveSibling("docs/metrics.md"));
        Set<String> documented = new TreeSet<>();
        Matcher m = DOCUMENTED_NAME.matcher(doc);
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertThat(documented).hasSizeGreaterThan(20);
        Set<String> binderPrefixes = documented.stream()
                .map(BINDER_PREFIX::matcher)
                .filter(Matcher::find)
                .map(Matcher::group)
                .collect(Collectors.toSet());

        // A name is documented when docs/metrics.md names it, or names its histogram family (the series add
        // _bucket, _sum, _count). The JVM and process binders are documented by example ("and the rest of their
        // families"), so any jvm_, process_ or system_ name passes when the doc names one with that prefix.
        List<String> undocumented = used.stream()
                .filter(name -> Stream.of(name, name.replaceFirst("_(bucket|sum|count)$", ""))
                        .noneMatch(documented::contains))
                .filter(name -> binderPrefixes.stream().noneMatch(name::startsWith))
                .toList();
        assertThat(undocumented)
                .as("metric names used in deploy/ but not in docs/metrics.md")
                .isEmpty();
    }
}
