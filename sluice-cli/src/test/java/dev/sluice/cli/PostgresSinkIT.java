package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.kafka.testing.LocalServers;
import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL sink against a real PostgreSQL (Debian's, started by the test): the ecommerce example with an
 * {@code orders} table beside its DuckDB tables (the dual write). Each order's status changes arrive shuffled
 * and duplicated; the table holds each order's newest state (an older change never overwrites a newer one; that
 * an order has one row is the table's primary key, so it is not what is checked). Then PostgreSQL is stopped for
 * 30 s while orders keep coming: the sink counts the failures and backs off, readiness goes to 503, and after the
 * restart it catches up from the offsets it committed in the same transactions: every order posted is there with
 * its newest state, and the committed offsets cover each posted event exactly once.
 */
@Tag("slow")
class PostgresSinkIT {
    @TempDir
    Path dir;

    static String order(String orderId, String status, Instant at, String eventId) {
        return "{\"event_id\":\"" + eventId + "\",\"order_id\":\"" + orderId + "\",\"user_id\":\"u-" + orderId
                + "\",\"country\":\"DE\",\"currency\":\"EUR\",\"amount\":10,\"status\":\"" + status
                + "\",\"created_at\":\"" + at + "\"}";
    }

    @Test
    void theTableHoldsEachOrdersNewestStateAndSurvivesAnOutage() throws Exception {
        LocalServers.Server pg = LocalServers.postgres();
        try {
            String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres";
            Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), SharedKafka.uniqueName("pg"));
            Files.writeString(
                    file,
                    Files.readString(file)
                            + "  orders_pg:\n    type: postgres\n    url: " + url + "\n    stream: orders\n"
                            + "    key: order_id\n");
            Pipeline pipeline = PipelineLoader.withSystemEnv().load(file);
            try (SluiceRuntime rt = SluiceRuntime.start(
                    pipeline,
                    new SluiceRuntime.Options(
                            dir.resolve("data"),
                            "127.0.0.1",
                            0,
                            0,
                            SharedKafka.get().bootstrapServers(),
                            Clock.systemUTC()))) {
                assertThat(rt.awaitRunning(Duration.ofSeconds(60))).isTrue();
                Instant t0 = Instant.now().minusSeconds(60);
                Map<String, String> truth = new HashMap<>();
                List<String> events = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    String o = "o-" + i;
                    events.add(order(o, "placed", t0.plusMillis(i), o + "-1"));
                    events.add(order(o, "paid", t0.plusMillis(1000 + i), o + "-2"));
                    truth.put(o, "paid");
                    if (i % 6 == 0) {
                        events.add(order(o, "refunded", t0.plusMillis(2000 + i), o + "-3"));
                        truth.put(o, "refunded");
                    }
                }
                List<String> shuffled = new ArrayList<>(events);
                shuffled.addAll(events.subList(0, 20)); // sent twice
                Collections.shuffle(shuffled, new Random(7));
                for (int i = 0; i < shuffled.size(); i += 25) {
                    LiveIT.postTo(rt.httpPort(), shuffled.subList(i, Math.min(i + 25, shuffled.size())));
                }
                awaitTable(url, truth);
                // each column as sent: the time to the millisecond, the number, the event that set the row
                try (Connection c = DriverManager.getConnection(url, "postgres", "");
                        Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT floor(extract(epoch FROM created_at) * 1000)::bigint,"
                                + " amount, user_id, sent_at, _sluice_event_id FROM orders WHERE order_id = 'o-0'")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getLong(1)).isEqualTo(t0.plusMillis(2000).toEpochMilli());
                    assertThat(rs.getDouble(2)).isEqualTo(10.0);
                    assertThat(rs.getString(3)).isEqualTo("u-o-0");
                    assertThat(rs.getString(4)).isNull();
                    assertThat(rs.getString(5)).isEqualTo("o-0-3");
                }

                // PostgreSQL away for 30 s while orders keep coming
                pg.stop();
                Instant t1 = Instant.now();
                for (int i = 0; i < 40; i++) {
                    String o = "late-" + i;
                    LiveIT.postTo(rt.httpPort(), List.of(order(o, "paid", t1.plusMillis(i), o + "-1")));
                    truth.put(o, "paid");
                    Thread.sleep(750);
                    if (i == 10) {
                        HttpResponse<String> ready = LiveIT.HTTP.send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + rt.httpPort() + "/health/ready"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
                    }
                }
                String metrics = LiveIT.HTTP
                        .send(
                                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rt.httpPort() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(metrics)
                        .containsPattern(
                                "sluice_errors_total\\{component=\"sink\",name=\"orders_pg\",pipeline=\"[^\"]+\","
                                        + "stage=\"write\"} [1-9]");
                pg = LocalServers.restartPostgres(pg);
                awaitTable(url, truth);
                try (Connection c = DriverManager.getConnection(url, "postgres", "");
                        Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT sum(next_offset) FROM _sluice_offsets")) {
                    rs.next();
                    // every event posted was consumed once: its offset is behind the committed position
                    assertThat(rs.getLong(1)).isEqualTo(shuffled.size() + 40);
                }
            }
        } finally {
            pg.close();
        }
    }

    /** Waits until the table equals the truth (order → status), then checks it once more. */
    static void awaitTable(String url, Map<String, String> truth) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Map<String, String> table = Map.of();
        while (System.nanoTime() < deadline) {
            try {
                table = read(url);
                if (table.equals(truth)) {
                    return;
                }
            } catch (SQLException e) {
                // starting up, or the table is not there yet
            }
            Thread.sleep(300);
        }
        assertThat(table).isEqualTo(truth);
    }

    static Map<String, String> read(String url) throws SQLException {
        Map<String, String> m = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT order_id, status FROM orders")) {
            while (rs.next()) {
                m.put(rs.getString(1), rs.getString(2));
            }
        }
        return m;
    }
}
