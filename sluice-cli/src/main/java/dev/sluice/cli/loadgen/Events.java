package dev.sluice.cli.loadgen;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A scenario's events as Kafka records, for benchmarks that feed a topic directly. */
public final class Events {
    private Events() {}

    /** One event: its Kafka key (the stream's key field, else its id), its JSON, and the event itself. */
    public record Record(byte[] key, byte[] value, com.fasterxml.jackson.databind.node.ObjectNode event) {}

    /** The fields of a scenario stamped with the time an event is sent ({@code time: source}). */
    public static List<String> sourceTimeFields(Path scenarioFile) throws Exception {
        return Scenario.load(scenarioFile).sourceTimeFields();
    }

    /**
     * The first {@code n} valid events of a scenario (faults and duplicates left out: every one counts once), their
     * event times spread at {@code rate} per second from {@code startMs}, source-time fields stamped with the start.
     */
    public static List<Record> valid(Path scenarioFile, long n, long seed, double rate, long startMs) throws Exception {
        Scenario s = Scenario.load(scenarioFile);
        EventSource src = new EventSource(s, seed, rate, startMs);
        String keyField = s.stream().keyField() == null
                ? s.stream().idField()
                : s.stream().keyField();
        List<String> stamped = s.sourceTimeFields();
        String now = Instant.ofEpochMilli(startMs).toString();
        List<Record> out = new ArrayList<>((int) n);
        while (out.size() < n) {
            EventSource.Generated g = src.next();
            if (g.kind() != EventSource.Kind.NORMAL && g.kind() != EventSource.Kind.OUT_OF_ORDER) {
                continue;
            }
            stamped.forEach(f -> g.event().put(f, now));
            out.add(new Record(
                    g.event().path(keyField).asText(g.id()).getBytes(StandardCharsets.UTF_8),
                    g.event().toString().getBytes(StandardCharsets.UTF_8),
                    g.event()));
        }
        return out;
    }
}
