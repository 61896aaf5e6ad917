package dev.sluice.cli.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.StreamDef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A load scenario file (docs/loadgen.md), checked on load: each problem names the file and the key. */
record Scenario(
        Path file,
        String name,
        Pipeline pipeline,
        StreamDef stream,
        long seed,
        double rate,
        long events,
        Duration duration,
        int batch,
        Bursts bursts,
        Duration disorder,
        Map<String, JsonNode> fieldSpecs,
        Inject inject) {

    /** Fresh generators (with their own state: counters, walks), in file order. */
    Map<String, FieldGen> newFields() {
        Map<String, FieldGen> out = new LinkedHashMap<>();
        fieldSpecs.forEach((k, v) -> out.put(k, FieldGen.of(file + ": fields." + k, v)));
        return out;
    }

    /** Fields stamped with the wall clock when sent. */
    java.util.List<String> sourceTimeFields() {
        return newFields().entrySet().stream()
                .filter(e -> e.getValue().sourceTime())
                .map(Map.Entry::getKey)
                .toList();
    }

    /** Every {@code every}, {@code length} at {@code factor} times the rate. */
    record Bursts(Duration every, Duration length, double factor) {}

    /** Percentages (0..100) of events that get each fault. */
    record Inject(double duplicates, double outOfOrder, double late, double tooLate, double malformed) {
        double total() {
            return duplicates + outOfOrder + late + tooLate + malformed;
        }
    }

    static Scenario load(Path file) throws Exception {
        JsonNode s;
        try {
            s = new YAMLMapper().readTree(Files.readString(file));
        } catch (Exception e) {
            throw new IllegalArgumentException(file + ": not YAML: " + e.getMessage(), e);
        }
        String at = file.toString();
        if (s == null || !s.isObject()) {
            throw new IllegalArgumentException(at + ": a scenario is a YAML mapping");
        }
        Path pipelineFile = file.toAbsolutePath().getParent().resolve(text(at, s, "pipeline", "pipeline.yaml"));
        Pipeline pipeline = PipelineLoader.withSystemEnv().load(pipelineFile);
        String streamName = text(at, s, "stream", null);
        if (streamName == null || !pipeline.streams().containsKey(streamName)) {
            throw new IllegalArgumentException(at + ": stream: '" + streamName + "' is not a stream of " + pipelineFile
                    + " " + pipeline.streams().keySet());
        }
        StreamDef stream = pipeline.stream(streamName);
        Map<String, FieldGen> fields = new LinkedHashMap<>();
        Map<String, JsonNode> specs = new LinkedHashMap<>();
        JsonNode f = s.path("fields");
        if (!f.isObject() || f.isEmpty()) {
            throw new IllegalArgumentException(at + ": fields: needs a generator for each field of the event");
        }
        for (Map.Entry<String, JsonNode> e : f.properties()) {
            fields.put(e.getKey(), FieldGen.of(at + ": fields." + e.getKey(), e.getValue()));
            specs.put(e.getKey(), e.getValue());
        }
        if (!fields.containsKey(stream.idField())) {
            throw new IllegalArgumentException(at + ": fields: the stream's id field '" + stream.idField()
                    + "' needs a generator (uuid: {}), so duplicates can be told apart");
        }
        FieldGen time = fields.get(stream.timeField());
        if (time == null || !time.eventTime()) {
            throw new IllegalArgumentException(
                    at + ": fields." + stream.timeField() + ": the stream's time field needs {time: event}");
        }
        JsonNode b = s.path("bursts");
        Bursts bursts = b.isMissingNode() || b.isNull()
                ? null
                : new Bursts(
                        duration(at + ": bursts.every", b.path("every")),
                        duration(at + ": bursts.length", b.path("length")),
                        b.path("factor").asDouble(2));
        JsonNode in = s.path("inject");
        Inject inject = new Inject(
                percent(at, in, "duplicates"),
                percent(at, in, "out_of_order"),
                percent(at, in, "late"),
                percent(at, in, "too_late"),
                percent(at, in, "malformed"));
        if (inject.total() > 100) {
            throw new IllegalArgumentException(at + ": inject: the percentages add up to more than 100");
        }
        double rate = s.path("rate").asDouble(1000);
        if (rate <= 0) {
            throw new IllegalArgumentException(at + ": rate: must be > 0 events per second");
        }
        return new Scenario(
                file,
                text(at, s, "scenario", streamName),
                pipeline,
                stream,
                s.path("seed").asLong(1),
                rate,
                s.path("events").asLong(0),
                s.has("duration") ? duration(at + ": duration", s.get("duration")) : null,
                Math.max(1, s.path("batch").asInt(500)),
                bursts,
                s.has("disorder") ? duration(at + ": disorder", s.get("disorder")) : Duration.ofSeconds(5),
                specs,
                inject);
    }

    private static String text(String at, JsonNode s, String key, String dflt) {
        JsonNode v = s.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(at + ": " + key + ": expected text");
        }
        return v.asText();
    }

    private static double percent(String at, JsonNode in, String key) {
        JsonNode v = in.get(key);
        if (v == null || v.isNull()) {
            return 0;
        }
        double p = v.isNumber()
                ? v.asDouble()
                : Double.parseDouble(v.asText().replace("%", "").trim());
        if (p < 0 || p > 100) {
            throw new IllegalArgumentException(at + ": inject." + key + ": a percentage in 0..100, got " + v);
        }
        return p;
    }

    static Duration duration(String at, JsonNode v) {
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(at + ": expected a duration such as 500ms, 10s, 5m or 1h");
        }
        var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)")
                .matcher(v.asText().trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(at + ": '" + v.asText() + "' is not a duration (500ms, 10s, 5m, 1h)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
