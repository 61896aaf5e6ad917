package dev.sluice.processor;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads an event's time field: an RFC 3339 timestamp or epoch milliseconds. */
public final class EventTime {
    private EventTime() {}

    /**
     * @return epoch milliseconds
     * @throws IllegalArgumentException naming the field when it is absent or not a time
     */
    public static long of(JsonNode event, String field) {
        JsonNode v = event.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("time field '" + field + "' is missing");
        }
        if (v.isIntegralNumber()) {
            return v.longValue();
        }
        if (v.isTextual()) {
            try {
                return OffsetDateTime.parse(v.textValue(), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        .toInstant()
                        .toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(
                        "time field '" + field + "' is not an RFC 3339 timestamp: " + v.textValue(), e);
            }
        }
        throw new IllegalArgumentException("time field '" + field + "' is neither RFC 3339 text nor epoch ms");
    }

    /** RFC 3339 in UTC with millisecond precision, as the HTTP API writes times. */
    public static String format(long epochMillis) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(epochMillis));
    }
}
