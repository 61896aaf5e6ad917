package dev.sluice.bench;

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

/** {@code ./sluice run PIPELINE} as a child process, exactly as a user starts it (the launcher and its JVM flags). */
final class SluiceChild implements AutoCloseable {
    final Process process;
    final int port;
    final int kafkaPort;
    final String base;
    final Path data;

    private SluiceChild(Process process, int port, int kafkaPort, Path data) {
        this.process = process;
        this.port = port;
        this.kafkaPort = kafkaPort;
        this.base = "http://127.0.0.1:" + port;
        this.data = data;
    }

    static SluiceChild start(Path home, Path pipeline, Path out) throws Exception {
        Path jar = home.resolve("sluice-cli/target/sluice-cli.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (mvn -o -DskipTests package)");
        }
        Files.createDirectories(out);
        Path data = Files.createTempDirectory(out, "sluice-data-");
        int port = freePort();
        int kafkaPort = freePort();
        // through the launcher, as a user starts it, so its JVM flags (heap, collector; SLUICE_JAVA_OPTS after them)
        // apply here too; it execs java, so the process is the server's JVM itself
        List<String> cmd = List.of(
                "bash",
                home.resolve("sluice").toString(),
                "run",
                pipeline.toString(),
                "--data-dir",
                data.toString(),
                "--port",
                Integer.toString(port),
                "--kafka-port",
                Integer.toString(kafkaPort));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.resolve("sluice-server.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home")); // the harness's own JDK
        pb.environment().put("SLUICE_NO_BUILD", "1"); // built just before (bench/*.sh), and checked above
        SluiceChild c = new SluiceChild(pb.start(), port, kafkaPort, data);
        c.awaitReady();
        return c;
    }

    String bootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    private void awaitReady() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("sluice exited with " + process.exitValue() + ": see its log");
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/health/ready"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("sluice was not ready in 180 s");
    }

    /** Resident set size of the child, bytes (-1 without /proc). */
    long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or no /proc
        }
        return -1;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM: Sluice shuts down cleanly
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
