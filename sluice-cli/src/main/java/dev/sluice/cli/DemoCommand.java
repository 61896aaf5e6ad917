package dev.sluice.cli;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.SourceDef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "demo",
        description = "Run examples/ecommerce with a built-in event generator (some duplicates, some late events).")
final class DemoCommand implements Callable<Integer> {
    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = "data/demo",
            description = "default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--port", defaultValue = "8080")
    int port;

    @Option(names = "--kafka-port", defaultValue = "9092")
    int kafkaPort;

    @Option(
            names = "--rate",
            defaultValue = "50",
            description = "generated events per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(
            names = "--example",
            paramLabel = "FILE",
            description = "the pipeline to run (default: examples/ecommerce/pipeline.yaml)")
    Path example;

    @Mixin
    MemoryOptions memory = new MemoryOptions();

    @Override
    public Integer call() throws Exception {
        Path file = example != null ? example : locate();
        Pipeline p = PipelineLoader.withSystemEnv().load(file);
        Map<String, SourceDef> sources = new LinkedHashMap<>(p.sources());
        String stream = p.streams().keySet().iterator().next();
        sources.put(
                "demo_generator",
                new SourceDef.Generator(
                        "demo_generator", stream, rate, 0, 0.02, 0.05, Duration.ofMinutes(20), Map.of()));
        Pipeline demo = new Pipeline(p.name(), p.file(), p.streams(), sources, p.views(), p.sinks(), p.tables());
        String view = demo.views().keySet().iterator().next();
        String extra =
                "  demo     generating " + rate + " " + stream + " events/s (2% duplicates, 5% up to 20 min late)\n"
                        + "  open     http://127.0.0.1:" + port + "/v1/views/" + view;
        return RunCommand.run(
                demo, dataDir, "127.0.0.1", port, kafkaPort, null, extra, "_schemas", -1, memory.memory());
    }

    private static Path locate() {
        String home = System.getenv("SLUICE_HOME");
        Path rel = Path.of("examples", "ecommerce", "pipeline.yaml");
        if (home != null && Files.exists(Path.of(home).resolve(rel))) {
            return Path.of(home).resolve(rel);
        }
        return rel;
    }
}
