package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice run} in a child JVM with its embedded broker, killed with SIGKILL {@value #KILLS} times while
 * events stream in, each time at a point where it is doing work of a given kind, and restarted on the same data
 * directory. Once the client has retried the requests it got no answer for (same event ids), both views equal
 * the ground truth computed here (plain JDK code in {@link OrdersScenario} and {@link BasketView}), the DuckDB raw
 * table holds exactly the accepted ids and {@code _sluice_late} each hours-late event once per window.
 *
 * <p>How a kill is shown to interrupt work: the child is first frozen with SIGSTOP, so its files (the broker's
 * log segments, the DuckDB file) stay as they are; the test reads them ({@link KafkaLogFiles}, a copy of the
 * DuckDB file) and sends SIGKILL only when they show the work the kill point names in progress, otherwise it
 * thaws the child (SIGCONT) and tries again a moment later. The points:
 *
 * <ul>
 *   <li>{@code HTTP_REQUEST}: a POST whose events are partly or wholly in the stream topic's log, and the client
 *       has no answer; after the kill the client's request fails, and the retry with the same ids doubles nothing;
 *   <li>{@code PROCESSOR_TRANSACTION}: a transaction of the processor (exactly_once_v2) has written records to
 *       its output topics without a commit marker; after restart it ends with an abort or commit marker;
 *   <li>{@code SINK_WRITE}: the stream topic holds acknowledged events that DuckDB's stored offsets have not
 *       reached (the sink's batch and its offsets are not committed);
 *   <li>{@code LATE_MERGE}: hours-late events that the processor has routed to the late topic but DuckDB's
 *       {@code _sluice_late} does not list yet.
 * </ul>
 *
 * The kill points are drawn from a seeded random generator; the seed is printed and can be set with {@code
 * -Dsluice.kill.seed=N}; {@code -Dsluice.kill.plan=SINK_WRITE,LATE_MERGE} replaces the drawn points (to
 * repeat one). When a basket_sizes row is wrong, the failure shows the row's history on the view topic
 * (updates and late deltas, committed or aborted) and what DuckDB merged, and the temporary directory
 * (logs, broker and DuckDB files) is kept.
 */
@Tag("slow")
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class KillRestartIT {
    static final int KILLS = 12;
    static final String STREAM_TOPIC = "ecommerce.orders";
    static final String LATE_TOPIC = "ecommerce.orders.late";
    static final Duration CAUGHT_WITHIN = Duration.ofSeconds(20);

    enum Point {
        HTTP_REQUEST,
        PROCESSOR_TRANSACTION,
        SINK_WRITE,
        LATE_MERGE
    }

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    OrdersScenario s;
    ChildSluice sluice;
    Random chance;
    final Deque<List<JsonNode>> toSend = new ArrayDeque<>();
    final List<List<JsonNode>> unanswered = new ArrayList<>();
    final Set<String> hoursLateIds = new HashSet<>();
    final List<KafkaLogFiles.OpenTransaction> interrupted = new ArrayList<>();
    int nextLateIndex = 1_000_000;

    @Test
    void everyKillInterruptsWorkAndNothingIsLostOrCountedTwice() throws Exception {
        long seed = Long.getLong("sluice.kill.seed", new Random().nextLong());
        System.out.println("KillRestartIT: seed " + seed + " (repeat with -Dsluice.kill.seed=" + seed + ")");
        chance = new Random(seed);
        s = new OrdersScenario(seed);
        toSend.addAll(s.batches(6000, 0, 50));
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), "ecommerce");
        BasketView.addTo(file);
        sluice = new ChildSluice(file, dir.resolve("data"), dir);
        long started = System.nanoTime();
        sluice.start();
        try {
            // every partition of every aggregation sees events first, so the hours-late ones are late
            for (int i = 0; i < 10; i++) {
                sendAnswered(toSend.poll());
            }
            awaitViewsEqualTruth("before the first kill");
            List<Point> plan = plan();
            System.out.println("KillRestartIT: kill points " + plan);
            for (int k = 0; k < plan.size(); k++) {
                Point point = plan.get(k);
                String what =
                        switch (point) {
                            case HTTP_REQUEST -> killMidRequest();
                            case PROCESSOR_TRANSACTION -> killMidProcessorTransaction();
                            case SINK_WRITE -> killMidSinkWrite();
                            case LATE_MERGE -> killMidLateMerge();
                        };
                long killed = System.nanoTime();
                sluice.start();
                sluice.awaitReady();
                System.out.printf(
                        "KillRestartIT: kill %d/%d at %s, %.1f s in (ready again %.1f s later): %s%n",
                        k + 1, plan.size(), point, (killed - started) / 1e9, (System.nanoTime() - killed) / 1e9, what);
                for (List<JsonNode> b : unanswered) {
                    HttpResponse<String> r = sendAnswered(b);
                    assertThat(r.statusCode())
                            .as("retry of the request the kill left unanswered: %s", r.body())
                            .isIn(200, 207);
                }
                unanswered.clear();
                // no wait for the views here: the next kill finds the sink behind, as in production (waiting hid
                // the sink re-reading whole topics on restart, which lost late deltas)
            }
            while (!toSend.isEmpty()) {
                sendAnswered(toSend.poll());
            }
            awaitViewsEqualTruthOrDiagnose("after " + plan.size() + " kills and the rest of the events");
        } finally {
            sluice.stop();
        }
        assertStoredOnceEach();
        assertEachInterruptedTransactionEnded();
        System.out.printf("KillRestartIT: %.1f s%n", (System.nanoTime() - started) / 1e9);
    }

    /** Each point at least twice, the rest drawn at random, in a random order. */
    private List<Point> plan() {
        List<Point> plan = new ArrayList<>();
        for (Point p : Point.values()) {
            plan.add(p);
            plan.add(p);
        }
        while (plan.size() < KILLS) {
            plan.add(Point.values()[chance.nextInt(Point.values().length)]);
        }
        Collections.shuffle(plan, chance);
        String forced = System.getProperty("sluice.kill.plan");
        if (forced != null) {
            plan = new ArrayList<>(java.util.Arrays.stream(forced.split(","))
                    .map(Point::valueOf)
                    .toList());
        }
        return plan;
    }

    /** Freezes the child and runs {@code check}; kills it if the check found the work, else thaws it. */
    private String frozen(Callable<String> check) throws Exception {
        sluice.freeze();
        String found;
        try {
            found = check.call();
        } catch (Exception | Error e) {
            sluice.thaw();
            throw e;
        }
        if (found == null) {
            sluice.thaw();
        } else {
            sluice.kill();
        }
        return found;
    }

    private String killMidRequest() throws Exception {
        for (int attempt = 0; attempt < 10; attempt++) {
            List<JsonNode> batch = new ArrayList<>();
            for (int i = 0; i < 10 && !toSend.isEmpty(); i++) {
                batch.addAll(toSend.poll());
            }
            long before = KafkaLogFiles.sum(KafkaLogFiles.endOffsets(sluice.kafkaLogDir(), STREAM_TOPIC));
            CompletableFuture<Object> answer = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    answer.complete(s.send(http, sluice.port, batch, true));
                } catch (Exception e) {
                    answer.complete(e);
                }
            });
            long deadline = System.nanoTime() + CAUGHT_WITHIN.toNanos();
            while (!answer.isDone() && System.nanoTime() < deadline) {
                String found = frozen(() -> {
                    long written =
                            KafkaLogFiles.sum(KafkaLogFiles.endOffsets(sluice.kafkaLogDir(), STREAM_TOPIC)) - before;
                    if (written == 0) {
                        return null;
                    }
                    // an answer already on the wire still reaches the client while the child is frozen
                    Thread.sleep(300);
                    return answer.isDone()
                            ? null
                            : "POST of " + batch.size() + " events without an answer, " + written
                                    + " of them already in the log of " + STREAM_TOPIC;
                });
                if (found != null) {
                    Object outcome = answer.get(60, TimeUnit.SECONDS);
                    assertThat(outcome)
                            .as("what the client got for the request the kill interrupted")
                            .isInstanceOf(IOException.class);
                    unanswered.add(batch);
                    return found;
                }
                Thread.sleep(chance.nextInt(3));
            }
            Object outcome = answer.get(120, TimeUnit.SECONDS);
            if (outcome instanceof Exception e) {
                throw new AssertionError("a request failed with the child running", e);
            }
            System.out.println("KillRestartIT:   (request answered before a freeze caught it; another)");
        }
        throw new AssertionError("no freeze caught a request in flight in 10 attempts");
    }

    private String killMidProcessorTransaction() throws Exception {
        return killWhileSending("a processor transaction open", () -> {
            // one an earlier kill left open may still wait for the restarted processor to abort it
            List<KafkaLogFiles.OpenTransaction> open = new ArrayList<>(
                    KafkaLogFiles.openTransactions(sluice.kafkaLogDir(), KillRestartIT::processorOutput));
            open.removeIf(t -> interrupted.stream().anyMatch(old -> old.sameAs(t)));
            if (open.isEmpty()) {
                return null;
            }
            interrupted.addAll(open);
            return "processor transaction open (records, no marker) on " + open;
        });
    }

    /**
     * Sends a batch, waits 0-80 ms (the processor commits every 100 ms, the sink polls every 200 ms), freezes
     * the child and kills it if {@code check} finds the work; up to 30 batches.
     */
    private String killWhileSending(String what, Callable<String> check) throws Exception {
        for (int attempt = 0; attempt < 30 && !toSend.isEmpty(); attempt++) {
            sendAnswered(toSend.poll());
            Thread.sleep(chance.nextInt(80));
            String found = frozen(check);
            if (found != null) {
                return found;
            }
        }
        throw new AssertionError("no freeze after any of 30 batches caught " + what);
    }

    /** Topics the processor writes in its transactions: internal topics, views, late topic, dead letters. */
    private static boolean processorOutput(String topic) {
        return topic.startsWith("sluice-ecommerce-")
                || topic.startsWith("ecommerce.view.")
                || topic.equals(LATE_TOPIC)
                || topic.equals("ecommerce.dlq");
    }

    private String killMidSinkWrite() throws Exception {
        return killWhileSending("the sink behind the stream topic", () -> {
            Map<Integer, Long> ends = KafkaLogFiles.endOffsets(sluice.kafkaLogDir(), STREAM_TOPIC);
            Map<Integer, Long> stored = new TreeMap<>();
            inDuckDbCopy(c -> {
                try (Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery(
                                "SELECT part, next_offset FROM _sluice_offsets WHERE topic = '" + STREAM_TOPIC + "'")) {
                    while (rs.next()) {
                        stored.put(rs.getInt(1), rs.getLong(2));
                    }
                }
                return null;
            });
            long behind = 0;
            for (Map.Entry<Integer, Long> e : ends.entrySet()) {
                behind += e.getValue() - stored.getOrDefault(e.getKey(), 0L);
            }
            return behind == 0
                    ? null
                    : behind + " acknowledged events of " + STREAM_TOPIC + " not yet in DuckDB (log ends " + ends
                            + ", DuckDB's offsets " + stored + ")";
        });
    }

    private String killMidLateMerge() throws Exception {
        List<String> rounds = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            List<JsonNode> late = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                late.add(s.order(nextLateIndex++, s.t0 - Duration.ofHours(3).toMillis() + chance.nextInt(30 * 60_000)));
            }
            sendAnswered(late);
            Set<String> ids = new HashSet<>();
            for (JsonNode e : late) {
                String id = e.get("event_id").asText();
                if (s.accepted.containsKey(id)) {
                    ids.add(id);
                }
            }
            hoursLateIds.addAll(ids);
            boolean[] allMerged = {false};
            int[] seen = {0, 0, 0}; // routed, merged at the last check; checks
            long deadline = System.nanoTime() + CAUGHT_WITHIN.toNanos();
            while (!allMerged[0] && System.nanoTime() < deadline) {
                String found = frozen(() -> {
                    Set<String> routed = new TreeSet<>(KafkaLogFiles.keys(sluice.kafkaLogDir(), LATE_TOPIC));
                    routed.retainAll(ids);
                    Set<String> merged = inDuckDbCopy(c -> {
                        Set<String> out = new HashSet<>();
                        try (Statement st = c.createStatement();
                                ResultSet rs = st.executeQuery("SELECT DISTINCT event_id FROM _sluice_late")) {
                            while (rs.next()) {
                                out.add(rs.getString(1));
                            }
                        }
                        return out;
                    });
                    merged.retainAll(ids);
                    allMerged[0] = merged.size() == ids.size();
                    seen[0] = routed.size();
                    seen[1] = merged.size();
                    seen[2]++;
                    Set<String> pending = new TreeSet<>(routed);
                    pending.removeAll(merged);
                    return pending.isEmpty()
                            ? null
                            : pending.size() + " of " + ids.size() + " hours-late events routed to " + LATE_TOPIC
                                    + " and not yet merged in DuckDB (" + merged.size() + " merged)";
                });
                if (found != null) {
                    return found;
                }
                // each check keeps the child frozen for about 0.2 s; with only a few ms of running between
                // checks it starved (100 checks in 20 s and the late events not processed once)
                Thread.sleep(20 + chance.nextInt(100));
            }
            rounds.add(ids.size() + " of " + late.size() + " accepted, " + seen[2] + " checks, last saw " + seen[0]
                    + " routed and " + seen[1] + " merged");
        }
        throw new AssertionError("no freeze caught hours-late events between routing and merge: " + rounds);
    }

    /** Runs {@code query} on a copy of the (frozen or dead) child's DuckDB file, as a restart would find it. */
    private <T> T inDuckDbCopy(SqlFunction<T> query) throws Exception {
        Path copy = Files.createTempDirectory(dir, "duckdb-copy");
        try {
            Path db = sluice.duckDbFile();
            Files.copy(db, copy.resolve("sluice.duckdb"), StandardCopyOption.REPLACE_EXISTING);
            Path wal = db.resolveSibling("sluice.duckdb.wal");
            if (Files.exists(wal)) {
                Files.copy(wal, copy.resolve("sluice.duckdb.wal"));
            }
            try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + copy.resolve("sluice.duckdb"))) {
                return query.apply(c);
            }
        } finally {
            try (var files = Files.list(copy)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(copy);
        }
    }

    interface SqlFunction<T> {
        T apply(Connection c) throws SQLException;
    }

    /** Sends a batch until it is answered (a restarting child refuses connections or answers 503). */
    private HttpResponse<String> sendAnswered(List<JsonNode> batch) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = s.send(http, sluice.port, batch, true);
                if (r.statusCode() != 429 && r.statusCode() != 503) {
                    assertThat(r.statusCode()).as(r.body()).isIn(200, 207, 422);
                    return r;
                }
            } catch (IOException e) {
                last = e; // a connection the kill closed; the same ids again are safe
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no answer within 120 s: " + sluice.logs(), last);
    }

    private void awaitViewsEqualTruthOrDiagnose(String when) throws Exception {
        try {
            awaitViewsEqualTruth(when);
        } catch (AssertionError e) {
            sluice.stop();
            throw new AssertionError(e.getMessage() + "\n" + diagnose(e.getMessage()), e);
        }
    }

    private void awaitViewsEqualTruth(String when) throws Exception {
        Map<String, OrdersScenario.Expected> truth = s.groundTruth();
        List<String> diffs = awaitEmpty(() -> OrdersScenario.compare(truth, OrdersScenario.queried(http, sluice.port)));
        assertThat(diffs.subList(0, Math.min(diffs.size(), 20)))
                .as("gmv_by_country %s; open transactions %s", when, openTransactionsNow())
                .isEmpty();
        Map<String, List<BigDecimal>> baskets = BasketView.truth(s.accepted.values());
        List<String> basketDiffs = awaitEmpty(() -> BasketView.compare(baskets, BasketView.queried(http, sluice.port)));
        assertThat(basketDiffs.subList(0, Math.min(basketDiffs.size(), 20)))
                .as("basket_sizes (hopping) %s; open transactions %s", when, openTransactionsNow())
                .isEmpty();
    }

    /** For a failure message: what of the processor's output the sink cannot read yet (read_committed). */
    private String openTransactionsNow() {
        try {
            return KafkaLogFiles.openTransactions(sluice.kafkaLogDir(), KillRestartIT::processorOutput)
                    .toString();
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e + ")";
        }
    }

    private static List<String> awaitEmpty(Callable<List<String>> diffs) throws Exception {
        List<String> last = List.of("not compared yet");
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            last = diffs.call();
            if (last.isEmpty()) {
                break;
            }
            Thread.sleep(500);
        }
        return last;
    }

    /**
     * The raw table holds exactly the accepted ids, and {@code _sluice_late} lists each hours-late event once
     * per window of each view that counts it: one 1-minute window of gmv_by_country when paid, and both 10-minute
     * hopping windows of basket_sizes.
     */
    private void assertStoredOnceEach() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + sluice.duckDbFile());
                Statement st = c.createStatement()) {
            List<String> stored = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT event_id FROM orders")) {
                while (rs.next()) {
                    stored.add(rs.getString(1));
                }
            }
            Set<String> storedSet = new HashSet<>(stored);
            assertThat(stored).as("raw rows, one per id").hasSize(storedSet.size());
            assertThat(new TreeSet<>(difference(s.accepted.keySet(), storedSet)))
                    .as("accepted, not stored")
                    .isEmpty();
            assertThat(new TreeSet<>(difference(storedSet, s.accepted.keySet())))
                    .as("stored, never accepted")
                    .isEmpty();

            List<String> merged = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT view, event_id, epoch_ms(window_start) FROM _sluice_late")) {
                while (rs.next()) {
                    if (hoursLateIds.contains(rs.getString(2))) {
                        merged.add(rs.getString(1) + "|" + rs.getString(2) + "|" + Instant.ofEpochMilli(rs.getLong(3)));
                    }
                }
            }
            List<String> expected = new ArrayList<>();
            for (String id : hoursLateIds) {
                JsonNode e = s.accepted.get(id);
                long t = Instant.parse(e.get("created_at").asText()).toEpochMilli();
                if ("paid".equals(e.get("status").asText())) {
                    expected.add(
                            "gmv_by_country|" + id + "|" + Instant.ofEpochMilli(Math.floorDiv(t, 60_000L) * 60_000L));
                }
                long last = Math.floorDiv(t, BasketView.ADVANCE) * BasketView.ADVANCE;
                for (long start = last; start > t - BasketView.SIZE; start -= BasketView.ADVANCE) {
                    expected.add("basket_sizes|" + id + "|" + Instant.ofEpochMilli(start));
                }
            }
            Collections.sort(merged);
            Collections.sort(expected);
            assertThat(merged)
                    .as("late merges of the %d hours-late events", hoursLateIds.size())
                    .isEqualTo(expected);
        }
    }

    /**
     * For each wrong basket_sizes row in {@code failure}: the events the truth puts in it, what the processor
     * emitted for it on the view topic (updates, late deltas, committed or not) and what DuckDB merged, so a
     * reader sees whether the processor or the store lost or doubled an event.
     */
    private String diagnose(String failure) {
        StringBuilder sb = new StringBuilder();
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                            "(\\d{4}-[^|\"]+Z)\\|([A-Z]{2})\\|(true|false): wrong")
                    .matcher(failure);
            Set<String> seen = new HashSet<>();
            List<KafkaLogFiles.StoredRecord> view =
                    KafkaLogFiles.records(sluice.kafkaLogDir(), "ecommerce.view." + BasketView.NAME);
            while (m.find()) {
                if (!seen.add(m.group(0))) {
                    continue;
                }
                long start = Instant.parse(m.group(1)).toEpochMilli();
                String country = m.group(2);
                boolean big = Boolean.parseBoolean(m.group(3));
                String key = start + "|[\"" + country + "\"," + big + "]";
                long truth = s.accepted.values().stream()
                        .filter(e -> {
                            long t = Instant.parse(e.get("created_at").asText()).toEpochMilli();
                            return t >= start
                                    && t < start + BasketView.SIZE
                                    && e.get("country").asText().equals(country)
                                    && (e.get("amount").decimalValue().compareTo(BigDecimal.valueOf(100)) >= 0) == big;
                        })
                        .count();
                Map<String, Integer> emitted = new TreeMap<>();
                Set<String> lateCommitted = new TreeSet<>();
                for (KafkaLogFiles.StoredRecord r : view) {
                    if (key.equals(r.key())) {
                        JsonNode v = OrdersScenario.JSON.readTree(r.value());
                        String kind = v.path("kind").asText();
                        emitted.merge(kind + " " + r.outcome(), 1, Integer::sum);
                        if (kind.equals("update")) {
                            sb.append("  update ")
                                    .append(r.partition())
                                    .append('@')
                                    .append(r.offset())
                                    .append(" v")
                                    .append(v.path("version").asText())
                                    .append(' ')
                                    .append(r.outcome())
                                    .append('\n');
                        } else if (r.outcome() == ControlRecordType.COMMIT) {
                            lateCommitted.add(v.path("event_id").asText());
                        }
                    }
                }
                Set<String> merged = new TreeSet<>();
                try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + sluice.duckDbFile());
                        Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT event_id FROM _sluice_late WHERE view = '"
                                + BasketView.NAME + "' AND epoch_ms(window_start) = " + start + " AND _group_key = '"
                                + key.substring(key.indexOf('|') + 1) + "'")) {
                    while (rs.next()) {
                        merged.add(rs.getString(1));
                    }
                }
                sb.append("== ")
                        .append(key)
                        .append(": truth ")
                        .append(truth)
                        .append(" events; view topic ")
                        .append(emitted)
                        .append("; late deltas committed but not in _sluice_late ")
                        .append(difference(lateCommitted, merged))
                        .append("; in _sluice_late, not committed ")
                        .append(difference(merged, lateCommitted))
                        .append('\n');
            }
        } catch (Exception e) {
            sb.append("diagnosis failed: ").append(e);
        }
        return sb.toString();
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> out = new HashSet<>(a);
        out.removeAll(b);
        return out;
    }

    /** Every processor transaction a kill interrupted ended, after the restart, with a marker. */
    private void assertEachInterruptedTransactionEnded() throws IOException {
        Map<KafkaLogFiles.OpenTransaction, ControlRecordType> outcomes = new HashMap<>();
        for (KafkaLogFiles.OpenTransaction t : interrupted) {
            outcomes.put(t, KafkaLogFiles.outcome(sluice.kafkaLogDir(), t));
        }
        System.out.println("KillRestartIT: interrupted processor transactions ended with " + outcomes);
        assertThat(outcomes.entrySet().stream()
                        .filter(e -> e.getValue() == null)
                        .map(Map.Entry::getKey)
                        .toList())
                .as("interrupted processor transactions without a commit or abort marker")
                .isEmpty();
    }
}
