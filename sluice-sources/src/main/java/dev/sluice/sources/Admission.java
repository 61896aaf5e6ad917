package dev.sluice.sources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.schema.EventValidator;
import dev.sluice.schema.Violation;
import dev.sluice.wire.EventTime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The contract check every source applies before an event may enter its stream's topic: the event
 * must be a JSON object conforming to the stream's schema, with a readable event time no more than
 * {@link #MAX_FUTURE} ahead of the clock (Kafka's own default limit for record timestamps). An event
 * without an id gets one from the source's id supplier, and the id is part of what is validated.
 *
 * <p>Every number in the event, wherever it sits, must be a finite double: Jackson reads {@code 1e400} as
 * {@code Infinity} and a 400-digit integer as a BigInteger beyond any double, and neither can be summed,
 * stored or written back as JSON (Jackson would write the text {@code "Infinity"}). Such a number is
 * refused here, naming its field, before the schema (whose {@code minimum}/{@code maximum} cannot catch
 * {@code Infinity}) is asked.
 */
public final class Admission {
    /**
     * The largest event, as written to the stream topic: below Kafka's default 1 MiB request size with room
     * for headers, so an accepted event can always be written, and dead-lettered as it is.
     */
    public static final int MAX_EVENT_BYTES = 900_000;

    /** How far ahead of the clock an event's time may be. */
    public static final Duration MAX_FUTURE = Duration.ofHours(1);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final StreamDef stream;
    private final EventValidator validator;
    private final Clock clock;

    public Admission(StreamDef stream, Clock clock) {
        this.stream = stream;
        this.validator = EventValidator.of(stream.schema());
        this.clock = clock;
    }

    public StreamDef stream() {
        return stream;
    }

    /** What became of one event. */
    public sealed interface Result {}

    /**
     * @param key the Kafka record key
     * @param time the event time, used as the Kafka record timestamp
     * @param value the event as it is written to the stream topic (with its id)
     */
    public record Accepted(String id, byte[] key, long time, byte[] value) implements Result {}

    public record Refused(List<Violation> violations) implements Result {
        public static Refused of(String field, String rule, String message) {
            return new Refused(List.of(new Violation(field, rule, message)));
        }
    }

    /** The rule name of a number no double can hold, as it appears in errors and dead-letter headers. */
    public static final String FINITE = "finite";

    /** Adds a violation for every number under {@code node} whose value as a double is NaN or infinite. */
    static void nonFinite(JsonNode node, String path, List<Violation> out) {
        if (node.isNumber()) {
            if (!Double.isFinite(node.doubleValue())) {
                out.add(new Violation(path.isEmpty() ? "$" : path, FINITE, "number out of range (not finite)"));
            }
        } else if (node.isObject()) {
            for (var f : node.properties()) {
                nonFinite(f.getValue(), path.isEmpty() ? f.getKey() : path + "." + f.getKey(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                nonFinite(node.get(i), path + "[" + i + "]", out);
            }
        }
    }

    public Result admit(JsonNode event, Supplier<String> ids) {
        if (event == null || !event.isObject()) {
            return Refused.of("$", "type", "an event must be a JSON object");
        }
        ObjectNode e = (ObjectNode) event;
        List<Violation> outOfRange = new ArrayList<>();
        nonFinite(e, "", outOfRange);
        if (!outOfRange.isEmpty()) {
            return new Refused(outOfRange);
        }
        JsonNode id = e.get(stream.idField());
        if (id == null || id.isNull()) {
            e.put(stream.idField(), ids.get());
        }
        List<Violation> violations = validator.validate(e);
        if (!violations.isEmpty()) {
            return new Refused(violations);
        }
        long time;
        try {
            time = EventTime.of(e, stream.timeField());
        } catch (IllegalArgumentException ex) {
            return Refused.of(stream.timeField(), "time", ex.getMessage());
        }
        if (time > clock.millis() + MAX_FUTURE.toMillis()) {
            return Refused.of(
                    stream.timeField(),
                    "time",
                    "event time " + EventTime.format(time) + " is more than " + MAX_FUTURE.toMinutes()
                            + " minutes in the future");
        }
        String idText = e.get(stream.idField()).asText();
        String key = idText;
        if (stream.keyField() != null) {
            JsonNode k = e.get(stream.keyField());
            if (k != null && !k.isNull()) {
                key = k.asText();
            }
        }
        byte[] value;
        try {
            value = JSON.writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        if (value.length > MAX_EVENT_BYTES) {
            return Refused.of("$", "size", "the event is " + value.length + " bytes, more than " + MAX_EVENT_BYTES);
        }
        return new Accepted(idText, key.getBytes(StandardCharsets.UTF_8), time, value);
    }
}
