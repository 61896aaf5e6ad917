package dev.sluice.cli;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineException;
import dev.sluice.pipeline.PipelineLoader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "run",
        description =
                "Run a pipeline: embedded Kafka broker (unless --kafka), processor, DuckDB store and HTTP server, in this process.")
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PIPELINE", description = "the pipeline file")
    Path file;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "where state lives (default: data/<pipeline>)")
    Path dataDir;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(
            names = "--kafka-port",
            defaultValue = "9092",
            description = "embedded broker port (default: ${DEFAULT-VALUE})")
    int kafkaPort;

    @Option(names = "--kafka", paramLabel = "HOST:PORT", description = "use this Kafka instead of the embedded broker")
    String kafka;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "HTTP bind address (default: ${DEFAULT-VALUE})")
    String host;

    @Option(
            names = "--registry-port",
            defaultValue = "-1",
            description = "also serve the schema registry API at the root of this port (default: only under /registry)")
    int registryPort;

    @Option(
            names = "--registry-topic",
            defaultValue = "_schemas",
            description = "compacted topic holding the schema registry (default: ${DEFAULT-VALUE})")
    String registryTopic;

    @Mixin
    MemoryOptions memory = new MemoryOptions();

    @Override
    public Integer call() throws Exception {
        Pipeline pipeline;
        try {
            pipeline = PipelineLoader.withSystemEnv().load(file);
        } catch (PipelineException e) {
            System.err.println(e.getMessage());
            System.err.println(file + ": refusing to start: " + e.problems().size() + " problem(s)");
            return 1;
        }
        return run(pipeline, dataDir, host, port, kafkaPort, kafka, null, registryTopic, registryPort, memory.memory());
    }

    /** Starts the runtime, prints where things are, and blocks until Ctrl-C. */
    static int run(
            Pipeline pipeline,
            Path dataDir,
            String host,
            int port,
            int kafkaPort,
            String kafka,
            String extra,
            String registryTopic,
            int registryPort,
            SluiceRuntime.Memory memory)
            throws Exception {
        Path dir = dataDir != null ? dataDir : Path.of("data", pipeline.name());
        SluiceRuntime.Options o = new SluiceRuntime.Options(
                dir,
                host,
                port,
                kafkaPort,
                kafka,
                java.time.Clock.systemUTC(),
                registryTopic,
                registryPort,
                dev.sluice.server.live.LiveHub.Settings.defaults(),
                memory);
        SluiceRuntime rt;
        try {
            rt = SluiceRuntime.start(pipeline, o);
        } catch (SluiceRuntime.SchemaRefusedException e) {
            System.err.println(e.getMessage());
            System.err.println(pipeline.file() + ": refusing to start: a schema change breaks its subject's"
                    + " compatibility level (see docs/schemas.md for the migration steps)");
            return 1;
        }
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.err.println("sluice: shutting down");
                            rt.close();
                            done.countDown();
                        },
                        "sluice-shutdown"));
        printBanner(System.out, rt, host, extra);
        done.await();
        return 0;
    }

    static void printBanner(PrintStream out, SluiceRuntime rt, String host, String extra) {
        Pipeline p = rt.pipeline();
        String base = "http://" + host + ":" + rt.httpPort();
        out.println("sluice: pipeline '" + p.name() + "' from " + p.file());
        out.println(
                "  kafka    " + rt.bootstrapServers() + (rt.embeddedBroker() ? "  (embedded broker)" : "  (external)"));
        out.println("  data     " + rt.dataDir().toAbsolutePath());
        if (rt.store() != null) {
            out.println("  store    " + rt.store().file().toAbsolutePath());
        }
        for (var ch : p.sinks().values()) {
            if (ch instanceof dev.sluice.pipeline.SinkDef.ClickHouse c) {
                out.println("  store    ClickHouse " + c.url() + " database " + c.database()
                        + (rt.viewStore().kind().equals("clickhouse") ? "   (queries read it)" : ""));
            } else if (ch instanceof dev.sluice.pipeline.SinkDef.Redis r) {
                out.println(
                        "  cache    Redis " + r.url() + " every " + r.refresh().toSeconds() + " s");
            }
        }
        out.println("  http     " + base + "   (dashboard)");
        for (String s : p.streams().keySet()) {
            out.println("  ingest   POST " + base + "/v1/streams/" + s + "/events   (topic " + p.streamTopic(s) + ")");
        }
        for (String v : p.views().keySet()) {
            out.println("  query    GET  " + base + "/v1/views/" + v);
        }
        out.println("  registry " + base + "/registry   (Confluent Schema Registry API"
                + (rt.registryPort() > 0 ? "; also http://" + host + ":" + rt.registryPort() : "") + ")");
        out.println("  live     GET  " + base + "/v1/live/<view>  (SSE),  " + base.replace("http", "ws") + "/v1/ws");
        out.println("  health   GET  " + base + "/health");
        if (extra != null) {
            out.println(extra);
        }
        out.println("Press Ctrl-C to stop.");
        out.flush();
    }
}
