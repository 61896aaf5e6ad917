package dev.sluice.cli.loadgen;

import dev.sluice.pipeline.SourceDef;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice loadgen}: see docs/loadgen.md. */
@Command(
        name = "loadgen",
        description = "Send a scenario's synthetic events (with duplicates, disorder, late and malformed ones)"
                + " to a running pipeline, and write the ground truth of what it accepted.")
public final class LoadgenCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "SCENARIO",
            description = "the scenario file, e.g. examples/ecommerce/loadgen.yaml")
    Path scenarioFile;

    @Option(names = "--url", description = "HTTP ingest of the running pipeline (default: http://127.0.0.1:8080)")
    String url;

    @Option(names = "--kafka", paramLabel = "HOST:PORT", description = "produce to Kafka directly instead of HTTP")
    String kafka;

    @Option(names = "--topic", description = "with --kafka: the topic (default: the stream's Kafka source topic)")
    String topic;

    @Option(names = "--events", description = "how many events to send (default: the scenario's)")
    Long events;

    @Option(names = "--duration", description = "send for this long instead, e.g. 60s")
    String duration;

    @Option(names = "--rate", description = "events per second (default: the scenario's)")
    Double rate;

    @Option(names = "--seed", description = "random seed (default: the scenario's)")
    Long seed;

    @Option(names = "--start", description = "event time of the first event, RFC 3339 (default: now)")
    String start;

    @Option(names = "--truth", paramLabel = "FILE", description = "write the expected rows of the stream's views here")
    Path truthFile;

    @Option(
            names = "--accepted",
            paramLabel = "FILE",
            description = "write every accepted event that keeps the contract here, one JSON object a line,"
                    + " duplicates included (to check the views with another tool)")
    Path acceptedFile;

    PrintStream out = System.out;
    PrintStream err = System.err;

    /** The last run's summary, for tests. */
    LoadRun.Summary summary;

    /** The last run's figures (sent, acknowledged, refused, failed, seconds, rate, ...), for benchmarks. */
    public java.util.Map<String, Object> summary() {
        return summary == null ? java.util.Map.of() : summary.toMap();
    }

    /** Where progress and the summary go. */
    public LoadgenCommand output(PrintStream o) {
        this.out = o;
        this.err = o;
        return this;
    }

    @Override
    public Integer call() throws Exception {
        Scenario s;
        try {
            s = Scenario.load(scenarioFile);
        } catch (IllegalArgumentException | dev.sluice.pipeline.PipelineException e) {
            err.println("sluice loadgen: " + e.getMessage());
            return 2;
        }
        long n = events != null ? events : s.events();
        Duration d = duration != null
                ? Scenario.duration("--duration", new com.fasterxml.jackson.databind.node.TextNode(duration))
                : s.duration();
        if (n <= 0 && d == null) {
            err.println("sluice loadgen: say how much to send: events: or duration: in " + scenarioFile
                    + ", or --events / --duration");
            return 2;
        }
        long startMs = start == null
                ? System.currentTimeMillis()
                : Instant.parse(start).toEpochMilli();
        long theSeed = seed != null ? seed : s.seed();
        double theRate = rate != null ? rate : s.rate();
        LoadRun.Target target;
        String where;
        if (kafka != null) {
            String t = topic;
            if (t == null) {
                t = s.pipeline().sources().values().stream()
                        .filter(x -> x instanceof SourceDef.Kafka k
                                && k.stream().equals(s.stream().name()))
                        .map(x -> ((SourceDef.Kafka) x).topic())
                        .findFirst()
                        .orElse(null);
                if (t == null) {
                    err.println("sluice loadgen: stream '" + s.stream().name()
                            + "' has no kafka source in the pipeline; name a topic with --topic");
                    return 2;
                }
            }
            String key = s.stream().keyField() == null
                    ? s.stream().idField()
                    : s.stream().keyField();
            target = LoadRun.kafka(kafka, t, key);
            where = "kafka " + kafka + " topic " + t;
        } else {
            String u = url == null ? "http://127.0.0.1:8080" : url;
            target = LoadRun.http(u, s.stream().name());
            where = u;
        }
        out.printf(
                "loadgen: scenario %s → %s, stream %s, %s at %,.0f events/s, seed %d, start %s%n",
                s.name(),
                where,
                s.stream().name(),
                n > 0 ? String.format("%,d events", n) : "for " + d,
                theRate,
                theSeed,
                Instant.ofEpochMilli(startMs));
        LoadRun run = new LoadRun(s, new EventSource(s, theSeed, theRate, startMs), target, out);
        try (target;
                LoadRun.AcceptedLog accepted = LoadRun.AcceptedLog.to(acceptedFile)) {
            run.acceptedTo(accepted);
            summary = run.run(n, n > 0 ? null : d);
        }
        if (acceptedFile != null) {
            out.println("loadgen: accepted events written to " + acceptedFile);
        }
        Map<String, Object> m = summary.toMap();
        out.printf(
                "loadgen: done: sent %,d, acknowledged %,d, refused %,d, failed %,d in %.1f s: %,.0f events/s"
                        + " (target %,.0f); injected %s; %,d unique events accepted%n",
                summary.sent(),
                summary.acknowledged(),
                summary.refused(),
                summary.failed(),
                summary.seconds(),
                summary.rate(),
                theRate,
                m.get("injected"),
                summary.unique());
        if (truthFile != null) {
            m.put("scenario", s.name());
            m.put("seed", theSeed);
            m.put("start", Instant.ofEpochMilli(startMs).toString());
            m.put("target", where);
            run.truth().write(truthFile, m);
            out.println("loadgen: ground truth written to " + truthFile);
        }
        return summary.failed() > 0 ? 1 : 0;
    }
}
