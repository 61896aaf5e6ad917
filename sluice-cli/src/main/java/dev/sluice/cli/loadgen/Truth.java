package dev.sluice.cli.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.MeasureDef;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.wire.ViewTruth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The expected rows of every view of a stream, from the events a target accepted, each id counted once. */
final class Truth {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Pipeline pipeline;
    private final String stream;
    private final Map<String, ViewTruth> views = new LinkedHashMap<>();
    private final Set<String> seen = new HashSet<>();
    private long accepted;

    Truth(Pipeline pipeline, String stream) {
        this.pipeline = pipeline;
        this.stream = stream;
        for (ViewDef v : pipeline.viewsOf(stream)) {
            views.put(v.name(), new ViewTruth(v, pipeline.stream(stream).timeField()));
        }
    }

    /** An event the target accepted (a duplicate of one already counted changes nothing). */
    synchronized void accepted(String id, JsonNode event) {
        accepted++;
        if (seen.add(id)) {
            views.values().forEach(v -> v.add(event));
        }
    }

    synchronized long unique() {
        return seen.size();
    }

    synchronized long acceptedCount() {
        return accepted;
    }

    /** The truth file: the run's facts and, per view, its definition's shape and expected rows. */
    synchronized void write(Path file, Map<String, Object> run) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("pipeline", pipeline.name());
        root.put("stream", stream);
        root.set("run", JSON.valueToTree(run));
        root.put("events_accepted", accepted);
        root.put("unique_events", seen.size());
        ObjectNode vs = root.putObject("views");
        for (Map.Entry<String, ViewTruth> e : views.entrySet()) {
            ViewDef v = pipeline.views().get(e.getKey());
            ObjectNode o = vs.putObject(e.getKey());
            o.put("windowed", v.window() != null);
            o.set("group_by", JSON.valueToTree(v.groupBy()));
            ObjectNode ms = o.putObject("measures");
            for (MeasureDef m : v.measures()) {
                ms.put(m.name(), m.kind().keyword());
            }
            o.set("rows", JSON.valueToTree(e.getValue().rows()));
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }
}
