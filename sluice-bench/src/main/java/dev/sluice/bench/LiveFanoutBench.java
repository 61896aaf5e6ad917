package dev.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * Live fan-out benchmark: N concurrent SSE clients on one Sluice instance, and the delay from the processor's emit
 * of an update to its receipt by each client.
 *
 * <p>Sluice runs as a child process ({@code ./sluice run examples/ecommerce/pipeline.yaml}, the launcher's JVM
 * flags included), so the clients (this JVM) and the server do not share a heap, a GC or a
 * scheduler; they do share the machine's cores, as any load generator on one machine does. For each N the bench
 * opens N connections to {@code GET /v1/live/gmv_by_country} (plain sockets, one virtual thread each), while
 * {@link OrderLoad} posts a steady rate of paid orders; after a warm-up it records, for every update received
 * during the measured window, receipt wall clock minus the update's {@code emitted_ms} in one HdrHistogram per N
 * (merged over clients), the updates each client received, and disconnects; it reads {@code GET /v1/stats} before
 * and after.
 *
 * <p>The same measurement runs first against {@link LoopbackSseServer} (also a child process): the same messages
 * at the same rate to the same N connections, without Sluice and with as little work per message as a server can
 * do, which is this machine's own limit for the job. Ratios against it,
 * and against N = 1, are in the table printed at the end (Markdown) and in {@code live-fanout.json}.
 *
 * <p>Options: {@code --clients 1,100,1000,10000 --rate 200 --groups 100 --warmup 10 --duration 20
 * --open-concurrency 200 --await-idle 120 --home . --out sluice-bench/target/bench --no-baseline --no-sluice}.
 */
public final class LiveFanoutBench {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String VIEW = "gmv_by_country";

    record Config(
            List<Integer> clients,
            double rate,
            int groups,
            int warmupS,
            int durationS,
            int openConcurrency,
            int awaitIdleS,
            boolean baseline,
            boolean sluice,
            Path home,
            Path out) {}

    /**
     * One phase: one system, one N. Delays in microseconds. {@code inPerSecond}: updates coming in (Sluice: paid
     * orders accepted by the ingest, one view update each; the baseline: made); {@code fannedOut}: updates the
     * server offered to its clients during the window.
     */
    record Result(
            String system,
            int n,
            int connected,
            int failedAttempts,
            double openSeconds,
            double seconds,
            long fannedOut,
            long delivered,
            double worstClientShare,
            Histogram delays,
            int disconnects,
            long serverDrops,
            long liveClients,
            double serverCpu,
            double clientCpu,
            double otherCpu,
            double inPerSecond,
            long negative,
            long unparsed,
            Map<String, Object> extra) {
        double share() {
            return fannedOut == 0 || connected == 0 ? 0 : (double) delivered / ((double) fannedOut * connected);
        }

        double ms(double percentile) {
            return delays.getTotalCount() == 0 ? Double.NaN : delays.getValueAtPercentile(percentile) / 1000.0;
        }

        double maxMs() {
            return delays.getTotalCount() == 0 ? Double.NaN : delays.getMaxValue() / 1000.0;
        }
    }

    private final Config config;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .build();
    private final List<Process> children = new ArrayList<>();

    private LiveFanoutBench(Config config) {
        this.config = config;
    }

    public static void main(String[] args) throws Exception {
        Config c = parse(args);
        LiveFanoutBench bench = new LiveFanoutBench(c);
        Runtime.getRuntime().addShutdownHook(new Thread(bench::stopChildren));
        List<Result> results = new ArrayList<>();
        Files.createDirectories(c.out());
        if (c.baseline()) {
            results.addAll(bench.runBaseline());
        }
        if (c.sluice()) {
            results.addAll(bench.runSluice());
        }
        String md = markdown(c, results);
        Files.writeString(c.out().resolve("live-fanout.md"), md);
        Files.writeString(c.out().resolve("live-fanout.json"), JSON.writeValueAsString(json(c, results)));
        System.out.println(md);
        bench.http.close();
        System.exit(0);
    }

