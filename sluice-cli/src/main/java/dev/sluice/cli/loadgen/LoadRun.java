package dev.sluice.cli.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.cli.loadgen.EventSource.Generated;
import dev.sluice.cli.loadgen.EventSource.Kind;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Sends a scenario's events to a target at its rate, prints progress, and keeps the truth of what was accepted. */
final class LoadRun {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int IN_FLIGHT = 4;

    /** Where events go; {@link #send} completes with whether each event was accepted. */
    interface Target extends AutoCloseable {
        CompletableFuture<boolean[]> send(List<Generated> batch);

        @Override
        void close();
    }

    /** What a run did. */
    record Summary(
            long sent,
            long acknowledged,
            long refused,
            long failed,
            Map<Kind, Long> injected,
            double seconds,
            long unique) {
        double rate() {
            return seconds <= 0 ? 0 : sent / seconds;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sent", sent);
            m.put("acknowledged", acknowledged);
            m.put("refused", refused);
            m.put("failed", failed);
            Map<String, Long> inj = new LinkedHashMap<>();
            injected.forEach((k, v) -> inj.put(k.name().toLowerCase(java.util.Locale.ROOT), v));
            m.put("injected", inj);
            m.put("seconds", Math.round(seconds * 1000) / 1000.0);
            m.put("rate", Math.round(rate()));
            m.put("unique_accepted", unique);
            return m;
        }
    }

    private final Scenario scenario;
    private final EventSource source;
    private final Target target;
    private final Truth truth;
    private final PrintStream out;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<Kind, AtomicLong> injected = new EnumMap<>(Kind.class);
    private final List<String> sourceTimeFields;
    private AcceptedLog accepted;

    LoadRun(Scenario scenario, EventSource source, Target target, PrintStream out) {
        this.scenario = scenario;
        this.source = source;
        this.target = target;
        this.truth = new Truth(scenario.pipeline(), scenario.stream().name());
        this.out = out;
        this.sourceTimeFields = scenario.sourceTimeFields();
        for (Kind k : Kind.values()) {
            injected.put(k, new AtomicLong());
        }
    }

    Truth truth() {
        return truth;
    }

    /** Also writes each accepted event to {@code log}. */
    void acceptedTo(AcceptedLog log) {
        this.accepted = log;
    }

    /**
     * The events the target accepted that keep the contract, one JSON object a line in the order the answers came,
     * duplicates included: the raw input for checking the views with another tool than Sluice's own truth.
     */
    static final class AcceptedLog implements AutoCloseable {
        private final java.io.BufferedWriter out;

        private AcceptedLog(java.io.BufferedWriter out) {
            this.out = out;
        }

        /** A log to {@code file}, or one that writes nothing when file is null. */
        static AcceptedLog to(java.nio.file.Path file) throws java.io.IOException {
            if (file == null) {
                return new AcceptedLog(null);
            }
            java.nio.file.Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                java.nio.file.Files.createDirectories(parent);
            }
            return new AcceptedLog(java.nio.file.Files.newBufferedWriter(file, StandardCharsets.UTF_8));
        }

