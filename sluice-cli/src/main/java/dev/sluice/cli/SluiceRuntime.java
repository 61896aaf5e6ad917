package dev.sluice.cli;

import dev.sluice.kafka.ClientDefaults;
import dev.sluice.kafka.EmbeddedKafka;
import dev.sluice.kafka.HangingTransactions;
import dev.sluice.kafka.KafkaTopics;
import dev.sluice.kafka.metrics.PipelineMetrics;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.SinkDef;
import dev.sluice.pipeline.SourceDef;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.TableDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.processor.state.BoundedRocksDbMemory;
import dev.sluice.processor.topology.DeadLetterOnError;
import dev.sluice.processor.topology.GraphTopology;
import dev.sluice.registry.RegistryException;
import dev.sluice.registry.SchemaRegistry;
import dev.sluice.schema.compat.SchemaType;
import dev.sluice.server.Controls;
import dev.sluice.server.Health;
import dev.sluice.server.Observability;
import dev.sluice.server.ProcessorHealth;
import dev.sluice.server.SluiceServer;
import dev.sluice.server.live.LiveHub;
import dev.sluice.server.tables.TableReader;
import dev.sluice.sinks.SinkLoop;
import dev.sluice.sinks.SinkWriter;
import dev.sluice.sinks.ViewStore;
import dev.sluice.sinks.clickhouse.ClickHouseSink;
import dev.sluice.sinks.clickhouse.ClickHouseStore;
import dev.sluice.sinks.duckdb.DuckDbSink;
import dev.sluice.sinks.duckdb.DuckDbStore;
import dev.sluice.sinks.kafka.KafkaSinkTopology;
import dev.sluice.sinks.postgres.PostgresSink;
import dev.sluice.sinks.redis.RedisCache;
import dev.sluice.sources.generator.Generator;
import dev.sluice.sources.http.HttpIngest;
import dev.sluice.sources.kafka.KafkaSourceTopology;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running pipeline in one JVM: the Kafka broker (embedded unless an external one is given), the
 * processor (a Kafka Streams application, exactly-once), the DuckDB store and its sink, the HTTP
 * server, and generator sources. Everything stateful lives under the data directory, so a restart
 * with the same directory resumes where the last run stopped: Kafka keeps the log and the
 * processor's committed offsets and changelogs; DuckDB keeps the sink's offsets with its rows.
 *
 * <p>Start-up order follows the data: broker, topics, store and sink, processor, then the doors
 * (HTTP and generators); shutdown goes the other way, so nothing accepted is left half-written.
 */