    static Config parse(String[] args) {
        List<Integer> clients = List.of(1, 100, 1_000, 10_000);
        double rate = 200;
        int groups = 100;
        int warmup = 10;
        int duration = 20;
        int open = 200;
        int awaitIdle = 120;
        boolean baseline = true;
        boolean sluice = true;
        Path home = Path.of("").toAbsolutePath();
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--no-baseline" -> baseline = false;
                case "--no-sluice" -> sluice = false;
                case "--help", "-h" -> {
                    System.out.println(
                            "options: --clients 1,100,1000,10000 --rate 200 --groups 100 --warmup 10"
                                    + " --duration 20 --open-concurrency 200 --await-idle 120 --home DIR --out DIR --no-baseline --no-sluice");
                    System.exit(0);
                }
                default -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("option " + a + " needs a value");
                    }
                    String v = args[++i];
                    switch (a) {
                        case "--clients" ->
                            clients = Arrays.stream(v.split(","))
                                    .map(String::trim)
                                    .map(Integer::parseInt)
                                    .toList();
                        case "--rate" -> rate = Double.parseDouble(v);
                        case "--groups" -> groups = Integer.parseInt(v);
                        case "--warmup" -> warmup = Integer.parseInt(v);
                        case "--duration" -> duration = Integer.parseInt(v);
                        case "--open-concurrency" -> open = Integer.parseInt(v);
                        case "--await-idle" -> awaitIdle = Integer.parseInt(v);
                        case "--home" -> home = Path.of(v).toAbsolutePath();
                        case "--out" -> out = Path.of(v).toAbsolutePath();
                        default -> throw new IllegalArgumentException("unknown option " + a + " (try --help)");
                    }
                }
            }
        }
        if (out == null) {
            out = home.resolve("sluice-bench/target/bench");
        }
        return new Config(clients, rate, groups, warmup, duration, open, awaitIdle, baseline, sluice, home, out);
    }

    // ---------------------------------------------------------------- the two systems

    private List<Result> runBaseline() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(
                        java.toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        LoopbackSseServer.class.getName(),
                        "--rate",
                        Double.toString(config.rate()),
                        "--groups",
                        Integer.toString(config.groups()))
                .redirectError(config.out().resolve("baseline-server.log").toFile());
        Process p = pb.start();
        children.add(p);
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || !line.startsWith("listening ")) {
            throw new IllegalStateException("baseline server did not start: " + line);
        }
        int port = Integer.parseInt(line.substring("listening ".length()).trim());
        log("baseline: loopback SSE server (pid %d) on port %d", p.pid(), port);
        List<Result> out = new ArrayList<>();
        java.io.PrintStream commands = new java.io.PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8);
        try {
            for (int n : config.clients()) {
                out.add(phase(
                        "baseline",
                        n,
                        port,
                        p,
                        null,
                        null,
                        () -> commands.println("pause"),
                        () -> commands.println("resume")));
            }
        } finally {
            p.getOutputStream().close(); // its stdin: the server exits
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            children.remove(p);
        }
        return out;
    }

    private List<Result> runSluice() throws Exception {
        SluiceChild child = SluiceChild.start(
                config.home(), config.home().resolve("examples/ecommerce/pipeline.yaml"), config.out());
        Process p = child.process;
        children.add(p);
        int port = child.port;
        String base = child.base;
        Path data = child.data;
        log("sluice: server (pid %d) up on port %d, log in %s", p.pid(), port, config.out());
        List<Result> out = new ArrayList<>();
        try {
            try (OrderLoad load = new OrderLoad(base, config.rate(), config.groups())) {
                load.start();
                log(
                        "sluice: up; posting %.0f paid orders/s over %d rows; warming up 10 s",
                        config.rate(), config.groups());
                Thread.sleep(10_000);
                for (int n : config.clients()) {
                    out.add(phase("sluice", n, port, p, base, load, load::pause, load::resume));
                }
                if (load.failedPosts.get() > 0) {
                    log("sluice: %d posts failed, last: %s", load.failedPosts.get(), load.lastError);
                }
            }
        } finally {
            p.destroy(); // SIGTERM: Sluice shuts down cleanly
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            children.remove(p);
            deleteTree(data);
        }
        return out;
    }

    // ---------------------------------------------------------------- one phase

    /**
     * One N on one server: the update stream is paused while the N clients connect (so that opening measures
     * connections, not the fan-out they compete with), then resumed for the warm-up and the measured window.
     */
    private Result phase(
            String system,
            int n,
            int port,
            Process server,
            String base,
            OrderLoad load,
            Runnable pause,
            Runnable resume)
            throws Exception {
        Tally tally = new Tally();
        awaitIdle(server);
        pause.run();
        Thread.sleep(1_000);
        List<SseConnection> conns = new ArrayList<>(n);
        List<Thread> threads = new ArrayList<>(n);
        Semaphore handshakes = new Semaphore(config.openConcurrency());
        CountDownLatch opened = new CountDownLatch(n);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            SseConnection c = new SseConnection("127.0.0.1", port, "/v1/live/" + VIEW, tally);
            conns.add(c);
            threads.add(c.start(handshakes, opened));
        }
        boolean allOpened = opened.await(300, TimeUnit.SECONDS);
        double openSeconds = (System.nanoTime() - t0) / 1e9;
        int connected = (int) conns.stream().filter(c -> c.connected).count();
        int failedAttempts = conns.stream().mapToInt(c -> c.failedAttempts).sum();
        log(
                "%s N=%d: %d connected in %.1f s%s (%d failed attempts)",
                system, n, connected, openSeconds, allOpened ? "" : " (gave up waiting)", failedAttempts);
        conns.stream()
                .filter(c -> c.firstAttemptError != null)
                .findFirst()
                .ifPresent(c -> log("  first failed attempt: %s", c.firstAttemptError));
        conns.stream()
                .filter(c -> !c.connected && c.error != null)
                .findFirst()
                .ifPresent(c -> log("  first connect error: %s", c.error));
        if (base != null) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (liveClients(base) < connected && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
        }
        resume.run();
        Thread.sleep(config.warmupS() * 1_000L);

        JsonNode s0 = base == null ? null : stats(base);
        long accepted0 = load == null ? 0 : load.accepted.get();
        long failed0 = load == null ? 0 : load.failedPosts.get();
        if (load != null) {
            load.postMicros.reset();
        }
        long serverCpu0 = cpuNanos(server.toHandle());
        long clientCpu0 = cpuNanos(ProcessHandle.current());
        long machine0 = machineBusyTicks();
        tally.delays.reset();
        long m0 = System.nanoTime();
        tally.measuring = true;
        Histogram h = new Histogram(3);
        List<Map<String, Object>> perSecond = new ArrayList<>();
        List<Histogram> seconds1 = new ArrayList<>();
        for (int sec = 1; sec <= config.durationS(); sec++) {
            long wait = m0 + TimeUnit.SECONDS.toNanos(sec) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            if (sec == config.durationS()) {
                tally.measuring = false;
            }
            Histogram iv = tally.delays.getIntervalHistogram();
            h.add(iv);
            seconds1.add(iv);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("second", sec);
            o.put("updates", iv.getTotalCount());
            o.put("p50_ms", iv.getTotalCount() == 0 ? null : round(iv.getValueAtPercentile(50) / 1000.0, 1));
            o.put("p99_ms", iv.getTotalCount() == 0 ? null : round(iv.getValueAtPercentile(99) / 1000.0, 1));
            o.put("max_ms", iv.getTotalCount() == 0 ? null : round(iv.getMaxValue() / 1000.0, 1));
            perSecond.add(o);
        }
        long m1 = System.nanoTime();
        long serverCpu1 = cpuNanos(server.toHandle());
        long clientCpu1 = cpuNanos(ProcessHandle.current());
        long machine1 = machineBusyTicks();
        long accepted1 = load == null ? 0 : load.accepted.get();
        Histogram posts = load == null ? null : load.postMicros.getIntervalHistogram();
        long failedPosts = load == null ? 0 : load.failedPosts.get() - failed0;
        JsonNode s1 = base == null ? null : stats(base);
        double seconds = (m1 - m0) / 1e9;

        List<SseConnection> live = conns.stream().filter(c -> c.connected).toList();
        long idSpan = 0;
        long delivered = 0;
        for (SseConnection c : live) {
            delivered += c.received;
            if (c.maxId >= c.minId) {
                idSpan = Math.max(idSpan, c.maxId - c.minId + 1);
            }
        }
        // Fanned out: the updates the server offered to its clients during the window. Sluice: the hub's update
        // count from /v1/stats (when it does not answer: the span of ids the clients saw, which is more than the
        // window's when they lag); the baseline appends to its log at the rate, whatever the clients do.
        long hubOut = s0 == null || s1 == null
                ? idSpan
                : s1.path("views").path(VIEW).path("updates").asLong()
                        - s0.path("views").path(VIEW).path("updates").asLong();
        long fannedOut = load != null ? hubOut : Math.round(config.rate() * seconds);
        long p = fannedOut;
        double worst = live.isEmpty() || p == 0
                ? 0
                : live.stream().mapToLong(c -> c.received).min().orElse(0) / (double) p;
        int disconnects = (int) conns.stream().filter(c -> c.disconnected).count();
        conns.stream().filter(c -> c.disconnected).findFirst().ifPresent(c -> log("  first disconnect: %s", c.error));

        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("update_id_span_seen_by_clients", idSpan);
        extra.put("fanned_out_from", s0 == null || s1 == null ? "client ids" : "stats");
        if (posts != null) {
            extra.put("ingest_posts", posts.getTotalCount());
            extra.put("ingest_post_ms_p99", round(posts.getValueAtPercentile(99) / 1000.0, 1));
            extra.put("ingest_post_ms_max", round(posts.getMaxValue() / 1000.0, 1));
            extra.put("ingest_posts_failed", failedPosts);
        }
        int k = Math.min(5, Math.max(1, seconds1.size() / 2));
        Histogram first = new Histogram(3);
        Histogram last = new Histogram(3);
        seconds1.subList(0, k).forEach(first::add);
        seconds1.subList(seconds1.size() - k, seconds1.size()).forEach(last::add);
        extra.put(
                "p50_ms_first_" + k + "s",
                first.getTotalCount() == 0 ? null : round(first.getValueAtPercentile(50) / 1000.0, 1));
        extra.put(
                "p50_ms_last_" + k + "s",
                last.getTotalCount() == 0 ? null : round(last.getValueAtPercentile(50) / 1000.0, 1));
        long drops = 0;
        long liveClients = connected;
        if (s0 != null && s1 != null) {
            drops = s1.path("live_clients_dropped").asLong()
                    - s0.path("live_clients_dropped").asLong();
            liveClients = s1.path("live_clients").asLong();
            JsonNode v0 = s0.path("views").path(VIEW);
            JsonNode v1 = s1.path("views").path(VIEW);
            extra.put("view_latency_ms_cumulative", v1.path("latency_ms"));
            extra.put("view_lag_events_after", v1.path("lag_events").asLong());
            extra.put(
                    "stream_lag_events_after",
                    s1.path("streams").path("orders").path("lag_events").asLong());
        }

        // close, then (Sluice) wait until the server has let go of every client
        tally.closing = true;
        long c0 = System.nanoTime();
        conns.forEach(SseConnection::close);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        if (base != null) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long left;
            while ((left = liveClients(base)) != 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            extra.put("seconds_until_server_released_clients", round((System.nanoTime() - c0) / 1e9, 1));
            extra.put("clients_still_held_by_server", left);
        }
        Thread.sleep(2_000);

        Map<String, Object> logged = new LinkedHashMap<>(extra);
        extra.put("per_second", perSecond);
        Result r = new Result(
                system,
                n,
                connected,
                failedAttempts,
                openSeconds,
                seconds,
                fannedOut,
                delivered,
                worst,
                h,
                disconnects,
                drops,
                liveClients,
                (serverCpu1 - serverCpu0) / ((m1 - m0) * 1.0),
                (clientCpu1 - clientCpu0) / ((m1 - m0) * 1.0),
                machine0 < 0 || machine1 < 0
                        ? Double.NaN
                        : Math.max(
                                0,
                                (machine1 - machine0) / 100.0 / seconds
                                        - (serverCpu1 - serverCpu0 + clientCpu1 - clientCpu0) / ((m1 - m0) * 1.0)),
                load == null ? fannedOut / seconds : (accepted1 - accepted0) / seconds,
                tally.negative.sum(),
                tally.unparsed.sum(),
                extra);
        log(
                "%s N=%d: %d updates fanned out, %d delivered (%.1f%% of N x fanned out; worst client %.1f%%),"
                        + " p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d disconnects, %d server drops,"
                        + " server CPU %.2f cores, client CPU %.2f cores, other processes %.2f cores %s",
                system,
                n,
                fannedOut,
                delivered,
                100 * r.share(),
                100 * worst,
                r.ms(50),
                r.ms(99),
                r.maxMs(),
                disconnects,
                drops,
                r.serverCpu(),
                r.clientCpu(),
                r.otherCpu(),
                logged);
        return r;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Waits (at most {@code --await-idle} seconds) until other processes on this machine have used less than a
     * quarter of a core for 3 s in a row: the machine may be shared (builds, tests), and what they use is taken
     * from the server and the clients. What others used during the measured window is reported either way.
     */
    private void awaitIdle(Process server) throws InterruptedException {
        if (config.awaitIdleS() <= 0 || machineBusyTicks() < 0) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.awaitIdleS());
        int quiet = 0;
        double others = 0;
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            long m0 = machineBusyTicks();
            long c0 = cpuNanos(server.toHandle()) + cpuNanos(ProcessHandle.current());
            Thread.sleep(1_000);
            long m1 = machineBusyTicks();
            long c1 = cpuNanos(server.toHandle()) + cpuNanos(ProcessHandle.current());
            double wall = System.nanoTime() - t0;
            others = Math.max(0, (m1 - m0) * 1e7 / wall - (c1 - c0) / wall);
            quiet = others < 0.25 ? quiet + 1 : 0;
            if (quiet >= 3) {
                return;
            }
        }
        log("  the machine is not idle: other processes use %.2f cores; measuring anyway", others);
    }

    /** {@code GET /v1/stats}; null (logged) when the server does not answer within 30 s. */
    private JsonNode stats(String base) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/stats"))
                            .timeout(Duration.ofSeconds(30))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            log("  GET /v1/stats failed: %s", e);
            return null;
        }
    }

    /** The server's live client count; -1 when it does not answer. */
    private long liveClients(String base) throws InterruptedException {
        JsonNode s = stats(base);
        return s == null ? -1 : s.path("live_clients").asLong();
    }

    private static long cpuNanos(ProcessHandle h) {
        return h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /**
     * Busy time of the whole machine (all cores, in clock ticks of 1/100 s) from {@code /proc/stat}: what the
     * server and the clients did not use of it was used by other processes. -1 where there is no /proc.
     */
    private static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) { // idle, iowait
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void stopChildren() {
        for (Process p : children) {
            p.destroy();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            log("could not delete %s: %s", dir, e);
        }
    }

    static void log(String format, Object... args) {
        System.err.println(
                "[" + Instant.now().toString().substring(11, 19) + "] " + String.format(Locale.ROOT, format, args));
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    // ---------------------------------------------------------------- report

    static String markdown(Config c, List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "Live fan-out, %s, %d cores, JDK %s; %.0f updates/s over %d rows, %d s warm-up, %d s measured per N.%n%n",
                Instant.now().toString().substring(0, 10),
                Runtime.getRuntime().availableProcessors(),
                Runtime.version(),
                c.rate(),
                c.groups(),
                c.warmupS(),
                c.durationS()));
        sb.append("| system | N | connected | in /s | fanned out /s | delivered /s (all clients)"
                + " | delivered / (N × fanned out) | worst client | p50 ms | p99 ms | p99.9 ms | max ms"
                + " | p50 first → last " + Math.min(5, Math.max(1, c.durationS() / 2))
                + " s | disconnects | server drops | ingest POST p99 / max ms | server CPU"
                + " | client CPU | other CPU |\n");
        sb.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Result r : results) {
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %d | %.0f | %.0f | %.0f | %.1f%% | %.1f%% | %s | %s | %s | %s | %s → %s | %d | %d | %s"
                            + " | %.2f | %.2f | %.2f |%n",
                    r.system(),
                    r.n(),
                    r.connected(),
                    r.inPerSecond(),
                    r.fannedOut() / r.seconds(),
                    r.delivered() / r.seconds(),
                    100 * r.share(),
                    100 * r.worstClientShare(),
                    fmt(r.ms(50)),
                    fmt(r.ms(99)),
                    fmt(r.ms(99.9)),
                    fmt(r.maxMs()),
                    fmt(extraMs(r, "p50_ms_first_")),
                    fmt(extraMs(r, "p50_ms_last_")),
                    r.disconnects(),
                    r.serverDrops(),
                    r.extra().containsKey("ingest_post_ms_p99")
                            ? fmt(extraMs(r, "ingest_post_ms_p99")) + " / " + fmt(extraMs(r, "ingest_post_ms_max"))
                                    + (((Number) r.extra().get("ingest_posts_failed")).longValue() > 0
                                            ? " (" + r.extra().get("ingest_posts_failed") + " failed)"
                                            : "")
                            : "–",
                    r.serverCpu(),
                    r.clientCpu(),
                    r.otherCpu()));
        }
        int first = c.clients().get(0);
        sb.append("\n| N | Sluice p99 ms | baseline p99 ms | Sluice / baseline (p99) | Sluice p99 at N / at ")
                .append(first)
                .append(" | baseline p99 at N / at ")
                .append(first)
                .append(" | delivered /s Sluice / baseline |\n|--:|--:|--:|--:|--:|--:|--:|\n");
        Result s1 = find(results, "sluice", first);
        Result b1 = find(results, "baseline", first);
        for (int n : c.clients()) {
            Result s = find(results, "sluice", n);
            Result b = find(results, "baseline", n);
            double sp = s == null ? Double.NaN : s.ms(99);
            double bp = b == null ? Double.NaN : b.ms(99);
            sb.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %s | %s | %s | %s |%n",
                    n,
                    fmt(sp),
                    fmt(bp),
                    ratio(sp, bp),
                    ratio(sp, s1 == null ? Double.NaN : s1.ms(99)),
                    ratio(bp, b1 == null ? Double.NaN : b1.ms(99)),
                    s == null || b == null ? "–" : ratio(s.delivered() / s.seconds(), b.delivered() / b.seconds())));
        }
        return sb.toString();
    }

    /** A millisecond value of {@link Result#extra} whose key starts with {@code prefix}; NaN when absent. */
    static double extraMs(Result r, String prefix) {
        return r.extra().entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix) && e.getValue() instanceof Number)
                .mapToDouble(e -> ((Number) e.getValue()).doubleValue())
                .findFirst()
                .orElse(Double.NaN);
    }

    static Result find(List<Result> results, String system, int n) {
        return results.stream()
                .filter(r -> r.system().equals(system) && r.n() == n)
                .findFirst()
                .orElse(null);
    }

    static String fmt(double ms) {
        return Double.isNaN(ms) ? "–" : String.format(Locale.ROOT, ms < 10 ? "%.2f" : "%.0f", ms);
    }

    static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b <= 0
                ? "–"
                : String.format(Locale.ROOT, a / b < 0.995 ? "%.2f×" : "%.1f×", a / b);
    }

    static Map<String, Object> json(Config c, List<Result> results) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", Instant.now().toString());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("jdk", Runtime.version().toString());
        m.put("rate", c.rate());
        m.put("groups", c.groups());
        m.put("warmup_s", c.warmupS());
        m.put("duration_s", c.durationS());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("system", r.system());
            o.put("n", r.n());
            o.put("connected", r.connected());
            o.put("failed_connect_attempts", r.failedAttempts());
            o.put("open_seconds", round(r.openSeconds(), 2));
            o.put("measured_seconds", round(r.seconds(), 2));
            o.put("updates_in_per_s", round(r.inPerSecond(), 1));
            o.put("updates_fanned_out", r.fannedOut());
            o.put("updates_delivered", r.delivered());
            o.put("delivered_share", round(r.share(), 4));
            o.put("worst_client_share", round(r.worstClientShare(), 4));
            Map<String, Object> d = new LinkedHashMap<>();
            for (double q : new double[] {50, 90, 99, 99.9}) {
                d.put("p" + (q == Math.rint(q) ? Integer.toString((int) q) : Double.toString(q)), round(r.ms(q), 3));
            }
            d.put("max", round(r.maxMs(), 3));
            d.put("count", r.delays().getTotalCount());
            o.put("emit_to_receipt_ms", d);
            o.put("disconnects", r.disconnects());
            o.put("server_drops", r.serverDrops());
            o.put("live_clients_at_end", r.liveClients());
            o.put("server_cpu_cores", round(r.serverCpu(), 2));
            o.put("client_cpu_cores", round(r.clientCpu(), 2));
            o.put("other_processes_cpu_cores", round(r.otherCpu(), 2));
            o.put("negative_delays", r.negative());
            o.put("unparsed_updates", r.unparsed());
            o.putAll(r.extra());
            rows.add(o);
        }
        m.put("results", rows);
        return m;
    }
}
