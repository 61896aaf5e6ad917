package dev.sluice.processor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import dev.sluice.wire.EventTime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream event parsed once by the processor and handed on within a sub-topology (never serialized): its id, its
 * event time, its fields as the values expressions read, and its bytes as they sit in the stream topic.
 *
 * <p>{@link #parse} reads the JSON with Jackson's streaming parser straight into those values, with no tree in
 * between (the tree and its copy into a map were a fifth of the stream thread in a profile). The values are what
 * {@code Expressions.valueOf} makes of a JSON tree: text as {@link String}, integers as {@link Long} (as
 * {@link Double} beyond a long), other numbers as {@link Double}, booleans, {@code null}, arrays as lists and
 * objects as maps; a repeated name keeps its last value. The id reads as Jackson's {@code asText} reads it, and
 * the time field as {@link EventTime} reads it, with the same errors.
 *
 * @param time event time, epoch ms
 * @param fields the event's top-level fields; shared by every operator reading the event: never changed
 * @param raw the event's JSON bytes as they sit in the stream topic
 */
public record ParsedEvent(String id, long time, Map<String, Object> fields, byte[] raw) {
    private static final JsonFactory JSON = new ObjectMapper().getFactory();

    /**
     * @throws IllegalArgumentException naming what is wrong: not a JSON object, the id missing, the time missing or
     *     not a time
     * @throws IOException when the bytes are not JSON (the parser's message says where)
     */
    public static ParsedEvent parse(byte[] raw, String idField, String timeField) throws IOException {
        Map<String, Object> fields = new HashMap<>();
        String id = null;
        java.math.BigInteger timeOverflow = null;
        try (JsonParser p = JSON.createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                Object value = value(p, t);
                fields.put(name, value);
                if (name.equals(idField)) {
                    id = idText(p, t, value);
                }
                if (name.equals(timeField)) {
                    timeOverflow =
                            t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                                    ? p.getBigIntegerValue()
                                    : null;
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("id field '" + idField + "' is missing");
            }
            long time = timeOverflow != null
                    ? EventTime.ofValue(new BigIntegerNode(timeOverflow), timeField)
                    : EventTime.ofJava(fields.get(timeField), timeField);
            return new ParsedEvent(id, time, fields, raw);
        }
    }

    /** The id as a JSON tree's {@code asText} gives it: a scalar's text, null (missing) for null, objects and arrays. */
    private static String idText(JsonParser p, JsonToken t, Object value) throws IOException {
        return switch (t) {
            case VALUE_STRING -> (String) value;
            case VALUE_NUMBER_INT ->
                p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue().toString()
                        : value.toString();
            case VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> value.toString();
            default -> null;
        };
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? (Object) p.getBigIntegerValue().doubleValue()
                        : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    list.add(value(p, e));
                }
                return list;
            }
            case START_OBJECT: {
                Map<String, Object> map = new java.util.LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    map.put(name, value(p, p.nextToken()));
                }
                return map;
            }
            default:
                throw new IllegalStateException("unexpected JSON token " + t);
        }
    }
}