        synchronized void write(JsonNode event) {
            if (out == null) {
                return;
            }
            try {
                out.write(event.toString());
                out.write('\n');
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public synchronized void close() throws java.io.IOException {
            if (out != null) {
                out.close();
            }
        }
    }

    /** Sends {@code events} events (or for {@code duration} when events is 0). */
    Summary run(long events, Duration duration) throws Exception {
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        long t0 = System.nanoTime();
        long until = duration == null ? Long.MAX_VALUE : t0 + duration.toNanos();
        Thread progress = Thread.ofPlatform().daemon().start(() -> {
            long last = 0;
            long lastAt = System.nanoTime();
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                long s = sent.get();
                out.printf(
                        "loadgen: %5.0fs sent %,d  acknowledged %,d  refused %,d  failed %,d  %,.0f events/s%n",
                        (now - t0) / 1e9,
                        s,
                        acked.get(),
                        refused.get(),
                        failed.get(),
                        (s - last) / ((now - lastAt) / 1e9));
                last = s;
                lastAt = now;
            }
        });
        List<CompletableFuture<?>> pending = new ArrayList<>();
        try {
            long n = 0;
            while ((events == 0 || n < events) && System.nanoTime() < until) {
                int size = (int) (events == 0 ? scenario.batch() : Math.min(scenario.batch(), events - n));
                List<Generated> batch = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    Generated g = source.next();
                    injected.get(g.kind()).incrementAndGet();
                    batch.add(g);
                }
                n += size;
                long wait = t0 + batch.get(batch.size() - 1).dueNanos() - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                stampSourceTime(batch);
                inFlight.acquire();
                sent.addAndGet(batch.size());
                CompletableFuture<?> f = target.send(batch).handle((ok, ex) -> {
                    try {
                        record(batch, ok, ex);
                    } finally {
                        inFlight.release();
                    }
                    return null;
                });
                pending.add(f);
                pending.removeIf(CompletableFuture::isDone);
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        } finally {
            progress.interrupt();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<Kind, Long> inj = new EnumMap<>(Kind.class);
        injected.forEach((k, v) -> inj.put(k, v.get()));
        return new Summary(sent.get(), acked.get(), refused.get(), failed.get(), inj, seconds, truth.unique());
    }

    private void stampSourceTime(List<Generated> batch) {
        String now = Instant.now().toString();
        for (Generated g : batch) {
            if (g.event() != null) {
                for (String name : sourceTimeFields) {
                    g.event().put(name, now);
                }
            }
        }
    }

    private void record(List<Generated> batch, boolean[] ok, Throwable ex) {
        if (ex != null || ok == null) {
            failed.addAndGet(batch.size());
            out.println("loadgen: a batch of " + batch.size() + " failed: " + (ex == null ? "no answer" : ex));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Generated g = batch.get(i);
            if (ok[i]) {
                acked.incrementAndGet();
                if (g.valid()) {
                    truth.accepted(g.id(), g.event());
                    if (accepted != null) {
                        accepted.write(g.event());
                    }
                }
            } else {
                refused.incrementAndGet();
            }
        }
    }

    // ---------------------------------------------------------------- targets

    /** HTTP ingest: NDJSON batches; per-event acceptance from the answer's results. */
    static Target http(String baseUrl, String stream) {
        HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI uri = URI.create((baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl)
                + "/v1/streams/" + stream + "/events");
        return new Target() {
            @Override
            public CompletableFuture<boolean[]> send(List<Generated> batch) {
                StringBuilder body = new StringBuilder();
                for (Generated g : batch) {
                    body.append(g.line() != null ? g.line() : g.event().toString())
                            .append('\n');
                }
                return post(body.toString(), batch.size(), 0);
            }

            @Override
            public void close() {}

            private CompletableFuture<boolean[]> post(String body, int n, int attempt) {
                HttpRequest req = HttpRequest.newBuilder(uri)
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/x-ndjson")
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                        .build();
                return client.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                        .thenCompose(r -> {
                            if (r.statusCode() == 429 && attempt < 50) {
                                // nothing of the request was written: wait, send it again
                                return CompletableFuture.supplyAsync(
                                                () -> null,
                                                CompletableFuture.delayedExecutor(
                                                        200, java.util.concurrent.TimeUnit.MILLISECONDS))
                                        .thenCompose(x -> post(body, n, attempt + 1));
                            }
                            return CompletableFuture.completedFuture(results(r, n));
                        });
            }
        };
    }

    static boolean[] results(HttpResponse<String> r, int n) {
        boolean[] ok = new boolean[n];
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (Exception e) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        }
        JsonNode results = body.path("results");
        if (!results.isArray()) {
            throw new IllegalStateException(
                    "HTTP " + r.statusCode() + ": " + body.path("error").asText(r.body()));
        }
        for (JsonNode res : results) {
            int i = res.path("index").asInt();
            if (i >= 0 && i < n) {
                ok[i] = "accepted".equals(res.path("status").asText());
            }
        }
        return ok;
    }

    /** Kafka: JSON records to a topic; accepted when the broker acknowledged the record. */
    static Target kafka(String bootstrap, String topic, String keyField) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("bootstrap.servers", bootstrap);
        cfg.put("acks", "all");
        cfg.put("linger.ms", 5);
        cfg.put("compression.type", "lz4");
        KafkaProducer<byte[], byte[]> p =
                new KafkaProducer<>(cfg, new ByteArraySerializer(), new ByteArraySerializer());
        return new Target() {
            @Override
            public CompletableFuture<boolean[]> send(List<Generated> batch) {
                boolean[] ok = new boolean[batch.size()];
                CompletableFuture<boolean[]> done = new CompletableFuture<>();
                AtomicLong left = new AtomicLong(batch.size());
                for (int i = 0; i < batch.size(); i++) {
                    Generated g = batch.get(i);
                    int at = i;
                    byte[] value =
                            (g.line() != null ? g.line() : g.event().toString()).getBytes(StandardCharsets.UTF_8);
                    JsonNode k = g.event() == null ? null : g.event().get(keyField);
                    byte[] key = (k == null ? g.id() : k.asText()).getBytes(StandardCharsets.UTF_8);
                    p.send(new ProducerRecord<>(topic, key, value), (md, ex) -> {
                        ok[at] = ex == null;
                        if (left.decrementAndGet() == 0) {
                            done.complete(ok);
                        }
                    });
                }
                return done;
            }

            @Override
            public void close() {
                p.close(Duration.ofSeconds(30));
            }
        };
    }
}
