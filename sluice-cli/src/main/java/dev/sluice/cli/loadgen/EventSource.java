package dev.sluice.cli.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.WindowDef;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The events of a scenario, one after the other, the same ones for the same seed and start: each with its
 * place in the schedule (when it is due, relative to the start), its event time, and the fault injected into
 * it, if any.
 */
final class EventSource {
    enum Kind {
        NORMAL,
        DUPLICATE,
        OUT_OF_ORDER,
        LATE,
        TOO_LATE,
        MALFORMED
    }

    /**
     * One event to send.
     *
     * @param event the event (null when {@code line} is not JSON)
     * @param line the NDJSON line to send instead of the event, when it is malformed text; else null
     */
    record Generated(long index, Kind kind, String id, ObjectNode event, String line, long eventTimeMs, long dueNanos) {
        boolean valid() {
            return kind != Kind.MALFORMED;
        }
    }

    private static final int RECENT = 32;

    private final Scenario s;
    private final long startMs;
    private final double rate;
    private final SplittableRandom random;
    private final List<Generated> recent = new ArrayList<>();
    private final long lateSizeMs;
    private final long graceMs;
    private final List<String> required = new ArrayList<>();
    private final java.util.Map<String, FieldGen> fields;
    private long index;
    private double dueNanos;

    EventSource(Scenario s, long seed, double rate, long startMs) {
        this.s = s;
        this.startMs = startMs;
        this.rate = rate;
        this.random = new SplittableRandom(seed);
        this.fields = s.newFields();
        WindowDef w = null;
        for (ViewDef v : s.pipeline().viewsOf(s.stream().name())) {
            if (v.window() != null) {
                w = v.window();
                break;
            }
        }
        lateSizeMs = w == null ? 60_000 : w.size().toMillis();
        graceMs = w == null ? 0 : w.grace().toMillis();
        for (JsonNode r : s.stream().schema().path("required")) {
            String f = r.asText();
            if (!f.equals(s.stream().idField())) {
                required.add(f);
            }
        }
    }

    /** The rate at a point of the schedule, with bursts. */
    private double rateAt(double nanos) {
        Scenario.Bursts b = s.bursts();
        if (b == null) {
            return rate;
        }
        long every = b.every().toNanos();
        return (long) nanos % every < b.length().toNanos() ? rate * b.factor() : rate;
    }

    Generated next() {
        long i = index++;
        long due = (long) dueNanos;
        dueNanos += 1e9 / rateAt(dueNanos);
        long t = startMs + due / 1_000_000;
        Scenario.Inject in = s.inject();
        double x = random.nextDouble() * 100;
        Kind kind;
        if ((x -= in.duplicates()) < 0) {
            kind = recent.isEmpty() ? Kind.NORMAL : Kind.DUPLICATE;
        } else if ((x -= in.outOfOrder()) < 0) {
            kind = Kind.OUT_OF_ORDER;
        } else if ((x -= in.late()) < 0) {
            kind = graceMs > 0 ? Kind.LATE : Kind.NORMAL;
        } else if ((x -= in.tooLate()) < 0) {
            kind = Kind.TOO_LATE;
        } else if ((x -= in.malformed()) < 0) {
            kind = Kind.MALFORMED;
        } else {
            kind = Kind.NORMAL;
        }
        if (kind == Kind.DUPLICATE) {
            Generated original = recent.get(random.nextInt(recent.size()));
            return new Generated(
                    i, kind, original.id(), original.event().deepCopy(), null, original.eventTimeMs(), due);
        }
        long eventTime =
                switch (kind) {
                    case OUT_OF_ORDER ->
                        t - (long) (random.nextDouble() * s.disorder().toMillis());
                    case LATE -> t - lateSizeMs - (long) ((0.1 + 0.8 * random.nextDouble()) * graceMs);
                    case TOO_LATE -> t - lateSizeMs - graceMs - (long) (random.nextDouble() * 600_000);
                    default -> t;
                };
        ObjectNode e = FieldGen.F.objectNode();
        FieldGen.Ctx ctx = new FieldGen.Ctx(random, e, eventTime);
        for (var f : fields.entrySet()) {
            JsonNode v = f.getValue().next(ctx);
            if (v != null) {
                e.set(f.getKey(), v);
            }
        }
        String id = e.path(s.stream().idField()).asText();
        if (kind == Kind.MALFORMED) {
            if (required.isEmpty() || random.nextBoolean()) {
                String line = "{\"" + s.stream().idField() + "\":\"" + id + "\",\"broken\": ";
                return new Generated(i, kind, id, null, line, eventTime, due);
            }
            e.remove(required.get(random.nextInt(required.size())));
            return new Generated(i, kind, id, e, null, eventTime, due);
        }
        Generated g = new Generated(i, kind, id, e, null, eventTime, due);
        recent.add(g);
        if (recent.size() > RECENT) {
            recent.remove(0);
        }
        return g;
    }
}
