package dev.sluice.bench.baseline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The baseline of the throughput harness: the Kafka Streams job a competent engineer writes in a day for the
 * ecommerce example's {@code gmv_by_country} view (examples/ecommerce/pipeline.yaml), so that one harness run can
 * say how Sluice compares with doing the same job by hand on the same broker. It runs as its own JVM ({@code main};
 * the harness starts it as a child, as it starts Sluice).
 *
 * <p>The job, step by step, as the view defines it:
 *
 * <ol>
 *   <li>read the orders from its input topic, where producers write them as they usually do, without a key, and
 *       parse each one with Jackson into {@link Order}; the event time is the order's {@code created_at};
 *   <li>key each order by its {@code event_id} and repartition by it, so that duplicates of an event meet in one
 *       task;
 *   <li>drop an id seen within 24 hours (the stream's {@code dedup: 24h}), remembered in a persistent (RocksDB)
 *       window store;
 *   <li>keep the orders with {@code status == "paid"} (the view's filter);
 *   <li>group by (country, currency), which repartitions again, in 1-minute tumbling windows with 10 minutes of grace
 *       (the view's window);
 *   <li>aggregate per window and group the view's measures: the count of orders, the sum of {@code amount}, and an
 *       Apache DataSketches HLL sketch (lgK {@value #HLL_LG_K}, as Sluice's {@code count_distinct}) of
 *       {@code user_id}, all serialized as bytes in the aggregate value ({@link Gmv});
 *   <li>write the aggregates to the output topic as they change (the record cache folds a window's updates
 *       within a commit interval into one).
 * </ol>
 *
 * <p>Why written this way: it is the plain DSL with JSON values, the shape the Kafka Streams documentation and
 * tutorials teach, with no tuning either way. {@code processing.guarantee=exactly_once_v2} (Sluice is exactly-once
 * too) and otherwise Kafka Streams' defaults: one stream thread, the default record cache, the default commit
 * interval for exactly-once (100 ms), RocksDB stores with their changelogs, the stores' own default caching (on
 * for the DSL's aggregate, off for the dedup store added through {@link Stores}). What it does not do that Sluice
 * does (store raw rows, serve live updates, dead-letter bad events) it does not pay for, so the comparison favours
 * it. The constants below are the view's definition; the harness checks them against the pipeline file before it
 * starts the job.
 */
public final class HandWrittenStreams {
    /** The view's window size (pipeline.yaml: {@code window: {size: 1m}}). */
    public static final Duration WINDOW_SIZE = Duration.ofMinutes(1);
    /** The view's grace (pipeline.yaml: {@code window: {grace: 10m}}). */
    public static final Duration WINDOW_GRACE = Duration.ofMinutes(10);
    /** How long an event id is remembered (pipeline.yaml: {@code dedup: 24h}). */
    public static final Duration DEDUP_HORIZON = Duration.ofHours(24);
    /** The status the view counts (pipeline.yaml: {@code filter: status == "paid"}). */
    public static final String COUNTED_STATUS = "paid";
    /** The fields the view groups by, in order. */
    public static final List<String> GROUP_BY = List.of("country", "currency");
    /** The field summed (pipeline.yaml: {@code gmv: sum(amount)}). */
    public static final String SUMMED_FIELD = "amount";
    /** The field counted distinct (pipeline.yaml: {@code buyers: count_distinct(user_id)}). */
    public static final String DISTINCT_FIELD = "user_id";
    /** HLL precision: Sluice's (dev.sluice.wire.Accumulator.HLL_LG_K). */
    public static final int HLL_LG_K = 12;

    static final String SEEN_IDS_STORE = "seen-event-ids";
    static final ObjectMapper JSON = new ObjectMapper();

    private HandWrittenStreams() {}

    /** One order as the producers write it; fields the job does not use (such as {@code sent_at}) are ignored. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Order(
            @JsonProperty("event_id") String eventId,
            @JsonProperty("order_id") String orderId,
            @JsonProperty("user_id") String userId,
            @JsonProperty("country") String country,
            @JsonProperty("currency") String currency,
            @JsonProperty("amount") BigDecimal amount,
            @JsonProperty("status") String status,
            @JsonProperty("created_at") String createdAt) {}

    /** The aggregate of one window and group: orders, the sum of their amounts, and an HLL sketch of their buyers. */
    static final class Gmv {
        long orders;
        BigDecimal amount = BigDecimal.ZERO;
        HllSketch buyers = new HllSketch(HLL_LG_K);

        Gmv add(Order o) {
            orders++;
            if (o.amount() != null) {
                amount = amount.add(o.amount());
            }
            if (o.userId() != null) {
                buyers.update(o.userId());
            }
            return this;
        }

        byte[] toBytes() {
            try {
                ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
                DataOutputStream out = new DataOutputStream(buf);
                out.writeLong(orders);
                out.writeUTF(amount.toString());
                out.write(buyers.toCompactByteArray());
                return buf.toByteArray();
            } catch (IOException e) {
                throw new SerializationException(e);
            }
        }

        static Gmv fromBytes(byte[] bytes) {
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
                Gmv g = new Gmv();
                g.orders = in.readLong();
                g.amount = new BigDecimal(in.readUTF());
                g.buyers = HllSketch.heapify(in.readAllBytes());
                return g;
            } catch (IOException e) {
                throw new SerializationException(e);
            }
        }
    }

    static final Serde<Order> ORDER = Serdes.serdeFrom(
            (topic, order) -> {
                try {
                    return order == null ? null : JSON.writeValueAsBytes(order);
                } catch (IOException e) {
                    throw new SerializationException(e);
                }
            },
            (topic, bytes) -> {
                try {
                    return bytes == null ? null : JSON.readValue(bytes, Order.class);
                } catch (IOException e) {
                    throw new SerializationException(e);
                }
            });

    static final Serde<Gmv> GMV = Serdes.serdeFrom(
            (topic, gmv) -> gmv == null ? null : gmv.toBytes(),
            (topic, bytes) -> bytes == null ? null : Gmv.fromBytes(bytes));

    /** The order's {@code created_at}: windows are on event time, as the view's are. */
    static final class CreatedAt implements TimestampExtractor {
        @Override
        public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
            return Instant.parse(((Order) record.value()).createdAt()).toEpochMilli();
        }
    }

    /** Forwards an order unless its id (the record key) was seen within {@link #DEDUP_HORIZON} of its time. */
    static final class DropSeenIds implements Processor<String, Order, String, Order> {
        private ProcessorContext<String, Order> context;
        private WindowStore<String, Long> seen;

        @Override
        public void init(ProcessorContext<String, Order> context) {
            this.context = context;
            this.seen = context.getStateStore(SEEN_IDS_STORE);
        }

        @Override
        public void process(Record<String, Order> order) {
            long t = order.timestamp();
            long horizon = DEDUP_HORIZON.toMillis();
            try (WindowStoreIterator<Long> earlier = seen.fetch(order.key(), t - horizon, t + horizon)) {
                if (earlier.hasNext()) {
                    return;
                }
            }
            seen.put(order.key(), t, t);
            context.forward(order);
        }
    }

    /** The job, reading {@code input} and writing the aggregates to {@code output}. */
    public static Topology topology(String input, String output) {
        StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(SEEN_IDS_STORE, DEDUP_HORIZON, DEDUP_HORIZON, false),
                Serdes.String(),
                Serdes.Long()));
        b.stream(input, Consumed.with(Serdes.ByteArray(), ORDER).withTimestampExtractor(new CreatedAt()))
                .selectKey((unkeyed, order) -> order.eventId())
                .repartition(Repartitioned.with(Serdes.String(), ORDER).withName("by-event-id"))
                .process(DropSeenIds::new, SEEN_IDS_STORE)
                .filter((id, order) -> COUNTED_STATUS.equals(order.status()))
                .groupBy(
                        (id, order) -> order.country() + "|" + order.currency(),
                        Grouped.with("by-country-currency", Serdes.String(), ORDER))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_SIZE, WINDOW_GRACE))
                .aggregate(
                        Gmv::new,
                        (group, order, gmv) -> gmv.add(order),
                        Materialized.<String, Gmv, WindowStore<Bytes, byte[]>>as("gmv-by-country")
                                .withKeySerde(Serdes.String())
                                .withValueSerde(GMV))
                .toStream()
                .to(
                        output,
                        Produced.with(
                                new WindowedSerdes.TimeWindowedSerde<>(Serdes.String(), WINDOW_SIZE.toMillis()), GMV));
        return b.build();
    }

    /**
     * {@code --bootstrap HOST:PORT --input TOPIC --output TOPIC --application-id ID --state-dir DIR [--ready-file F]}:
     * runs until SIGTERM; writes the ready file once the application is RUNNING; exits 1 if it fails.
     */
    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        loadSketchesOnNewerJdks();
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, option(a, "--application-id"));
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, option(a, "--bootstrap"));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, option(a, "--state-dir"));
        Path ready = a.contains("--ready-file") ? Path.of(option(a, "--ready-file")) : null;
        KafkaStreams streams = new KafkaStreams(topology(option(a, "--input"), option(a, "--output")), p);
        CountDownLatch stopped = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING && ready != null) {
                try {
                    Files.writeString(ready, "RUNNING\n");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> streams.close(Duration.ofSeconds(30))));
        streams.start();
        stopped.await();
        if (streams.state() == KafkaStreams.State.ERROR) {
            System.err.println("handwritten-streams: failed (see the log above)");
            System.exit(1);
        }
    }

    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        if (i < 0 || i + 1 >= args.size()) {
            throw new IllegalArgumentException("missing " + name);
        }
        return args.get(i + 1);
    }

    /**
     * datasketches-memory 3.x refuses, in a static initializer, any JDK newer than 21, although its heap-backed
     * code works on later ones: the same workaround as Sluice's (dev.sluice.wire.SketchRuntime), a supported
     * {@code java.version} for that single read.
     */
    private static void loadSketchesOnNewerJdks() {
        String real = System.getProperty("java.version");
        boolean newer = Runtime.version().feature() > 21;
        if (newer) {
            System.setProperty("java.version", "21");
        }
        try {
            Memory.wrap(new byte[8]).getLong(0);
        } finally {
            if (newer) {
                System.setProperty("java.version", real);
            }
        }
    }
}
