package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.logging.Level;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
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
 * the view's SLA (2 s here), and resuming makes it go away with the new totals in the table.
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

    static SluiceRuntime runtime;
    static Pipeline pipeline;
    static ChromeDriver driver;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        assertThat(Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER)))
                .as("headless Chromium and its driver: apt-get install chromium chromium-driver")
                .isTrue();
        String name = SharedKafka.uniqueName("dash");
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), name);
        String yaml = Files.readString(file);
        String view = "\n  " + VIEW + ":\n    from: orders\n";
        assertThat(yaml).contains(view);
        Files.writeString(file, yaml.replace(view, view + "    sla: 2s\n"));
        pipeline = PipelineLoader.withSystemEnv().load(file);
        runtime = SluiceRuntime.start(
                pipeline,
                new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC()));
        assertThat(runtime.awaitRunning(Duration.ofSeconds(60))).isTrue();
        driver = startBrowser();
    }

    /** Debian's Chromium and driver, given explicitly: Selenium Manager is never asked to download. */
    static ChromeDriver startBrowser() {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM);
        o.addArguments(
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        // with webdriver.chrome.driver set and the binary given, Selenium Manager is not run
        return new ChromeDriver(o);
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            try {
                for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
                    System.out.println("browser: " + e);
                }
            } finally {
                driver.quit();
            }
        }
        if (runtime != null) {
            runtime.close();
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
        post(backdrop(now));
        poison();

        driver.get(base + "#/view/" + VIEW);
        WebDriverWait wait = new WebDriverWait(driver, WAIT);
        wait.until(d -> text(d, By.id("live-connection")).equals("live"));

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
        assertThat(driver.findElement(By.id("stale-marker")).isDisplayed()).isFalse();
        screenshot("dashboard-view.png");

        // hold the processor: what is posted now waits in Kafka, the lag passes the 2 s SLA
        assertThat(admin("pause").statusCode()).isEqualTo(200);
        post(List.of(order("b1", "u4", "5", "paid", window + 4), order("b2", "u5", "4.5", "paid", window + 5)));
        wait.withMessage("the stale marker while the processor is held")
                .until(d -> d.findElement(By.id("stale-marker")).isDisplayed());
        assertThat(classes(driver.findElement(By.id("stale-marker")))).contains("stale");
        screenshot("dashboard-view-stale.png");

        assertThat(admin("resume").statusCode()).isEqualTo(200);
        wait.withMessage("the stale marker gone and the new totals after resuming")
                .until(d -> !d.findElement(By.id("stale-marker")).isDisplayed()
                        && measure(d, key, "orders").equals("5")
                        && new BigDecimal(measure(d, key, "gmv")).compareTo(new BigDecimal("70.25")) == 0);
        assertThat(classes(driver.findElement(By.id("stale-marker")))).doesNotContain("stale");
        wait.until(d -> chartHas(d, window, 5));

        // a filter on a group field reconnects with ?country=SE: only that group is left
        driver.findElement(By.cssSelector("#view-filter input[name=country]")).sendKeys("SE");
        driver.findElement(By.cssSelector("#view-filter button[type=submit]")).click();
        wait.until(d -> d.getCurrentUrl().endsWith("?country=SE")
                && text(d, By.id("live-connection")).equals("live")
                && measure(d, key, "orders").equals("5")
                && d.findElements(By.cssSelector("#view-table tbody tr")).stream()
                        .allMatch(tr -> tr.getAttribute("data-key").endsWith("|SE|SEK")));

        // the pipeline graph: every node, live numbers
        driver.get(base + "#/");
        wait.withMessage("the graph with live counts on the stream and view nodes, and arrows")
                .until(d -> isPositive(nodeStat(d, "stream:orders", "events"))
                        && isPositive(nodeStat(d, "view:" + VIEW, "updates"))
                        && isPositive(nodeStat(d, "stream:orders", "dlq"))
                        && !d.findElements(By.cssSelector("[data-node='sink:store']"))
                                .isEmpty()
                        && d.findElements(By.cssSelector("svg.edges path.edge")).size() >= 4);
        screenshot("dashboard-graph.png");

        // the stream page: schema, recent events sampled live, dead letters with their reasons
        driver.get(base + "#/stream/orders");
        wait.withMessage("recent events and dead letters on the stream page")
                .until(d -> !d.findElements(By.cssSelector("#stream-schema tr[data-field=amount]"))
                                .isEmpty()
                        && !d.findElements(By.cssSelector("#recent-events table tbody tr"))
                                .isEmpty()
                        && !d.findElements(By.cssSelector("#dlq-entries table tbody tr"))
                                .isEmpty());
        assertThat(text(driver, By.id("dlq-entries"))).contains("exclusiveMinimum");
        screenshot("dashboard-stream.png");
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

    // ---- reading the page

    static String text(WebDriver d, By by) {
        List<WebElement> found = d.findElements(by);
        return found.isEmpty() ? "" : found.get(0).getText().trim();
    }

    static List<String> classes(WebElement e) {
        String c = e.getAttribute("class");
        return c == null ? List.of() : List.of(c.trim().split("\\s+"));
    }

    /** The value of a number on a node of the pipeline graph, "" when not shown. */
    static String nodeStat(WebDriver d, String node, String stat) {
        return text(d, By.cssSelector("[data-node='" + node + "'] [data-stat='" + stat + "'] .v"));
    }

    static boolean isPositive(String count) {
        String digits = count.replace(",", "");
        return digits.matches("\\d+") && Long.parseLong(digits) > 0;
    }

    /** The raw value of a measure in the row with this key, "" when the row is not shown. */
    static String measure(WebDriver d, String key, String measure) {
        List<WebElement> cells = d.findElements(
                By.cssSelector("#view-table tr[data-key='" + key + "'] td[data-measure='" + measure + "']"));
        return cells.isEmpty() ? "" : cells.get(0).getAttribute("data-value");
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
