package dev.sluice.server.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.kafka.ClientDefaults;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.kafka.metrics.WaitingRecords;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.sinks.ViewStore;
import dev.sluice.wire.EventTime;
import dev.sluice.wire.ViewRecord;
import io.micrometer.core.instrument.Timer;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fans out every view update, as the processor commits it, to the live clients subscribed to that view.
 *
 * <p>One consumer tails every view topic (read-committed) from its end; each update becomes one {@link Message},
 * numbered per view, kept in a replay buffer (for {@code Last-Event-ID} resume) and offered to each subscriber,
 * whose own queue and writer thread take it from there. A status message per view goes out every second with the
 * lag and the stale marker. End-to-end latency (source time to push) is recorded per view in an HdrHistogram.
 */
public final class LiveHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiveHub.class);
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Tunables; tests shrink them.
     *
     * @param clientQueue distinct rows a client may be behind by before it is disconnected
     * @param maxBehind how long an update may wait in a client's queue before the client is disconnected
     */
    public record Settings(
            int replayPerView, int clientQueue, Duration heartbeat, Duration status, Duration maxBehind) {
        public static Settings defaults() {
            return new Settings(10_000, 10_000, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(10));
        }
    }

    private final Pipeline pipeline;
    private final ViewStore store;
    private final Clock clock;
    private final Settings settings;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final WaitingRecords waiting;
    private final LagProbe lag;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final Map<String, Deque<Message>> replay = new HashMap<>();
    private final Map<String, AtomicLong> seq = new HashMap<>();
    private final Map<String, AtomicLong> updates = new ConcurrentHashMap<>();
    private final Map<String, Long> watermarks = new ConcurrentHashMap<>();
    private final Map<String, Recorder> latency = new HashMap<>();
    private final Map<String, Histogram> latencyTotal = new HashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final Map<String, AtomicLong> records = new ConcurrentHashMap<>();
    private final AtomicLong clientIds = new AtomicLong();
    private final Thread tail;
    private final Thread ticker;
    private volatile boolean running = true;
    /** Held while an update is buffered and offered, and while a client joins: a joining client gets the
     * missed updates and then every later one, in order, with nothing between them lost. */
    private final Object fanout = new Object();

    private final Map<String, Timer> emittedLatency = new HashMap<>();
    private final Map<String, Timer> pushedLatency = new HashMap<>();

    public LiveHub(Pipeline pipeline, String bootstrap, Admin admin, ViewStore store, Clock clock, Settings settings) {
        this(pipeline, bootstrap, admin, store, clock, settings, PipelineMetrics.none());
    }

    public LiveHub(
            Pipeline pipeline,
            String bootstrap,
            Admin admin,
            ViewStore store,
            Clock clock,
            Settings settings,
            PipelineMetrics metrics) {
        for (ViewDef v : pipeline.views().values()) {
            emittedLatency.put(v.name(), metrics.endToEnd(v.name(), "emitted"));
            pushedLatency.put(v.name(), metrics.endToEnd(v.name(), "pushed"));
        }
        this.pipeline = pipeline;
        this.store = store;
        this.clock = clock;
        this.settings = settings;
        this.waiting = new WaitingRecords(bootstrap);
        this.lag = new LagProbe(admin, waiting, pipeline, clock);
        for (ViewDef v : pipeline.views().values()) {
            replay.put(v.name(), new ArrayDeque<>());
            seq.put(v.name(), new AtomicLong());
            updates.put(v.name(), new AtomicLong());
            latency.put(v.name(), new Recorder(3));
            latencyTotal.put(v.name(), new Histogram(3));
        }
        Map<String, Object> c = ClientDefaults.consumer(bootstrap, "unused");
        c.remove("group.id");
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        for (ViewDef v : pipeline.views().values()) {
            String t = pipeline.viewTopic(v.name());
            consumer.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
        }
        // dead letters and late events are counted from the start of their topics (records, not offsets:
        // with exactly-once, transaction markers take offsets too)
        List<TopicPartition> counted = new ArrayList<>();
        List<String> countedTopics = new ArrayList<>(List.of(pipeline.dlqTopic()));
        pipeline.streams().keySet().forEach(st -> countedTopics.add(pipeline.lateTopic(st)));
        for (String t : countedTopics) {
            consumer.partitionsFor(t).forEach(p -> counted.add(new TopicPartition(t, p.partition())));
        }
        List<TopicPartition> all = new ArrayList<>(parts);
        all.addAll(counted);
        consumer.assign(all);
        consumer.seekToEnd(parts);
        consumer.seekToBeginning(counted);
        all.forEach(consumer::position); // resolve now: views live from here on
        this.tail = new Thread(this::tailLoop, "sluice-live-tail");
        tail.setDaemon(true);
        this.ticker = new Thread(this::tickLoop, "sluice-live-status");
        ticker.setDaemon(true);
    }

    public void start() {
        tail.start();
        ticker.start();
    }

    // ---------------------------------------------------------------- tailing the view topics

    private void tailLoop() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (!r.topic().startsWith(pipeline.name() + ".view.")) {
                        records.computeIfAbsent(r.topic(), x -> new AtomicLong())
                                .incrementAndGet();
                        continue;
                    }
                    String viewName = r.topic().substring((pipeline.name() + ".view.").length());
                    ViewDef view = pipeline.views().get(viewName);
                    if (view == null) {
                        continue;
                    }
                    ViewRecord rec;
                    try {
                        rec = ViewRecord.decode(view, r.value());
                    } catch (RuntimeException e) {
                        log.warn("Unreadable update on {}: {}", r.topic(), e.getMessage());
                        continue;
                    }
                    if (rec.kind() == ViewRecord.Kind.UPDATE) {
                        publish(view, rec);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("Live update tail stopped", e);
        } finally {
            consumer.close();
        }
    }

    /** The row as {@code GET /v1/views/{view}} returns it. */
    static Map<String, Object> row(ViewDef view, ViewRecord r) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("window_start", EventTime.format(r.windowStart()));
        row.put("window_end", EventTime.format(r.windowEnd()));
        Map<String, Object> g = r.groupMap(view);
        row.putAll(g);
        Map<String, Object> results = r.state().results();
        for (var m : view.measures()) {
            Object v = results.get(m.name());
            row.put(m.name(), v instanceof BigDecimal b ? (Object) b.doubleValue() : v);
        }
        row.put("version", r.version());
        return row;
    }

    private void publish(ViewDef view, ViewRecord r) {
        long now = clock.millis();
        long id = seq.get(view.name()).incrementAndGet();
        updates.get(view.name()).incrementAndGet();
        watermarks.merge(view.name(), r.watermark(), Math::max);
        long latencyMs = r.sourceMs() > 0 ? Math.max(0, now - r.sourceMs()) : -1;
        if (r.sourceMs() > 0 && r.emittedMs() > 0) {
            emittedLatency.get(view.name()).record(Math.max(0, r.emittedMs() - r.sourceMs()), TimeUnit.MILLISECONDS);
        }
        LagProbe.Lag l = lag.lag(view.name());
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "update");
        o.put("view", view.name());
        o.put("id", Long.toString(id));
        o.set("row", JSON.valueToTree(row(view, r)));
        o.put("watermark", EventTime.format(watermarks.get(view.name())));
        o.putObject("lag").put("seconds", l.seconds()).put("events", l.events());
        o.put("stale", l.seconds() * 1000 > view.sla().toMillis());
        o.put("latency_ms", latencyMs);
        o.put("emitted_ms", r.emittedMs());
        o.put("source_ms", r.sourceMs());
        String rowKey = r.windowStart() + "|" + r.groupKey();
        Message m = new Message("update", view.name(), id, rowKey, r.groupMap(view), o.toString(), r.sourceMs());
        Deque<Message> buf = replay.get(view.name());
        synchronized (fanout) {
            buf.addLast(m);
            while (buf.size() > settings.replayPerView()) {
                buf.pollFirst();
            }
            for (Subscriber s : subscribers) {
                s.offer(m);
            }
        }
    }

    // ---------------------------------------------------------------- status

    private void tickLoop() {
        while (running) {
            for (Subscriber s : subscribers) {
                s.checkBehind(); // also when no status goes out (the lag sample failed)
            }
            try {
                lag.sample();
                for (ViewDef v : pipeline.views().values()) {
                    Message m = status(v);
                    for (Subscriber s : subscribers) {
                        s.offer(m);
                    }
                }
                subscribers.removeIf(Subscriber::closed);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                log.debug("Lag sample failed: {}", e.toString());
            }
            try {
                Thread.sleep(settings.status().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    Message status(ViewDef v) {
        LagProbe.Lag l = lag.lag(v.name());
        ObjectNode o = JSON.createObjectNode();
        o.put("type", "status");
        o.put("view", v.name());
        Long wm = watermarks.get(v.name());
        if (wm == null) {
            o.putNull("watermark");
        } else {
            o.put("watermark", EventTime.format(wm));
        }
        o.putObject("lag").put("seconds", l.seconds()).put("events", l.events());
        o.put("stale", l.seconds() * 1000 > v.sla().toMillis());
        o.put("sla_ms", v.sla().toMillis());
        return new Message("status", v.name(), 0, "", Map.of(), o.toString());
    }

    // ---------------------------------------------------------------- clients

    /** A new client; call {@link Subscriber#subscribe} then {@link #attach}. */
    public Subscriber newSubscriber(String kind, Subscriber.Channel channel) {
        return new Subscriber(
                kind + "-" + clientIds.incrementAndGet(),
                channel,
                settings.clientQueue(),
                settings.heartbeat().toMillis(),
                settings.maxBehind().toMillis(),
                dropped::incrementAndGet,
                this::sent);
    }

    /** Source time to the moment an update was written to a client, for every update sent to every client. */
    private void sent(Message m) {
        if (m.sourceMs() > 0) {
            long ms = Math.max(0, clock.millis() - m.sourceMs());
            latency.get(m.view()).recordValue(Math.min(ms, 3_600_000L));
            pushedLatency.get(m.view()).record(ms, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Starts delivering live updates to a subscriber (already subscribed to its views); each of its views is
     * acknowledged with a {@code subscribed} message, after which every update of the view reaches it.
     */
    public void attach(Subscriber s) {
        synchronized (fanout) {
            subscribers.add(s);
            for (String view : s.views()) {
                s.offer(subscribed(view));
            }
        }
        s.start();
    }

    /** Subscribes an attached client (a WebSocket) to a view from the next update on, and acknowledges it. */
    public void subscribe(Subscriber s, ViewDef view, Map<String, String> filter) {
        synchronized (fanout) {
            s.subscribe(view.name(), filter);
            s.offer(subscribed(view.name()));
        }
    }

    /**
     * The acknowledgement of a subscription, queued under the fan-out lock: every update after {@code id} (the
     * view's last update when the subscription took effect) is delivered after it. Call under {@link #fanout}.
     */
    private Message subscribed(String view) {
        String json = JSON.createObjectNode()
                .put("type", "subscribed")
                .put("view", view)
                .put("id", Long.toString(seq.get(view).get()))
                .toString();
        return new Message("subscribed", view, 0, "", Map.of(), json);
    }

    /**
     * Starts delivering to a subscriber that resumes after update {@code lastId} of {@code view}: first the
     * buffered updates after it, or, when the buffer no longer reaches back that far, the view's current rows
     * from the store; then every live update, with nothing lost in between.
     */
    public void attachResuming(Subscriber s, ViewDef view, long lastId, Map<String, String> filter) throws Exception {
        resume(s, view, lastId, filter, () -> {
            subscribers.add(s);
            s.offer(subscribed(view.name()));
        });
        s.start();
    }

    /**
     * Subscribes an attached client (a WebSocket) to a view, resuming after update {@code lastId} the way
     * {@link #attachResuming} does: what it missed first, then every live update, nothing lost in between.
     */
    public void subscribeResuming(Subscriber s, ViewDef view, long lastId, Map<String, String> filter)
            throws Exception {
        resume(s, view, lastId, filter, () -> s.offer(subscribed(view.name())));
    }

    /**
     * Offers the buffered updates after {@code lastId} when the buffer reaches back that far; otherwise the
     * store's current rows (queried outside the fan-out lock, so a resuming client never holds up the others),
     * then the buffered updates after the snapshot. {@code join} runs under the lock once the client is primed,
     * so every later update reaches it too.
     */
    private void resume(Subscriber s, ViewDef view, long lastId, Map<String, String> filter, Runnable join)
            throws Exception {
        Deque<Message> buf = replay.get(view.name());
        long snapSeq;
        synchronized (fanout) {
            long current = seq.get(view.name()).get();
            boolean covered =
                    lastId >= current || (!buf.isEmpty() && buf.peekFirst().seq() <= lastId + 1);
            if (covered) {
                s.subscribe(view.name(), filter);
                for (Message m : buf) {
                    if (m.seq() > lastId) {
                        s.offerReplayed(m);
                    }
                }
                join.run();
                return;
            }
            snapSeq = current;
        }
        List<Message> snap = snapshot(view, filter, snapSeq);
        synchronized (fanout) {
            s.subscribe(view.name(), filter);
            s.offerAll(snap);
            for (Message m : buf) {
                if (m.seq() > snapSeq) {
                    s.offerReplayed(m);
                }
            }
            join.run();
        }
    }

    /**
     * The view's current rows from the store, as update messages. The last carries {@code snapSeq} as its id, the
     * others 0: a client dropped in the middle of a snapshot resumes with 0 and gets a whole snapshot again.
     */
    List<Message> snapshot(ViewDef view, Map<String, String> filter, long snapSeq) throws Exception {
        List<Map<String, Object>> rows = store.queryView(view, null, null, filter);
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> row = rows.get(i);
            long id = i == rows.size() - 1 ? snapSeq : 0;
            ObjectNode o = JSON.createObjectNode();
            o.put("type", "update");
            o.put("view", view.name());
            o.put("id", Long.toString(id));
            o.set("row", JSON.valueToTree(row));
            Long wm = watermarks.get(view.name());
            if (wm != null) {
                o.put("watermark", EventTime.format(wm));
            }
            LagProbe.Lag l = lag.lag(view.name());
            o.putObject("lag").put("seconds", l.seconds()).put("events", l.events());
            o.put("stale", l.seconds() * 1000 > view.sla().toMillis());
            o.put("snapshot", true);
            Map<String, Object> group = new LinkedHashMap<>();
            view.groupBy().forEach(g -> group.put(g, row.get(g)));
            long start = java.time.Instant.parse(String.valueOf(row.get("window_start")))
                    .toEpochMilli();
            String rowKey = start + "|" + ViewRecord.groupKey(new ArrayList<>(group.values()));
            out.add(new Message("update", view.name(), id, rowKey, group, o.toString()));
        }
        return out;
    }

    // ---------------------------------------------------------------- stats

    public long updates(String view) {
        return updates.get(view).get();
    }

    public LagProbe.Lag lagOf(String view) {
        return lag.lag(view);
    }

    public Map<String, Long> streamEvents() {
        return lag.streamEvents();
    }

    /** What a stream's rate is computed from: its events over the last ten seconds of lag samples. */
    public Rate.Window streamRate(String stream) {
        return lag.streamRate(stream);
    }

    /** Committed records in the dead-letter topic or a late topic (counted by reading them). */
    public long topicRecords(String topic) {
        AtomicLong n = records.get(topic);
        return n == null ? 0 : n.get();
    }

    public Long watermark(String view) {
        return watermarks.get(view);
    }

    /** Latency percentiles (ms), source time to written to a client, of every update sent since start. */
    public synchronized Map<String, Long> latency(String view) {
        Histogram h = latencyTotal.get(view);
        h.add(latency.get(view).getIntervalHistogram());
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("p50", h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50));
        m.put("p99", h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99));
        m.put("count", h.getTotalCount());
        return m;
    }

    public int clients() {
        subscribers.removeIf(Subscriber::closed);
        return subscribers.size();
    }

    public long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        ticker.interrupt();
        for (Subscriber s : subscribers) {
            s.close("server stopping");
        }
        try {
            tail.join(5_000);
            ticker.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        waiting.close();
    }
}
