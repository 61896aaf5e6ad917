package dev.sluice.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice run} in a child JVM (the test's class path) with its embedded broker, on a data directory
 * that outlives it: start it, wait for {@code /health}, freeze it (SIGSTOP) to look at its files in a known
 * state, thaw it (SIGCONT) or kill it (SIGKILL), and start it again on the same data, ports and log folder.
 * Each start writes its output to {@code sluice-<n>.log} in the log folder; {@link #logs} shows their tails.
 */
final class ChildSluice {
    static final Duration HEALTHY_WITHIN = Duration.ofSeconds(120);

    final Path pipelineFile;
    final Path dataDir;
    final Path logDir;
    final int port;
    final int kafkaPort;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private int starts;

    ChildSluice(Path pipelineFile, Path dataDir, Path logDir) throws IOException {
        this.pipelineFile = pipelineFile;
        this.dataDir = dataDir;
        this.logDir = logDir;
        this.port = freePort();
        this.kafkaPort = freePort();
    }

    /** The embedded broker's log directory (one folder per topic partition). */
    Path kafkaLogDir() {
        return dataDir.resolve("kafka").resolve("kafka");
    }

    Path duckDbFile() {
        return dataDir.resolve("sluice.duckdb");
    }

    String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    /** Starts the child and returns once {@code /health} answers 200. */
    void start() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(
                java,
                "-Xmx1g",
                "-Dlogback.configurationFile=" + logbackFile(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.sluice.cli.Main",
                "run",
                pipelineFile.toString(),
                "--data-dir",
                dataDir.toString(),
                "--port",
                String.valueOf(port),
                "--kafka-port",
                String.valueOf(kafkaPort));
        Path log = logDir.resolve("sluice-" + (++starts) + ".log");
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        awaitHealthy();
    }

    /** Waits until {@code /health/ready} answers 200 (the processor runs with its state restored). */
    void awaitReady() throws Exception {
        long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                            .timeout(Duration.ofSeconds(3))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                return;
            }
            last = r.statusCode() + " " + r.body();
            Thread.sleep(200);
        }
        throw new AssertionError("sluice was not ready within " + HEALTHY_WITHIN + " (last answer of /health/ready: "
                + last + "); its threads:\n" + threadDump() + logs());
    }

    /** The child's threads and their stacks ({@code jcmd Thread.print}), for a failure message. */
    String threadDump() {
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(process.pid()), "Thread.print")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            Path file = logDir.resolve("threads-" + starts + ".txt");
            Files.writeString(file, out);
            return "(written to " + file + ")\n" + out.substring(0, Math.min(out.length(), 6000));
        } catch (IOException | InterruptedException e) {
            return "no thread dump: " + e;
        }
    }

    /**
     * The child logs as {@code sluice run} does, plus Kafka Streams' own progress (INFO: rebalances, task
     * states, restores), so a child that does not become ready shows where it stopped.
     */
    private Path logbackFile() throws IOException {
        Path file = logDir.resolve("logback-child.xml");
        if (!Files.exists(file)) {
            String config;
            try (var in = ChildSluice.class.getResourceAsStream("/logback.xml")) {
                config = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            Files.writeString(
                    file,
                    config.replace(
                            "<logger name=\"org.apache.kafka\" level=\"WARN\"/>",
                            "<logger name=\"org.apache.kafka\" level=\"WARN\"/>\n"
                                    + "  <logger name=\"org.apache.kafka.streams\" level=\"INFO\"/>\n"
                                    + "  <logger name=\"kafka.coordinator.transaction\" level=\"INFO\"/>\n"
                                    + "  <logger name=\"org.apache.kafka.coordinator.transaction\" level=\"INFO\"/>"));
        }
        return file;
    }

    private void awaitHealthy() throws Exception {
        long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("sluice exited with " + process.exitValue() + ": " + logs());
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                                .timeout(Duration.ofSeconds(3))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("sluice did not become healthy within " + HEALTHY_WITHIN + ": " + logs());
    }

    /**
     * SIGSTOP: every thread of the child (server, processor, sinks, broker) stops where it is. Returns once the
     * kernel shows every thread stopped (a thread in a system call finishes it first).
     */
    void freeze() throws Exception {
        signal("-STOP");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!allThreadsStopped()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("sluice's threads did not all stop within 10 s of SIGSTOP");
            }
            Thread.sleep(1);
        }
    }

    private boolean allThreadsStopped() throws IOException {
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(process.pid()), "task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread has ended
                }
                // the state follows the command name, which is in parentheses and may hold spaces
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
        }
        return true;
    }

    /** SIGCONT after {@link #freeze}. */
    void thaw() throws Exception {
        signal("-CONT");
    }

    /** SIGKILL, then waits for the process to be gone (its files stay as they were at that instant). */
    void kill() throws Exception {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("sluice did not die within 30 s of SIGKILL");
        }
    }

    /** SIGTERM (a clean shutdown), SIGKILL if it takes longer than 60 s. */
    void stop() throws Exception {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private void signal(String sig) throws Exception {
        Process k = new ProcessBuilder("kill", sig, String.valueOf(process.pid()))
                .redirectErrorStream(true)
                .start();
        if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new AssertionError("kill " + sig + " " + process.pid() + " failed: "
                    + new String(k.getInputStream().readAllBytes()));
        }
    }

    /** The last 4,000 characters of each start's output. */
    String logs() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= starts; i++) {
            Path f = logDir.resolve("sluice-" + i + ".log");
            if (Files.exists(f)) {
                String text = Files.readString(f);
                sb.append("\n--- ")
                        .append(f.getFileName())
                        .append('\n')
                        .append(text.substring(Math.max(0, text.length() - 4000)));
            }
        }
        return sb.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