public final class SluiceRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SluiceRuntime.class);

    /** How to run a pipeline. */
    public record Options(
            Path dataDir,
            String host,
            int httpPort,
            int kafkaPort,
            String externalKafka,
            Clock clock,
            String registryTopic,
            int registryPort,
            LiveHub.Settings live,
            Memory memory) {
        public Options(
                Path dataDir,
                String host,
                int httpPort,
                int kafkaPort,
                String externalKafka,
                Clock clock,
                String registryTopic,
                int registryPort,
                LiveHub.Settings live) {
            this(
                    dataDir,
                    host,
                    httpPort,
                    kafkaPort,
                    externalKafka,
                    clock,
                    registryTopic,
                    registryPort,
                    live,
                    Memory.defaults());
        }

        /** Options with the registry on its default topic and no port of its own. */
        public Options(Path dataDir, String host, int httpPort, int kafkaPort, String externalKafka, Clock clock) {
            this(
                    dataDir,
                    host,
                    httpPort,
                    kafkaPort,
                    externalKafka,
                    clock,
                    SchemaRegistry.DEFAULT_TOPIC,
                    -1,
                    LiveHub.Settings.defaults());
        }

        public static Options defaults(Path dataDir) {
            return new Options(dataDir, "127.0.0.1", 8080, 9092, null, Clock.systemUTC());
        }

        public Options withRegistry(String topic, int port) {
            return new Options(dataDir, host, httpPort, kafkaPort, externalKafka, clock, topic, port, live, memory);
        }

        public Options withLive(LiveHub.Settings settings) {
            return new Options(
                    dataDir,
                    host,
                    httpPort,
                    kafkaPort,
                    externalKafka,
                    clock,
                    registryTopic,
                    registryPort,
                    settings,
                    memory);
        }

        public Options withMemory(Memory m) {
            return new Options(
                    dataDir, host, httpPort, kafkaPort, externalKafka, clock, registryTopic, registryPort, live, m);
        }
    }

    /**
     * The memory the process's native parts may take besides the Java heap (which the launcher sets): all RocksDB
     * stores of the processor together ({@link BoundedRocksDbMemory}), and DuckDB's buffer pool and threads. See
     * docs/operations.md, "Memory".
     */
    public record Memory(long rocksDbBytes, DuckDbStore.Settings duckDb) {
        public static Memory defaults() {
            return new Memory(BoundedRocksDbMemory.DEFAULT_TOTAL_BYTES, DuckDbStore.Settings.defaults());
        }
    }

    private final Pipeline pipeline;
    private final Options options;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Generator> generators = new ArrayList<>();
    private FileLock lock;
    private EmbeddedKafka broker;
    private String bootstrap;
    private Admin admin;
    private KafkaStreams streams;
    private DuckDbStore store;
    /** The sinks that keep their offsets in their stores (DuckDB, ClickHouse, PostgreSQL), each on a thread. */
    private final List<SinkLoop> sinkLoops = new ArrayList<>();

    private SluiceServer server;
    private SluiceServer registryServer;
    private SchemaRegistry registry;
    private LiveHub liveHub;
    private Observability observability;
    private final List<ClickHouseSink> clickhouseSinks = new ArrayList<>();
    private final List<RedisCache> redisCaches = new ArrayList<>();
    private ViewStore viewStore;
    private ProcessorHealth processorHealth;

    private SluiceRuntime(Pipeline pipeline, Options options) {
        this.pipeline = pipeline;
        this.options = options;
    }

    public static SluiceRuntime start(Pipeline pipeline, Options options) throws Exception {
        SluiceRuntime r = new SluiceRuntime(pipeline, options);
        try {
            r.startAll();
            return r;
        } catch (Exception | Error e) {
            r.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        processorHealth = new ProcessorHealth(options.clock());
        Files.createDirectories(options.dataDir());
        FileChannel ch = FileChannel.open(
                options.dataDir().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = ch.tryLock();
        if (lock == null) {
            ch.close();
            throw new IllegalStateException(
                    "data directory " + options.dataDir() + " is in use by another sluice process");
        }
        closeables.add(ch);

        if (options.externalKafka() == null) {
            broker = EmbeddedKafka.start(options.dataDir().resolve("kafka"), options.kafkaPort());
            bootstrap = broker.bootstrapServers();
        } else {
            bootstrap = options.externalKafka();
        }
        admin = Admin.create(ClientDefaults.admin(bootstrap));
        observability = new Observability(pipeline, admin, bootstrap, options.clock());
        PipelineMetrics metrics = observability.metrics();
        createTopics();
        registry = SchemaRegistry.start(bootstrap, options.registryTopic(), Duration.ofSeconds(30));
        closeables.add(registry);
        schemaIds = registerSchemas();

        List<SinkDef.ClickHouse> clickhouse = pipeline.sinks().values().stream()
                .filter(SinkDef.ClickHouse.class::isInstance)
                .map(SinkDef.ClickHouse.class::cast)
                .toList();
        // DuckDB is the default store; a pipeline with a ClickHouse sink uses DuckDB only when it names one too
        if (pipeline.duckDbSink().isPresent()) {
            SinkDef.DuckDb sinkDef = pipeline.duckDbSink().get();
            Path dbFile = sinkDef.path() == null
                    ? options.dataDir().resolve("sluice.duckdb")
                    : pipeline.file().toAbsolutePath().getParent().resolve(sinkDef.path());
            store = DuckDbStore.open(pipeline, dbFile, options.memory().duckDb());
            Map<String, Object> consumer = new HashMap<>(
                    ClientDefaults.consumer(bootstrap, Observability.sinkGroup(pipeline, sinkDef.name())));
            consumer.put("max.poll.records", 10_000);
            startSink(
                    new DuckDbSink(pipeline, sinkDef, store, options.clock(), metrics),
                    consumer,
                    sinkDef.name(),
                    sinkDef.batchRows(),
                    sinkDef.batchInterval());
            viewStore = store;
        }
        memoryGauges(metrics.registry());
        for (SinkDef.ClickHouse chDef : clickhouse) {
            ClickHouseStore chStore = new ClickHouseStore(pipeline, chDef);
            Map<String, Object> cc =
                    new HashMap<>(ClientDefaults.consumer(bootstrap, Observability.sinkGroup(pipeline, chDef.name())));
            cc.put("max.poll.records", 5_000);
            ClickHouseSink cs = new ClickHouseSink(pipeline, chStore, options.clock(), metrics);
            clickhouseSinks.add(cs);
            startSink(cs, cc, chDef.name(), chDef.batchRows(), chDef.batchInterval());
            if (viewStore == null || viewStore == store) {
                viewStore = chStore; // ClickHouse, when the pipeline has it, is what queries read
            }
        }
        for (SinkDef d : pipeline.sinks().values()) {
            if (d instanceof SinkDef.Postgres pg) {
                Map<String, Object> pc =
                        new HashMap<>(ClientDefaults.consumer(bootstrap, Observability.sinkGroup(pipeline, pg.name())));
                pc.put("max.poll.records", 5_000);
                startSink(new PostgresSink(pipeline, pg, metrics), pc, pg.name(), pg.batchRows(), pg.batchInterval());
            }
        }
        for (SinkDef d : pipeline.sinks().values()) {
            if (d instanceof SinkDef.Redis rd) {
                RedisCache rc = new RedisCache(pipeline, rd, viewStore, options.clock(), metrics);
                redisCaches.add(rc);
                Thread t = new Thread(rc, "sluice-sink-" + rd.name());
                t.setDaemon(true);
                t.start();
            }
        }

        StreamsBuilder builder = new StreamsBuilder();
        for (SourceDef s : pipeline.sources().values()) {
            if (s instanceof SourceDef.Kafka k) {
                KafkaSourceTopology.addTo(builder, pipeline, k, options.clock(), registry, metrics);
            }
        }
        for (SinkDef d : pipeline.sinks().values()) {
            if (d instanceof SinkDef.Kafka k) {
                KafkaSinkTopology.addTo(builder, pipeline, k, schemaIds, registry, metrics);
            }
        }
        GraphTopology.addTo(builder, pipeline, metrics);
        Topology topology = builder.build();
        if (!topology.describe().subtopologies().isEmpty()) {
            streams = new KafkaStreams(topology, streamsConfig());
            streams.setUncaughtExceptionHandler(e -> {
                LOG.error("processor thread failed; replacing it", e);
                processorHealth.failed(e);
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                        .REPLACE_THREAD;
            });
            streams.setGlobalStateRestoreListener(new RestoreTracker());
            if (broker != null) {
                // the embedded broker is this process's own: after a crash, end what the crash left hanging
                HangingTransactions.resolve(admin, Duration.ofSeconds(15));
            }
            streams.start();
        }

        Map<String, Object> producerConfig = new HashMap<>(ClientDefaults.producer(bootstrap));
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        HttpIngest ingest = new HttpIngest(pipeline, producer, options.clock(), metrics);
        liveHub = new LiveHub(pipeline, bootstrap, admin, viewStore, options.clock(), options.live(), metrics);
        liveHub.start();
        TableReader tables = new TableReader(pipeline, bootstrap);
        tables.start();
        closeables.add(tables);
        Health health = new Health(
                this::brokerUp,
                this::processorUp,
                this::processorProblem,
                this::processorReady,
                () -> viewStore.healthy()
                        && sinkLoops.stream().allMatch(SinkLoop::writing)
                        && redisCaches.stream().allMatch(RedisCache::writing),
                () -> sinkLoops.stream().allMatch(SinkLoop::running));
        observability.bind(pipeline, liveHub, health);
        observability.start();
        server = SluiceServer.start(
                pipeline,
                ingest,
                viewStore,
                redisCaches.isEmpty() ? null : redisCaches.get(0),
                registry,
                health,
                new SluiceServer.Live(
                        liveHub,
                        new Controls(this::pauseProcessor, this::resumeProcessor, this::processorState),
                        bootstrap,
                        tables),
                observability,
                options.host(),
                options.httpPort());
        closeables.add(producer);
        if (options.registryPort() >= 0) {
            registryServer = SluiceServer.registryOnly(registry, options.host(), options.registryPort());
        }

        for (SourceDef s : pipeline.sources().values()) {
            if (s instanceof SourceDef.Generator g) {
                Generator gen = new Generator(pipeline, g, producer, options.clock(), metrics);
                generators.add(gen);
                Thread t = new Thread(gen, "sluice-generator-" + g.name());
                t.setDaemon(true);
                t.start();
            }
        }
    }

    /**
     * What the native parts hold against their bounds (docs/metrics.md). Micrometer holds a gauge's object weakly:
     * each is one this runtime holds (its options, its store), or held by the gauge itself.
     */
    private void memoryGauges(MeterRegistry registry) {
        Map<String, Object> rocks =
                Map.of(BoundedRocksDbMemory.TOTAL_BYTES_CONFIG, options.memory().rocksDbBytes());
        Gauge.builder("sluice.memory.used", rocks, r -> (double) BoundedRocksDbMemory.used(r))
                .strongReference(true) // the gauge alone holds its map
                .tag("component", "rocksdb")
                .baseUnit("bytes")
                .description("what the component holds: RocksDB's shared block cache with the memtables charged"
                        + " to it; DuckDB's buffer pool")
                .register(registry);
        Gauge.builder("sluice.memory.limit", options.memory(), m -> (double) m.rocksDbBytes())
                .tag("component", "rocksdb")
                .baseUnit("bytes")
                .description("the component's bound: --rocksdb-memory, --duckdb-memory")
                .register(registry);
        if (store != null) {
            DuckDbStore duck = store;
            Gauge.builder("sluice.memory.used", duck, d -> (double) d.memoryUsed())
                    .tag("component", "duckdb")
                    .baseUnit("bytes")
                    .register(registry);
            Gauge.builder("sluice.memory.limit", options.memory(), m ->
                            (double) m.duckDb().memoryLimitBytes())
                    .tag("component", "duckdb")
                    .baseUnit("bytes")
                    .register(registry);
        }
    }

    private Map<String, Integer> schemaIds = Map.of();

    /**
     * Registers every stream's schema under its subject; a change the subject's compatibility level forbids
     * stops the start, saying which stream, which subject and what breaks.
     */
    private Map<String, Integer> registerSchemas() {
        Map<String, Integer> ids = new HashMap<>();
        List<String> refusals = new ArrayList<>();
        for (StreamDef s : pipeline.streams().values()) {
            String subject = pipeline.subject(s.name());
            try {
                ids.put(
                        s.name(),
                        registry.register(subject, SchemaType.parse(s.schemaType()), s.schemaText(), List.of()));
            } catch (RegistryException e) {
                refusals.add("stream '" + s.name() + "': schema " + s.schemaFile()
                        + " cannot be registered under subject '"
                        + subject + "' (" + registry.subjectLevel(subject).orElse(registry.globalLevel()) + "): "
                        + e.getMessage());
            }
        }
        if (!refusals.isEmpty()) {
            throw new SchemaRefusedException(String.join("\n", refusals));
        }
        return ids;
    }

    /** A stream's schema breaks its subject's compatibility level; nothing was started for the pipeline. */
    public static final class SchemaRefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SchemaRefusedException(String message) {
            super(message);
        }
    }

    public SchemaRegistry registry() {
        return registry;
    }

    public int registryPort() {
        return registryServer == null ? -1 : registryServer.port();
    }

    /** Runs a sink's writer in a {@link SinkLoop} on a thread of its own. */
    private void startSink(
            SinkWriter writer, Map<String, Object> consumer, String name, long batchRows, Duration batchInterval) {
        SinkLoop loop = new SinkLoop(writer, consumer, batchRows, batchInterval);
        sinkLoops.add(loop);
        new Thread(loop, "sluice-sink-" + name).start();
    }

    private void createTopics() throws Exception {
        for (StreamDef s : pipeline.streams().values()) {
            Map<String, String> cfg =
                    Map.of("retention.ms", String.valueOf(s.retention().toMillis()));
            KafkaTopics.ensureTopic(admin, pipeline.streamTopic(s.name()), s.partitions(), cfg);
            KafkaTopics.ensureTopic(admin, pipeline.lateTopic(s.name()), s.partitions(), cfg);
            KafkaTopics.ensureTopic(admin, pipeline.acceptedTopic(s.name()), s.partitions(), cfg);
        }
        for (ViewDef v : pipeline.views().values()) {
            KafkaTopics.ensureTopic(
                    admin,
                    pipeline.viewTopic(v.name()),
                    pipeline.stream(v.from()).partitions(),
                    Map.of());
        }
        for (TableDef t : pipeline.tables().values()) {
            // the latest row per key: compacted, so the topic keeps every key however long ago it changed
            KafkaTopics.ensureTopic(
                    admin,
                    pipeline.tableTopic(t.name()),
                    pipeline.stream(t.from()).partitions(),
                    Map.of("cleanup.policy", "compact"));
        }
        KafkaTopics.ensureTopic(admin, pipeline.dlqTopic(), 1, Map.of());
        for (SinkDef d : pipeline.sinks().values()) {
            if (d instanceof SinkDef.Kafka k) {
                int partitions = pipeline.streams().values().stream()
                        .mapToInt(StreamDef::partitions)
                        .max()
                        .orElse(1);
                KafkaTopics.ensureTopic(admin, k.topic(), partitions, Map.of());
            }
        }
        for (SourceDef s : pipeline.sources().values()) {
            if (s instanceof SourceDef.Kafka k) {
                KafkaTopics.ensureTopic(
                        admin, k.topic(), pipeline.stream(k.stream()).partitions(), Map.of());
            }
        }
    }

    private Properties streamsConfig() throws IOException {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, pipeline.applicationId());
        // static membership: a restart (kill -9 included) takes its partitions back at once, instead of
        // waiting out the dead member's session timeout (45 s) before the group rebalances
        p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, pipeline.applicationId() + "-" + instanceId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(
                StreamsConfig.STATE_DIR_CONFIG,
                options.dataDir().resolve("streams").toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // poison never blocks: processors dead-letter what they cannot compute; this catches what they missed
        p.putAll(DeadLetterOnError.config(pipeline.dlqTopic()));
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 16L * 1024 * 1024);
        // one block cache and one memtable budget for all RocksDB stores, instead of Kafka Streams' 50 MB cache and
        // up to 48 MB of memtables for each store (and each segment of a window store), off the heap
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
        p.put(BoundedRocksDbMemory.TOTAL_BYTES_CONFIG, options.memory().rocksDbBytes());
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        // fetch in batches of up to 64 KB, waiting at most 10 ms for them: with Kafka's defaults (1 byte, 500 ms)
        // a busy processor sends a fetch for every few records (the broker's request handlers took a fifth of the
        // process's samples in a profile, answering produce and fetch requests); the cost is up to 10 ms a hop
        // in latency when few records arrive
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), 64 * 1024);
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 10);
        return p;
    }

    /** A name for this data directory's processor in its consumer group, made once and kept in the directory. */
    private String instanceId() throws IOException {
        Path file = options.dataDir().resolve("instance-id");
        if (!Files.exists(file)) {
            Files.writeString(file, java.util.UUID.randomUUID().toString());
        }
        return Files.readString(file).strip();
    }

    private boolean brokerUp() {
        try {
            admin.describeCluster().clusterId().get(2, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private void pauseProcessor() {
        if (streams != null) {
            streams.pause();
        }
    }

    private void resumeProcessor() {
        if (streams != null) {
            streams.resume();
        }
    }

    private String processorState() {
        if (streams == null) {
            return "none";
        }
        if (streams.isPaused()) {
            return "paused";
        }
        return streams.state().name().toLowerCase(java.util.Locale.ROOT);
    }

    public LiveHub liveHub() {
        return liveHub;
    }

    /** Counts state stores being restored from their changelogs: the processor is not ready meanwhile. */
    private final java.util.Set<String> restoring = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final class RestoreTracker implements org.apache.kafka.streams.processor.StateRestoreListener {
        @Override
        public void onRestoreStart(
                org.apache.kafka.common.TopicPartition tp, String store, long startingOffset, long endingOffset) {
            restoring.add(store + "/" + tp);
        }

        @Override
        public void onBatchRestored(
                org.apache.kafka.common.TopicPartition tp, String store, long batchEndOffset, long numRestored) {}

        @Override
        public void onRestoreEnd(org.apache.kafka.common.TopicPartition tp, String store, long totalRestored) {
            restoring.remove(store + "/" + tp);
        }

        @Override
        public void onRestoreSuspended(org.apache.kafka.common.TopicPartition tp, String store, long totalRestored) {
            restoring.remove(store + "/" + tp);
        }
    }

    /** Running, with every state store restored: views answer with current data. */
    private boolean processorReady() {
        return streams == null || (streams.state() == KafkaStreams.State.RUNNING && restoring.isEmpty());
    }

    public Observability observability() {
        return observability;
    }

    private boolean processorUp() {
        return streams == null || (streams.state().isRunningOrRebalancing() && processorHealth.problem() == null);
    }

    private String processorProblem() {
        if (streams == null) {
            return null;
        }
        KafkaStreams.State state = streams.state();
        if (!state.isRunningOrRebalancing()) {
            return "state " + state.name().toLowerCase(java.util.Locale.ROOT);
        }
        return processorHealth.problem();
    }

    /** Stream thread failures since start (each thread was replaced); 0 for a processor that never failed. */
    public long processorFailures() {
        return processorHealth.failures();
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    public boolean embeddedBroker() {
        return broker != null;
    }

    public int httpPort() {
        return server.port();
    }

    /** The DuckDB store, or null when the pipeline stores in ClickHouse only. */
    public DuckDbStore store() {
        return store;
    }

    /** What the query API and the dashboard read: ClickHouse when the pipeline has it, else DuckDB. */
    public ViewStore viewStore() {
        return viewStore;
    }

    public List<ClickHouseSink> clickhouseSinks() {
        return clickhouseSinks;
    }

    public List<RedisCache> redisCaches() {
        return redisCaches;
    }

    public Path dataDir() {
        return options.dataDir();
    }

    /** Blocks until the processor is running (or the timeout passes). */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (streams == null || streams.state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    @Override
    public void close() {
        generators.forEach(Generator::stop);
        if (server != null) {
            quietly(server);
        }
        if (registryServer != null) {
            quietly(registryServer);
        }
        if (liveHub != null) {
            quietly(liveHub);
        }
        for (int i = closeables.size() - 1; i >= 1; i--) {
            quietly(closeables.get(i));
        }
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
        sinkLoops.forEach(SinkLoop::close);
        redisCaches.forEach(RedisCache::close);
        if (store != null) {
            quietly(store);
        }
        if (observability != null) {
            quietly(observability);
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (broker != null) {
            quietly(broker);
        }
        if (lock != null) {
            try {
                lock.release();
            } catch (IOException e) {
                LOG.debug("releasing lock", e);
            }
        }
        if (!closeables.isEmpty()) {
            quietly(closeables.get(0));
        }
    }

    private static void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("while shutting down: {}", e.toString());
        }
    }
}
