package dev.sluice.sources.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.kafka.metrics.ComponentMetrics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SourceDef;
import dev.sluice.schema.Violation;
import dev.sluice.sources.Admission;
import dev.sluice.sources.Utf8;
import dev.sluice.sources.Uuid7;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;

/**
 * {@code POST /v1/streams/{stream}/events}, independent of the HTTP server: parses a body holding
 * one JSON object, a JSON array of objects, or NDJSON; admits each event against the stream's
 * contract; writes the accepted ones to the stream topic; and completes only when Kafka has
 * acknowledged every one of them ({@code acks=all}, idempotent producer).
 *
 * <p>Back-pressure: at most {@code max_in_flight} events may wait for Kafka's acknowledgement; a
 * request that would exceed it is answered 429 at once, before anything is written, so memory is
 * bounded and nothing is half-accepted. When Kafka fails to acknowledge (broker down, timeout), the
 * events concerned are reported {@code unavailable} and the request is answered 503: the client
 * retries with the same ids and deduplication makes the retry safe.
 */
public final class HttpIngest {
    // trailing tokens fail: "{...}{...}" or two lines sent as application/json are two events, not the first one
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Pipeline pipeline;
    private final Producer<byte[], byte[]> producer;
    private final Clock clock;
    private final Map<String, Entry> streams = new HashMap<>();

    private record Entry(
            SourceDef.Http source,
            Admission admission,
            Semaphore inFlight,
            java.util.concurrent.atomic.AtomicLong accepted,
            ComponentMetrics metrics) {}

    public HttpIngest(Pipeline pipeline, Producer<byte[], byte[]> producer, Clock clock) {
        this(pipeline, producer, clock, PipelineMetrics.none());
    }

    public HttpIngest(Pipeline pipeline, Producer<byte[], byte[]> producer, Clock clock, PipelineMetrics metrics) {
        this.pipeline = pipeline;
        this.producer = producer;
        this.clock = clock;
        for (SourceDef s : pipeline.sources().values()) {
            if (s instanceof SourceDef.Http h) {
                streams.put(
                        h.stream(),
                        new Entry(
                                h,
                                new Admission(pipeline.stream(h.stream()), clock),
                                new Semaphore(h.maxInFlightEvents()),
                                new java.util.concurrent.atomic.AtomicLong(),
                                metrics.source(h.name())));
            }
        }
    }

    /** Events of a stream accepted over HTTP (acknowledged by Kafka) since start. */
    public long accepted(String stream) {
        Entry e = streams.get(stream);
        return e == null ? 0 : e.accepted().get();
    }

    /** The largest body accepted for a stream, or -1 when the stream has no http source. */
    public long maxBodyBytes(String stream) {
        Entry e = streams.get(stream);
        return e == null ? -1 : e.source().maxBodyBytes();
    }

    public long maxBodyBytes() {
        return streams.values().stream()
                .mapToLong(e -> e.source().maxBodyBytes())
                .max()
                .orElse(0);
    }

    /** The outcome of one request: an HTTP status and a JSON body. */
    public record Response(int status, Map<String, Object> body, Integer retryAfterSeconds) {
        static Response error(int status, String message, Integer retryAfter) {
            Map<String, Object> b = new java.util.LinkedHashMap<>();
            b.put("error", message);
            return new Response(status, b, retryAfter);
        }
    }

