package dev.sluice.kafka.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real servers the store tests use start here, each on its own port and data directory, and answer their
 * own protocol: ClickHouse over HTTP, PostgreSQL over JDBC, Redis over RESP.
 */
class LocalServersIT {
    @TempDir
    Path dir;

    @Test
    void clickhouseAnswersOverHttp() throws Exception {
        try (LocalServers.Server ch = LocalServers.clickhouse(dir.resolve("clickhouse"))) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + ch.port() + "/?query=";
            HttpResponse<String> v = http.send(
                    HttpRequest.newBuilder(
                                    URI.create(base + URLEncoder.encode("SELECT version()", StandardCharsets.UTF_8)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(v.statusCode()).isEqualTo(200);
            assertThat(v.body().trim()).matches("\\d+\\.\\d+.*");
            HttpResponse<String> create = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ch.port() + "/"))
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "CREATE TABLE t (k String, n UInt64) ENGINE = MergeTree ORDER BY k"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(create.statusCode()).as(create.body()).isEqualTo(200);
            HttpResponse<String> insert = http.send(
                    HttpRequest.newBuilder(URI.create(base
                                    + URLEncoder.encode("INSERT INTO t FORMAT JSONEachRow", StandardCharsets.UTF_8)))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"k\":\"a\",\"n\":2}\n{\"k\":\"b\",\"n\":3}\n"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(insert.statusCode()).as(insert.body()).isEqualTo(200);
            HttpResponse<String> sum = http.send(
                    HttpRequest.newBuilder(URI.create(
                                    base + URLEncoder.encode("SELECT sum(n) FROM t", StandardCharsets.UTF_8)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sum.body().trim()).isEqualTo("5");
        }
    }

    @Test
    void postgresAnswersOverJdbc() throws Exception {
        try (LocalServers.Server pg = LocalServers.postgres()) {
            String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Connection c = null;
            while (c == null) {
                try {
                    c = DriverManager.getConnection(url, "postgres", "");
                } catch (SQLException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(200); // still starting up
                }
            }
            try (Connection conn = c;
                    Statement s = conn.createStatement()) {
                s.execute("CREATE TABLE t (k text PRIMARY KEY, n bigint)");
                s.execute("INSERT INTO t VALUES ('a', 2) ON CONFLICT (k) DO UPDATE SET n = excluded.n");
                s.execute("INSERT INTO t VALUES ('a', 5) ON CONFLICT (k) DO UPDATE SET n = excluded.n");
                try (ResultSet rs = s.executeQuery("SELECT n, current_setting('server_version_num')::int FROM t")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getLong(1)).isEqualTo(5);
                    assertThat(rs.getInt(2)).isGreaterThanOrEqualTo(150000);
                }
            }
        }
    }

    @Test
    void redisAnswersPing() throws Exception {
        try (LocalServers.Server redis = LocalServers.redis(dir.resolve("redis"));
                Socket s = new Socket(redis.host(), redis.port())) {
            OutputStream out = s.getOutputStream();
            out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] reply = new byte[7];
            assertThat(in.readNBytes(reply, 0, 7)).isEqualTo(7);
            assertThat(new String(reply, StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
        }
    }
}
