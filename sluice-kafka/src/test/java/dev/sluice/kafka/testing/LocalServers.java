package dev.sluice.kafka.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real servers for integration tests, from the Debian packages that scripts/install-deps.sh installs: each
 * started on a free loopback port with its own data directory, and stopped (its process killed) on close.
 * ClickHouse ({@code clickhouse-server}, 18.16 on Debian 12), PostgreSQL ({@code postgresql}, run as the
 * {@code postgres} user: initdb refuses root) and Redis ({@code redis-server}).
 */
public final class LocalServers {
    private LocalServers() {}

    /** A running server; {@link #close} stops it. */
    public record Server(String name, Process process, int port, Path dir, boolean ownDir) implements AutoCloseable {
        Server(String name, Process process, int port, Path dir) {
            this(name, process, port, dir, false);
        }

        public String host() {
            return "127.0.0.1";
        }

        /** Stops the server, keeping its data (see {@link LocalServers#restartPostgres}). */
        public void stop() {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (ownDir) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder())
                            .forEach(f -> f.toFile().delete());
                } catch (IOException e) {
                    // left for the OS's temp cleanup
                }
            }
        }
    }

    /**
     * ClickHouse with its HTTP interface on the returned port (a minimal config of its own, in {@code dir}). Its
     * {@code max_query_size} is a quarter of the default, 64 KiB, so a statement that grows with a batch fails here
     * rather than in production. It never merges parts (no merge may exceed 1 byte; the part limits are raised to
     * match), so a row inserted twice into a ReplacingMergeTree stays visible to {@code count()} without
     * {@code FINAL}: a test can tell a sink that inserts each row once from one whose duplicates a merge hides.
     */
    public static Server clickhouse(Path dir) throws Exception {
        Path bin = need("/usr/sbin/clickhouse-server", "clickhouse-server");
        Files.createDirectories(dir.resolve("log"));
        int http = freePort();
        int tcp = freePort();
        String d = dir.toAbsolutePath().toString();
        // <yandex> is the root element 18.16 knows; current releases still accept it
        Files.writeString(dir.resolve("config.xml"), """
                <yandex>
                  <logger><level>warning</level><log>%1$s/log/server.log</log><errorlog>%1$s/log/error.log</errorlog></logger>
                  <http_port>%2$d</http_port>
                  <tcp_port>%3$d</tcp_port>
                  <listen_host>127.0.0.1</listen_host>
                  <path>%1$s/data/</path>
                  <tmp_path>%1$s/tmp/</tmp_path>
                  <user_files_path>%1$s/user_files/</user_files_path>
                  <format_schema_path>%1$s/format_schemas/</format_schema_path>
                  <users_config>%1$s/users.xml</users_config>
                  <default_profile>default</default_profile>
                  <default_database>default</default_database>
                  <mark_cache_size>536870912</mark_cache_size>
                  <merge_tree>
                    <max_bytes_to_merge_at_max_space_in_pool>1</max_bytes_to_merge_at_max_space_in_pool>
                    <parts_to_delay_insert>100000</parts_to_delay_insert>
                    <parts_to_throw_insert>100000</parts_to_throw_insert>
                  </merge_tree>
                </yandex>
                """.formatted(d, http, tcp));
        Files.writeString(dir.resolve("users.xml"), """
                <yandex>
                  <profiles><default><max_memory_usage>4000000000</max_memory_usage><max_query_size>65536</max_query_size></default></profiles>
                  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
                    <profile>default</profile><quota>default</quota></default></users>
                  <quotas><default></default></quotas>
                </yandex>
                """);
        return startClickhouse(bin, dir, http);
    }

    /** Starts a stopped ClickHouse again on its data directory and ports (for failure tests). */
    public static Server restartClickhouse(Server stopped) throws Exception {
        if (stopped.process().isAlive()) {
            throw new IllegalStateException("clickhouse on " + stopped.port() + " is still running");
        }
        return startClickhouse(need("/usr/sbin/clickhouse-server", "clickhouse-server"), stopped.dir(), stopped.port());
    }

    private static Server startClickhouse(Path bin, Path dir, int http) throws Exception {
        Process p = new ProcessBuilder(bin.toString(), "--config-file=" + dir.resolve("config.xml"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("log/stdout.log").toFile()))
                .start();
        return await(new Server("clickhouse", p, http, dir), dir.resolve("log/error.log"));
    }

    /**
     * PostgreSQL with trust authentication for user {@code postgres} on the returned port. Its data directory is
     * a fresh one under the system temp directory (deleted on close): run as the postgres user, the server could
     * not enter a test's own temp directory.
     */
    public static Server postgres() throws Exception {
        Path bin = postgresBin();
        Path dir = Files.createTempDirectory("sluice-postgres-");
        Path data = dir.resolve("data");
        run(List.of("chown", "-R", "postgres:postgres", dir.toString()));
        runAsPostgres(
                List.of(
                        bin.resolve("initdb").toString(),
                        "-D",
                        data.toString(),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "-E",
                        "UTF8"),
                dir.resolve("initdb.log"));
        return startPostgres(bin, dir, freePort());
    }

    /** Starts a stopped PostgreSQL again on its data directory and port (for failure tests). */
    public static Server restartPostgres(Server stopped) throws Exception {
        if (stopped.process().isAlive()) {
            throw new IllegalStateException("postgres on " + stopped.port() + " is still running");
        }
        return startPostgres(postgresBin(), stopped.dir(), stopped.port());
    }

    private static Server startPostgres(Path bin, Path dir, int port) throws Exception {
        Path data = dir.resolve("data");
        List<String> cmd = postgresUser(List.of(
                bin.resolve("postgres").toString(),
                "-D",
                data.toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=" + dir,
                "-c",
                "fsync=off"));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("postgres.log").toFile())
                .start();
        return await(new Server("postgres", p, port, dir, true), dir.resolve("postgres.log"));
    }

    /** Redis without persistence on the returned port. */
    public static Server redis(Path dir) throws Exception {
        Path bin = need("/usr/bin/redis-server", "redis-server");
        Files.createDirectories(dir);
        int port = freePort();
        Process p = new ProcessBuilder(
                        bin.toString(),
                        "--port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--dir",
                        dir.toString(),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--daemonize",
                        "no")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        return await(new Server("redis", p, port, dir), dir.resolve("redis.log"));
    }

    // ---------------------------------------------------------------- helpers

    static Path need(String path, String debianPackage) {
        Path p = Path.of(path);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(
                    path + " is missing: install Debian's " + debianPackage + " (bash scripts/install-deps.sh does)");
        }
        return p;
    }

    /** The newest /usr/lib/postgresql/N/bin. */
    static Path postgresBin() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException(
                    "PostgreSQL is missing: install Debian's postgresql (bash scripts/install-deps.sh does)");
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.filter(v -> Files.isExecutable(v.resolve("bin/postgres")))
                    .max(Comparator.comparingInt(
                            v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))))
                    .map(v -> v.resolve("bin"))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL server under " + root));
        }
    }

    /** PostgreSQL will not run as root: run it as the postgres user then. */
    static List<String> postgresUser(List<String> cmd) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return cmd;
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        out.addAll(cmd);
        return out;
    }

    static void runAsPostgres(List<String> cmd, Path log) throws Exception {
        Process p = new ProcessBuilder(postgresUser(cmd))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd.get(0) + " failed: " + Files.readString(log));
        }
    }

    static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    /** Waits until the port accepts connections; the log in the error when the server exits or never does. */
    static Server await(Server s, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!s.process().isAlive()) {
                throw new IllegalStateException(s.name() + " exited with "
                        + s.process().exitValue() + ": " + (Files.exists(log) ? Files.readString(log) : "(no log)"));
            }
            try (Socket socket = new Socket(s.host(), s.port())) {
                return s;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        s.close();
        throw new IllegalStateException(s.name() + " did not listen on " + s.port() + " in 60 s: "
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