    public CompletableFuture<Response> ingest(String stream, byte[] body, String contentType) {
        Entry entry = streams.get(stream);
        if (entry == null) {
            return CompletableFuture.completedFuture(
                    pipeline.streams().containsKey(stream)
                            ? Response.error(404, "stream '" + stream + "' has no http source", null)
                            : Response.error(404, "unknown stream '" + stream + "'", null));
        }
        if (body.length > entry.source().maxBodyBytes()) {
            return CompletableFuture.completedFuture(Response.error(
                    413,
                    "body of " + body.length + " bytes exceeds max_body "
                            + entry.source().maxBodyBytes(),
                    null));
        }
        List<Parsed> parsed;
        try {
            parsed = parse(body, contentType);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Response.error(400, e.getMessage(), null));
        }
        if (parsed.isEmpty()) {
            return CompletableFuture.completedFuture(Response.error(400, "the body holds no events", null));
        }
        ComponentMetrics metrics = entry.metrics();
        metrics.received(parsed.size(), body.length);
        List<Map<String, Object>> results = new ArrayList<>(parsed.size());
        List<Admission.Accepted> accepted = new ArrayList<>();
        List<Map<String, Object>> acceptedResults = new ArrayList<>();
        for (Parsed p : parsed) {
            Map<String, Object> r = new java.util.LinkedHashMap<>();
            r.put("index", p.index());
            if (p.line() > 0) {
                r.put("line", p.line());
            }
            if (p.error() != null) {
                metrics.refused(1);
                r.put("status", "refused");
                r.put("errors", List.of(violation(new Violation("$", "json", p.error()))));
            } else {
                Admission.Result a = entry.admission()
                        .admit(p.event(), () -> Uuid7.next(clock).toString());
                if (a instanceof Admission.Accepted ok) {
                    r.put("status", "accepted");
                    r.put("id", ok.id());
                    accepted.add(ok);
                    acceptedResults.add(r);
                } else {
                    metrics.refused(1);
                    r.put("status", "refused");
                    r.put(
                            "errors",
                            ((Admission.Refused) a)
                                    .violations().stream()
                                            .map(HttpIngest::violation)
                                            .toList());
                }
            }
            results.add(r);
        }
        if (accepted.isEmpty()) {
            return CompletableFuture.completedFuture(finish(results, 0, 0));
        }
        if (accepted.size() > entry.source().maxInFlightEvents()) {
            // waiting would never help: tell the client to split the batch
            return CompletableFuture.completedFuture(Response.error(
                    413,
                    "batch of " + accepted.size() + " events exceeds max_in_flight "
                            + entry.source().maxInFlightEvents() + "; send smaller batches",
                    null));
        }
        if (!entry.inFlight().tryAcquire(accepted.size())) {
            return CompletableFuture.completedFuture(
                    Response.error(429, "too many events waiting for Kafka; nothing from this request was written", 1));
        }
        String topic = pipeline.streamTopic(stream);
        CompletableFuture<Response> done = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(accepted.size());
        AtomicInteger failed = new AtomicInteger();
        for (int i = 0; i < accepted.size(); i++) {
            Admission.Accepted a = accepted.get(i);
            Map<String, Object> r = acceptedResults.get(i);
            ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic, null, a.time(), a.key(), a.value());
            try {
                producer.send(rec, (md, ex) -> {
                    if (ex == null) {
                        entry.accepted().incrementAndGet();
                        metrics.emitted(1);
                    } else {
                        metrics.error(ComponentMetrics.INGEST);
                        synchronized (r) {
                            r.put("status", "unavailable");
                            r.put("errors", List.of(violation(new Violation("$", "kafka", describe(ex)))));
                        }
                        failed.incrementAndGet();
                    }
                    if (pending.decrementAndGet() == 0) {
                        entry.inFlight().release(accepted.size());
                        done.complete(finish(results, accepted.size(), failed.get()));
                    }
                });
            } catch (RuntimeException ex) {
                // send() itself failed (metadata or buffer wait timed out): this and the rest are not
                // written; the ones already handed to the producer still complete through callbacks.
                for (int j = i; j < accepted.size(); j++) {
                    Map<String, Object> rj = acceptedResults.get(j);
                    metrics.error(ComponentMetrics.INGEST);
                    synchronized (rj) {
                        rj.put("status", "unavailable");
                        rj.put("errors", List.of(violation(new Violation("$", "kafka", describe(ex)))));
                    }
                    failed.incrementAndGet();
                }
                int left = accepted.size() - i;
                if (pending.addAndGet(-left) == 0) {
                    entry.inFlight().release(accepted.size());
                    done.complete(finish(results, accepted.size(), failed.get()));
                }
                break;
            }
        }
        return done;
    }

    private static String describe(Exception ex) {
        return (ex instanceof RetriableException ? "Kafka is unavailable, retry: " : "Kafka refused the event: ")
                + ex.getMessage();
    }

    private static Map<String, Object> violation(Violation v) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("field", v.field());
        m.put("rule", v.rule());
        m.put("message", v.message());
        return m;
    }

    private Response finish(List<Map<String, Object>> results, int sent, int failed) {
        long acceptedCount;
        long refused;
        synchronized (results) {
            acceptedCount =
                    results.stream().filter(r -> "accepted".equals(status(r))).count();
            refused = results.stream().filter(r -> "refused".equals(status(r))).count();
        }
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("accepted", acceptedCount);
        body.put("refused", refused);
        if (failed > 0) {
            body.put("unavailable", failed);
        }
        body.put("results", results);
        int status;
        if (failed > 0) {
            status = 503;
        } else if (refused == 0) {
            status = 200;
        } else if (acceptedCount == 0) {
            status = 422;
        } else {
            status = 207;
        }
        return new Response(status, body, failed > 0 ? 1 : null);
    }

    private static Object status(Map<String, Object> r) {
        synchronized (r) {
            return r.get("status");
        }
    }

    /** One event of a body, or why it could not be read. */
    record Parsed(int index, int line, JsonNode event, String error) {}

    static List<Parsed> parse(byte[] body, String contentType) {
        int i = 0;
        while (i < body.length && Character.isWhitespace(body[i])) {
            i++;
        }
        if (i == body.length) {
            return List.of();
        }
        boolean ndjson = contentType != null
                && (contentType.contains("ndjson")
                        || contentType.contains("jsonl")
                        || contentType.contains("x-json-stream"));
        boolean wellFormed = ndjson || Utf8.firstMalformed(body, 0, body.length) < 0;
        if (!ndjson && body[i] == '[') {
            if (!wellFormed) {
                throw new IllegalArgumentException(
                        "body is not valid UTF-8 (byte " + (Utf8.firstMalformed(body, 0, body.length) + 1) + ")");
            }
            JsonNode arr;
            try {
                arr = JSON.readTree(body);
            } catch (Exception e) {
                throw new IllegalArgumentException("body is not a valid JSON array: " + firstLine(e.getMessage()));
            }
            List<Parsed> out = new ArrayList<>(arr.size());
            for (int k = 0; k < arr.size(); k++) {
                out.add(new Parsed(k, 0, arr.get(k), null));
            }
            return out;
        }
        if (!ndjson && wellFormed) {
            try {
                return List.of(new Parsed(0, 0, JSON.readTree(body), null));
            } catch (Exception e) {
                // more than one object, or a malformed one: read it line by line
            }
        }
        // line by line on the bytes, each line checked as strict UTF-8: bad UTF-8 is refused with its line,
        // not replaced by U+FFFD (or read by Jackson as something else) and stored as if the producer sent it
        List<Parsed> out = new ArrayList<>();
        int index = 0;
        int ln = 0;
        for (int from = 0; from <= body.length; ) {
            int nl = from;
            while (nl < body.length && body[nl] != '\n') {
                nl++;
            }
            ln++;
            int start = from;
            from = nl + 1;
            int bad = Utf8.firstMalformed(body, start, nl - start);
            if (bad >= 0) {
                out.add(new Parsed(
                        index++,
                        ln,
                        null,
                        "line " + ln + " is not valid UTF-8 (byte " + (bad - start + 1) + " of the line)"));
                continue;
            }
            String line = new String(body, start, nl - start, StandardCharsets.UTF_8).strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                out.add(new Parsed(index, ln, JSON.readTree(line), null));
            } catch (Exception e) {
                out.add(new Parsed(index, ln, null, "line " + ln + " is not JSON: " + firstLine(e.getMessage())));
            }
            index++;
        }
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
