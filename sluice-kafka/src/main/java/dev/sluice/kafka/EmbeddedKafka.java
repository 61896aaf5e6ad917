package dev.sluice.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real, in-process, single-node Apache Kafka broker in KRaft combined mode (broker and controller in one
 * node, static voter set, no ZooKeeper). Everything binds to 127.0.0.1. The storage under {@link #dataDir()}
 * is formatted only once, so a restart on the same directory keeps topics, records, committed offsets and
 * transactional state.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String LOG_DIR_NAME = "kafka";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int BIND_ATTEMPTS = 3;

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private final String clusterId;
    private final KafkaRaftServer server;
    private final Object closeLock = new Object();
    private boolean closed;

    private EmbeddedKafka(Path dataDir, int port, int controllerPort, String clusterId, KafkaRaftServer server) {
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.clusterId = clusterId;
        this.server = server;
    }

    /** Starts a broker with the default settings; {@code port} 0 picks a free port. */
    public static EmbeddedKafka start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /**
     * Starts a broker; {@code overrides} are broker configs applied on top of the defaults (see {@link
     * #defaultConfig}). Returns once the broker answers admin requests.
     *
     * @throws IllegalStateException if {@code port} is already in use or the broker cannot start
     */
    public static EmbeddedKafka start(Path dataDir, int port, Map<String, String> overrides) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(overrides, "overrides");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("invalid Kafka port " + port);
        }
        Path absDir = dataDir.toAbsolutePath().normalize();
        Path logDir = absDir.resolve(LOG_DIR_NAME);
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka data directory " + logDir, e);
        }
        if (port != 0 && !isFree(port)) {
            throw portInUse(port, null);
        }
        long t0 = System.nanoTime();
        String clusterId = formatIfNeeded(logDir);
        RuntimeException last = null;
        for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
            int brokerPort = port != 0 ? port : freePort();
            int controllerPort = freePort(brokerPort);
            try {
                EmbeddedKafka kafka = launch(absDir, logDir, brokerPort, controllerPort, clusterId, overrides);
                log.info(
                        "Embedded Kafka (cluster {}) ready on {}:{} (controller port {}, data {}) in {} ms",
                        clusterId,
                        HOST,
                        brokerPort,
                        controllerPort,
                        logDir,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                return kafka;
            } catch (RuntimeException e) {
                last = e;
                if (!isBindFailure(e)) {
                    throw e;
                }
                if (port != 0 && !isFree(port)) {
                    throw portInUse(port, e);
                }
                log.warn("Embedded Kafka could not bind its ports (attempt {}), retrying: {}", attempt, e.toString());
            }
        }
        throw new IllegalStateException("Embedded Kafka could not bind a port on " + HOST, last);
    }

    /** The broker settings used unless overridden; exposed for documentation and tests. */
    public static Map<String, String> defaultConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        // single node, nothing can be replicated
        c.put("default.replication.factor", "1");
        c.put("min.insync.replicas", "1");
        c.put("offsets.topic.replication.factor", "1");
        c.put("offsets.topic.num.partitions", "5");
        c.put("transaction.state.log.replication.factor", "1");
        c.put("transaction.state.log.min.isr", "1");
        c.put("transaction.state.log.num.partitions", "5");
        c.put("share.coordinator.state.topic.replication.factor", "1");
        c.put("share.coordinator.state.topic.min.isr", "1");
        c.put("share.coordinator.state.topic.num.partitions", "1");
        // topics are created explicitly
        c.put("num.partitions", "1");
        c.put("auto.create.topics.enable", "false");
        c.put("group.initial.rebalance.delay.ms", "0");
        // light on threads and memory
        c.put("num.network.threads", "2");
        c.put("num.io.threads", "4");
        c.put("background.threads", "4");
        c.put("num.recovery.threads.per.data.dir", "1");
        c.put("num.replica.fetchers", "1");
        c.put("log.cleaner.threads", "1");
        c.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
        c.put("auto.leader.rebalance.enable", "false");
        // after a crash (kill -9) the controller, restored from its log, holds the dead node's broker session and
        // lets the restarted broker in only when that session times out (9 s by default); the node's own broker is
        // the only one, in the same process, so a shorter session (4 s: a stall of the process longer than that fences
        // its own broker) makes a restart 5 s quicker
        c.put("broker.heartbeat.interval.ms", "500");
        c.put("broker.session.timeout.ms", "4000");
        // do not hang forever if the node cannot come up
        c.put("server.max.startup.time.ms", String.valueOf(READY_TIMEOUT.toMillis()));
        return c;
    }

    private static EmbeddedKafka launch(
            Path dataDir,
            Path logDir,
            int brokerPort,
            int controllerPort,
            String clusterId,
            Map<String, String> overrides) {
        Properties props = new Properties();
        props.putAll(defaultConfig());
        props.put("process.roles", "broker,controller");
        props.put("node.id", String.valueOf(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        props.put("controller.listener.names", CONTROLLER_LISTENER);
        props.put("inter.broker.listener.name", BROKER_LISTENER);
        props.put(
                "listeners",
                BROKER_LISTENER + "://" + HOST + ":" + brokerPort + "," + CONTROLLER_LISTENER + "://" + HOST + ":"
                        + controllerPort);
        props.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
        props.put(
                "listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("metadata.log.dir", logDir.toString());
        props.putAll(overrides);

        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        EmbeddedKafka kafka = new EmbeddedKafka(dataDir, brokerPort, controllerPort, clusterId, server);
        try {
            server.startup();
            kafka.awaitReady();
            return kafka;
        } catch (RuntimeException | Error e) {
            kafka.close();
            throw e;
        }
    }

    /** Formats {@code logDir} unless it already holds a meta.properties; returns the (stable) cluster id. */
    private static String formatIfNeeded(Path logDir) {
        Path meta = logDir.resolve("meta.properties");
        if (Files.exists(meta)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(meta)) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + meta, e);
            }
            String id = p.getProperty("cluster.id");
            if (id == null || id.isBlank()) {
                throw new IllegalStateException(meta + " has no cluster.id; the Kafka data directory is corrupt");
            }
            log.debug("Kafka storage {} already formatted, cluster id {}", logDir, id);
            return id;
        }
        String clusterId = Uuid.randomUuid().toString();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(ps)
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setNodeId(NODE_ID)
                    .setClusterId(clusterId)
                    .setDirectories(List.of(logDir.toString()))
                    .setMetadataLogDirectory(logDir.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
        }
        log.info("Formatted Kafka storage {} with cluster id {}", logDir, clusterId);
        if (log.isDebugEnabled()) {
            log.debug("Formatter output:\n{}", out.toString(StandardCharsets.UTF_8));
        }
        return clusterId;
    }

    private void awaitReady() {
        Map<String, Object> cfg = new LinkedHashMap<>(ClientDefaults.admin(bootstrapServers()));
        cfg.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        cfg.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        cfg.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 50);
        cfg.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        cfg.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 50);
        cfg.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Exception last = null;
        try (Admin admin = Admin.create(cfg)) {
            while (System.nanoTime() < deadline) {
                try {
                    int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000))
                            .nodes()
                            .get(10, TimeUnit.SECONDS)
                            .size();
                    if (nodes > 0) {
                        // goes through the controller: proves the node can create topics
                        admin.createTopics(
                                        List.of(new NewTopic("__sluice_ready_probe", 1, (short) 1)),
                                        new CreateTopicsOptions()
                                                .validateOnly(true)
                                                .timeoutMs(5_000))
                                .all()
                                .get(10, TimeUnit.SECONDS);
                        return;
                    }
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        return;
                    }
                    last = e;
                } catch (TimeoutException e) {
                    last = e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for embedded Kafka", e);
                }
                sleep(100);
            }
        }
        throw new IllegalStateException(
                "embedded Kafka on " + bootstrapServers() + " not ready after " + READY_TIMEOUT.toSeconds() + " s",
                last);
    }

    /** {@code 127.0.0.1:PORT}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    /** The controller (KRaft quorum) port; it may change between restarts. */
    public int controllerPort() {
        return controllerPort;
    }

    /** The directory passed to {@code start}; Kafka's log directory is {@code dataDir/kafka}. */
    public Path dataDir() {
        return dataDir;
    }

    /** The KRaft cluster id, stable across restarts on the same data directory. */
    public String clusterId() {
        return clusterId;
    }

    /** Shuts the broker down cleanly and waits for it; idempotent. */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
            long t0 = System.nanoTime();
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                log.warn("Error while shutting down embedded Kafka on {}", bootstrapServers(), e);
            }
            log.info(
                    "Embedded Kafka on {} stopped in {} ms",
                    bootstrapServers(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers() + ", " + dataDir + "]";
    }

    private static IllegalStateException portInUse(int port, Throwable cause) {
        return new IllegalStateException(
                "cannot start embedded Kafka: port " + port + " on " + HOST
                        + " is already in use (choose another Kafka port, or 0 for a free one)",
                cause);
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("failed to bind") || m.contains("Address already in use"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort(int... avoid) {
        for (int i = 0; i < 20; i++) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
                int p = s.getLocalPort();
                boolean clash = false;
                for (int a : avoid) {
                    clash |= a == p;
                }
                if (!clash) {
                    return p;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port on " + HOST, e);
            }
        }
        throw new IllegalStateException("cannot find a free port on " + HOST);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for embedded Kafka", e);
        }
    }
}
