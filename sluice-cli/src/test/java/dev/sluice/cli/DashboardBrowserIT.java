package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.pipeline.Pipeline;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.logging.Level;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (headless Chromium from Debian's {@code chromium} and {@code
 * chromium-driver}) against the ecommerce example: posted orders show up in the view page's table
 * and chart, pushed live; holding the processor makes the stale marker appear once the lag passes
 * the view's SLA (2 s here), and resuming makes it go away with the new totals in the table. The pipeline graph
 * then shows the exact counts posted (events, dead letters, late events), the stream's rate over a burst of a
 * known size after ten quiet seconds, and a caught-up pipeline's lag as exactly 0 in the normal colour.
 *
 * <p>Every read of the page is one script run in the page ({@link #inPage}): the dashboard re-renders its nodes
 * every second, so finding an element and then reading it in a second WebDriver call can meet a node that has
 * been replaced (StaleElementReferenceException). Anything the browser logs as an error fails the test.
 *
 * <p>With {@code -Dsluice.screenshots=true} the screenshots of the pipeline, view and stream pages
 * are written to {@code docs/screenshots/} (the ones docs/dashboard.md shows); otherwise to {@code
 * target/screenshots/}.
 */
class DashboardBrowserIT {
    static final String CHROMIUM = "/usr/bin/chromium";
    static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    static final String VIEW = "gmv_by_country";
    static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    static RunningPipeline running;
    static SluiceRuntime runtime;
    static Pipeline pipeline;
    static ChromeDriver driver;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        assertThat(Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER)))
                .as("headless Chromium and its driver: apt-get install chromium chromium-driver")
                .isTrue();
        running = RunningPipeline.start(
                dir,
                "dash",
                yaml -> RunningPipeline.replacing(
                                "\nviews:\n",
                                "\ntables:\n  last_order:\n    from: orders\n    key: [user_id]\n"
                                        + "    fields: [amount, status]\n\nviews:\n")
                        .apply(RunningPipeline.replacing(
                                        "\n  " + VIEW + ":\n    from: orders\n",
                                        "\n  " + VIEW + ":\n    from: orders\n    sla: 2s\n")
                                .apply(yaml)),
                o -> o);
        runtime = running.runtime;
        pipeline = running.pipeline;
        driver = startBrowser();
    }

    /** Debian's Chromium and driver, given explicitly: Selenium Manager is never asked to download. */
    static ChromeDriver startBrowser() {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM);
        o.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1400,900",
                // no calls home: the machine's network is closed, and refused connections only add noise
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        // with webdriver.chrome.driver set and the binary given, Selenium Manager is not run
        return new ChromeDriver(o);
    }

    /** The browser's console: printed, and any error (level SEVERE) fails the test. */
    @AfterEach
    void noBrowserErrors() {
        if (driver == null) {
            return;
        }
        List<LogEntry> errors = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            System.out.println("browser: " + e);
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(e);
            }
        }
        assertThat(errors).as("errors in the browser console").isEmpty();
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
        if (running != null) {
            running.close();
        }
    }

    @Test
    void viewPageShowsPostedNumbersLiveAndMarksTheViewStaleWhileTheProcessorIsHeld() throws Exception {
        String base = "http://127.0.0.1:" + runtime.httpPort() + "/";
        long now = System.currentTimeMillis();
        long window = Math.floorDiv(now, 60_000L) * 60_000L;
        String key = Instant.ofEpochMilli(window) + "|SE|SEK";

        // some history for the other groups, so the chart and the graph have something to show, and
        // dead letters for the graph and the stream page
        List<ObjectNode> backdrop = backdrop(now);
        post(backdrop);
        poison();

        driver.get(base + "#/view/" + VIEW);
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.until(d -> text(d, "live-connection").equals("live"));

        // three paid orders (and one that is only placed, which the view's filter drops) in this minute
        List<ObjectNode> first = List.of(
                order("a1", "u1", "10.25", "paid", window),
                order("a2", "u2", "20.5", "paid", window + 1),
                order("a3", "u1", "30", "paid", window + 2),
                order("a4", "u3", "99", "placed", window + 3));
        post(first);
        wait.withMessage("table row " + key + " with orders 3 and gmv 60.75")
                .until(d -> measure(d, key, "orders").equals("3")
                        && new BigDecimal(measure(d, key, "gmv")).compareTo(new BigDecimal("60.75")) == 0);
        wait.withMessage("a chart point of 3 orders at " + Instant.ofEpochMilli(window))
                .until(d -> chartHas(d, window, 3));
        assertThat(measure(driver, key, "buyers")).isEqualTo("2");
        // the backdrop may have waited longer than the SLA on a loaded machine: not stale once processed
        wait.withMessage("no stale marker once the posted orders are processed")
                .until(d -> staleMarker(d) == Marker.HIDDEN);
        screenshot("dashboard-view.png");

        // hold the processor: what is posted now waits in Kafka, the lag passes the 2 s SLA
        assertThat(admin("pause").statusCode()).isEqualTo(200);
        List<ObjectNode> held =
                List.of(order("b1", "u4", "5", "paid", window + 4), order("b2", "u5", "4.5", "paid", window + 5));
        post(held);
        wait.withMessage("the stale marker, shown with class stale, while the processor is held")
                .until(d -> staleMarker(d) == Marker.STALE);
        screenshot("dashboard-view-stale.png");

        assertThat(admin("resume").statusCode()).isEqualTo(200);
        wait.withMessage("the stale marker gone and the new totals after resuming")
                .until(d -> staleMarker(d) == Marker.HIDDEN
                        && measure(d, key, "orders").equals("5")
                        && new BigDecimal(measure(d, key, "gmv")).compareTo(new BigDecimal("70.25")) == 0);
        wait.until(d -> chartHas(d, window, 5));

        // a filter on a group field reconnects with ?country=SE: only that group is left
        driver.findElement(By.cssSelector("#view-filter input[name=country]")).sendKeys("SE");
        driver.findElement(By.cssSelector("#view-filter button[type=submit]")).click();
        wait.until(d -> d.getCurrentUrl().endsWith("?country=SE")
                && text(d, "live-connection").equals("live")
                && measure(d, key, "orders").equals("5")
                && onlyRowsOf(d, "|SE|SEK"));

        // the pipeline graph: every node, the exact counts of what was posted
        driver.get(base + "#/");
        long posted = backdrop.size() + first.size() + held.size();
        // arrows: the two sources to the stream, the stream to the view and to the table, the stream and the view to
        // the store
        wait.withMessage("the graph with " + posted + " events on the stream, 2 dead letters, 2 late, 6 arrows")
                .until(d -> {
                    Map<String, Object> g = graph(d);
                    return value(g, "stream:orders", "events").equals(fmtCount(posted))
                            && value(g, "stream:orders", "dlq").equals("2")
                            && value(g, "stream:orders", "late").equals("2")
                            && g.containsKey("sink:store")
                            && ((Number) g.get("edges")).intValue() == 6;
                });
        screenshot("dashboard-graph.png");

        // the stream's rate: once ten seconds passed without events it reads 0; then a burst of a known size is
        // the only thing in the window, so the window holds exactly that many events and the rate is their number
        // over the window's seconds (at least ten)
        wait.withTimeout(Duration.ofSeconds(60))
                .withMessage("a stream rate of 0 over at least 10 s without events")
                .until(d -> {
                    Map<String, Object> rate = stat(graph(d), "stream:orders", "rate");
                    return rate != null
                            && "0".equals(rate.get("events"))
                            && Double.parseDouble((String) rate.get("seconds")) >= 10;
                });
        assertThat(value(graph(driver), "stream:orders", "rate")).isEqualTo("0.0/s");
        List<ObjectNode> burst = burst(37, System.currentTimeMillis());
        post(burst);
        Map<String, Object> rate = wait.withTimeout(WAIT)
                .withMessage("the stream's rate window holding exactly the " + burst.size() + " events of the burst")
                .until(d -> {
                    Map<String, Object> r = stat(graph(d), "stream:orders", "rate");
                    return r != null && String.valueOf(burst.size()).equals(r.get("events")) ? r : null;
                });
        double seconds = Double.parseDouble((String) rate.get("seconds"));
        assertThat(seconds).as("the rate's window").isGreaterThanOrEqualTo(10);
        assertThat(rate.get("value")).isEqualTo(String.format(Locale.ROOT, "%.1f/s", burst.size() / seconds));

        // caught up: no event waits, shown in the normal colour on the stream and on the view
        long total = posted + burst.size();
        wait.withMessage("all " + total + " events processed: lag 0 ev · 0 s, not coloured, on stream and view")
                .until(d -> {
                    Map<String, Object> g = graph(d);
                    return value(g, "stream:orders", "events").equals(fmtCount(total))
                            && caughtUp(stat(g, "stream:orders", "lag"))
                            && caughtUp(stat(g, "view:" + VIEW, "lag"));
                });
        // each view update carries at least one new event of a row: at least one per row, at most one per event
        long rows = rowsOf(backdrop, first, held, burst);
        long counted = paid(backdrop, first, held, burst);
        wait.withMessage("view updates between " + rows + " (rows) and " + counted + " (paid events)")
                .until(d -> {
                    String v = value(graph(d), "view:" + VIEW, "updates").replace(",", "");
                    return v.matches("\\d+") && Long.parseLong(v) >= rows && Long.parseLong(v) <= counted;
                });

        // the stream page: schema, recent events sampled live, the two dead letters with their reasons
        driver.get(base + "#/stream/orders");
        wait.withMessage("recent events and the two dead letters on the stream page")
                .until(d -> {
                    Map<String, Object> p = streamPage(d);
                    return Boolean.TRUE.equals(p.get("schema"))
                            && ((Number) p.get("recent")).intValue() > 0
                            && ((Number) p.get("dlq")).intValue() == 2;
                });
        assertThat(text(driver, "dlq-entries")).contains("exclusiveMinimum");
        screenshot("dashboard-stream.png");

        tablePageShowsEachKeysNewestRow(); // last: its orders would change the counts above
    }

    /** The table page: the newest row of a key whose three orders arrive out of order. */
    void tablePageShowsEachKeysNewestRow() throws Exception {
        long now = System.currentTimeMillis();
        // the same order id: one partition, read in order; the second is older and must not replace the third
        post(List.of(
                order("tbl-1", "table-user", "12.34", "paid", now - 3_000),
                order("tbl-2", "table-user", "99.00", "paid", now - 5_000).put("order_id", "o-tbl-1"),
                order("tbl-3", "table-user", "56.78", "refunded", now - 1_000).put("order_id", "o-tbl-1")));
        driver.get("http://127.0.0.1:" + runtime.httpPort() + "/#/table/last_order");
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.withMessage("the table page's row for table-user: its newest order")
                .until(d -> tableRows(d).stream().anyMatch(r -> r.startsWith("table-user|56.78|refunded|")));
        assertThat(tableRows(driver).stream().filter(r -> r.startsWith("table-user|")))
                .as("one row per key")
                .hasSize(1);
        screenshot("dashboard-table.png");
    }

    static boolean caughtUp(Map<String, Object> lag) {
        return lag != null
                && "0".equals(lag.get("events"))
                && "0".equals(lag.get("seconds"))
                && lag.get("value").equals("0 ev · 0 s")
                && !((List<?>) lag.get("classes")).contains("warn")
                && !((List<?>) lag.get("classes")).contains("bad");
    }

    // ---- the data

    static ObjectNode order(String id, String user, String amount, String status, long time) {
        ObjectNode o = OrdersScenario.JSON.createObjectNode();
        o.put("event_id", "dash-" + id);
        o.put("order_id", "o-" + id);
        o.put("user_id", user);
        o.put("country", "SE");
        o.put("currency", "SEK");
        o.put("amount", new BigDecimal(amount));
        o.put("status", status);
        o.put("created_at", Instant.ofEpochMilli(time).toString());
        return o;
    }

    /** Paid orders of a few other groups over the last nine minutes, and two hours-late ones. */
    static List<ObjectNode> backdrop(long now) {
        Random random = new Random(7);
        String[][] groups = {{"DE", "EUR"}, {"US", "USD"}, {"FR", "EUR"}, {"GB", "GBP"}};
        List<ObjectNode> out = new ArrayList<>();
        int n = 0;
        for (int minute = 8; minute >= 0; minute--) {
            for (String[] g : groups) {
                int k = 2 + random.nextInt(9);
                for (int i = 0; i < k; i++) {
                    long t = now - minute * 60_000L - random.nextInt(60_000);
                    ObjectNode o = order("bg" + n++, "u" + random.nextInt(30), amount(random), "paid", t);
                    o.put("country", g[0]);
                    o.put("currency", g[1]);
                    out.add(o);
                }
            }
        }
        for (int i = 0; i < 2; i++) {
            ObjectNode o = order(
                    "late" + i, "u9", "12", "paid", now - Duration.ofHours(3).toMillis());
            o.put("country", "DE");
            o.put("currency", "EUR");
            out.add(o);
        }
        return out;
    }

    /** {@code n} paid orders of one group, all at {@code time}. */
    static List<ObjectNode> burst(int n, long time) {
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ObjectNode o = order("burst" + i, "u" + (i % 7), "3", "paid", time);
            o.put("country", "DE");
            o.put("currency", "EUR");
            out.add(o);
        }
        return out;
    }

    /**
     * Paid orders (the view's filter) within the grace period: all but the backdrop's two hours-late ones, which go
     * to the late topic instead of a view update.
     */
    @SafeVarargs
    static List<ObjectNode> counted(List<ObjectNode>... lists) {
        long horizon = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        List<ObjectNode> out = new ArrayList<>();
        for (List<ObjectNode> l : lists) {
            for (ObjectNode o : l) {
                if (o.get("status").asText().equals("paid")
                        && Instant.parse(o.get("created_at").asText()).toEpochMilli() > horizon) {
                    out.add(o);
                }
            }
        }
        return out;
    }

    @SafeVarargs
    static long paid(List<ObjectNode>... lists) {
        return counted(lists).size();
    }

    /** The view's rows (minute, country, currency) the counted orders fall into. */
    @SafeVarargs
    static long rowsOf(List<ObjectNode>... lists) {
        return counted(lists).stream()
                .map(o -> Math.floorDiv(
                                Instant.parse(o.get("created_at").asText()).toEpochMilli(), 60_000L) + "|"
                        + o.get("country").asText() + "|" + o.get("currency").asText())
                .distinct()
                .count();
    }

    static String amount(Random random) {
        return new BigDecimal(500 + random.nextInt(15_000)).movePointLeft(2).toPlainString();
    }

    static void post(List<? extends JsonNode> events) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + "/v1/streams/orders/events"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(OrdersScenario.JSON.writeValueAsString(events)))
                .build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    static HttpResponse<String> admin(String action) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + "/v1/admin/processor/" + action))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    /** Unreadable and contract-breaking records on the Kafka source: they become dead letters. */
    static void poison() throws Exception {
        String topic = pipeline.sources().values().stream()
                .filter(x -> x instanceof dev.sluice.pipeline.SourceDef.Kafka)
                .map(x -> ((dev.sluice.pipeline.SourceDef.Kafka) x).topic())
                .findFirst()
                .orElseThrow();
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
                ClientDefaults.producer(runtime.bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            ObjectNode negative = order("bad1", "u1", "-5", "paid", System.currentTimeMillis());
            p.send(new ProducerRecord<>(topic, "this is not json".getBytes(StandardCharsets.UTF_8)));
            p.send(new ProducerRecord<>(topic, negative.toString().getBytes(StandardCharsets.UTF_8)));
            p.flush();
        }
    }

    // ---- reading the page: each read is one script in the page, so no re-render comes between find and read

    static Object inPage(WebDriver d, String script, Object... args) {
        return ((JavascriptExecutor) d).executeScript(script, args);
    }

    /** The rows of a table page, each its cells' text joined by {@code |}. */
    @SuppressWarnings("unchecked")
    static List<String> tableRows(WebDriver d) {
        return (List<String>) inPage(
                d,
                "return Array.from(document.querySelectorAll('#table-rows tbody tr'))"
                        + ".map(r => Array.from(r.cells).map(c => c.textContent).join('|'));");
    }

    /** The text of the element with this id, "" when there is none. */
    static String text(WebDriver d, String id) {
        return (String)
                inPage(d, "const e = document.getElementById(arguments[0]); return e ? e.textContent.trim() : '';", id);
    }

    enum Marker {
        HIDDEN,
        STALE,
        /** shown without the class, or hidden with it: the page contradicts itself */
        INCONSISTENT
    }

    static Marker staleMarker(WebDriver d) {
        String s = (String) inPage(
                d,
                "const e = document.getElementById('stale-marker');"
                        + "const shown = !!e && !e.hidden && e.getClientRects().length > 0;"
                        + "const stale = !!e && e.classList.contains('stale');"
                        + "return shown && stale ? 'STALE' : !shown && !stale ? 'HIDDEN' : 'INCONSISTENT';");
        return Marker.valueOf(s);
    }

    /** Whether the view table has rows and every row's key ends with {@code suffix}. */
    static boolean onlyRowsOf(WebDriver d, String suffix) {
        return Boolean.TRUE.equals(inPage(
                d,
                "const keys = [...document.querySelectorAll('#view-table tbody tr')].map(tr => tr.dataset.key || '');"
                        + "return keys.length > 0 && keys.every(k => k.endsWith(arguments[0]));",
                suffix));
    }

    /**
     * The pipeline graph at one instant: node id to stat name to {value, classes, events, seconds} (the last two
     * from the stat's data attributes, null when absent), and "edges" to the number of arrows.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> graph(WebDriver d) {
        return (Map<String, Object>) inPage(
                d,
                "const out = {edges: document.querySelectorAll('svg.edges path.edge').length};"
                        + "for (const n of document.querySelectorAll('[data-node]')) {"
                        + "  const stats = {};"
                        + "  for (const s of n.querySelectorAll('[data-stat]')) {"
                        + "    stats[s.dataset.stat] = {value: s.querySelector('.v')?.textContent.trim() ?? '',"
                        + "      classes: [...s.classList], events: s.dataset.events ?? null,"
                        + "      seconds: s.dataset.seconds ?? null};"
                        + "  }"
                        + "  out[n.dataset.node] = stats;"
                        + "}"
                        + "return out;");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> stat(Map<String, Object> graph, String node, String stat) {
        Map<String, Object> stats = (Map<String, Object>) graph.get(node);
        return stats == null ? null : (Map<String, Object>) stats.get(stat);
    }

    /** The shown value of a stat of a graph node, "" when not shown. */
    static String value(Map<String, Object> graph, String node, String stat) {
        Map<String, Object> s = stat(graph, node, stat);
        return s == null ? "" : (String) s.get("value");
    }

    static String fmtCount(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** The stream page at one instant: whether the schema lists amount, and the rows of recent events and DLQ. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> streamPage(WebDriver d) {
        return (Map<String, Object>) inPage(
                d,
                "return {schema: !!document.querySelector('#stream-schema tr[data-field=amount]'),"
                        + "recent: document.querySelectorAll('#recent-events table tbody tr').length,"
                        + "dlq: document.querySelectorAll('#dlq-entries table tbody tr').length};");
    }

    /** The raw value of a measure in the row with this key, "" when the row is not shown. */
    static String measure(WebDriver d, String key, String measure) {
        return (String) inPage(
                d,
                "const c = document.querySelector(`#view-table tr[data-key=\"${CSS.escape(arguments[0])}\"]"
                        + " td[data-measure=\"${CSS.escape(arguments[1])}\"]`);"
                        + "return c ? (c.getAttribute('data-value') ?? '') : '';",
                key,
                measure);
    }

    /** Whether the chart has a point (x = window start in epoch ms, y = the first measure). */
    static boolean chartHas(WebDriver d, long x, double y) {
        Object found = ((JavascriptExecutor) d)
                .executeScript(
                        "const c = Chart.getChart('view-chart');"
                                + "return !!c && c.data.datasets.some(ds => ds.data.some(p => p.x === arguments[0] && p.y === arguments[1]));",
                        x,
                        y);
        return Boolean.TRUE.equals(found);
    }

    /** The whole page as a PNG: the window is grown to the page's height for the shot. */
    static void screenshot(String name) throws Exception {
        boolean docs = Boolean.getBoolean("sluice.screenshots");
        Path out = docs ? Path.of("..", "docs", "screenshots") : Path.of("target", "screenshots");
        Files.createDirectories(out);
        Dimension before = driver.manage().window().getSize();
        JavascriptExecutor js = driver;
        int content = ((Number) js.executeScript(
                        "return Math.ceil(document.getElementById('app').getBoundingClientRect().bottom + scrollY);"))
                .intValue();
        int frame = before.getHeight() - ((Number) js.executeScript("return innerHeight;")).intValue();
        int h = Math.min(2400, Math.max(400, content + frame));
        driver.manage().window().setSize(new Dimension(before.getWidth(), h));
        Thread.sleep(600); // layout, the graph's arrows and the chart follow the new size
        Files.write(out.resolve(name), driver.getScreenshotAs(OutputType.BYTES));
        driver.manage().window().setSize(before);
        System.out.println("screenshot " + out.resolve(name).toAbsolutePath().normalize());
    }
}
