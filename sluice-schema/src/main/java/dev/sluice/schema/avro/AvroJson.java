package dev.sluice.schema.avro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.FloatNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * Avro data as plain JSON and back, for the data path: events arrive and leave as JSON, topics may hold Avro.
 *
 * <p>The JSON is "plain": a union value is the branch's value itself (not Avro's {@code {"type": value}} wrapping),
 * bytes and fixed are base64 text, and logical types use natural JSON: decimal as an exact number, timestamps as
 * epoch milliseconds, dates as {@code YYYY-MM-DD}, UUIDs as text. Non-finite float/double values become the texts
 * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"} (JSON has no such numbers) and are read back from them.
 *
 * <p>Data are handled with a {@link GenericData} without logical-type conversions, so decoded logical values are
 * their underlying Avro types (a decimal is bytes, a timestamp a long) before they are turned into JSON.
 */
public final class AvroJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** No conversions registered: data keep their Avro representation. */
    private static final GenericData DATA = new GenericData();

    private static final Conversions.DecimalConversion DECIMAL = new Conversions.DecimalConversion();
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private AvroJson() {}

    // ---------------------------------------------------------------------------------------------------------
    // Avro -> JSON

    /**
     * Avro datum (GenericRecord etc.) -> Jackson tree: records->objects, enums->text, strings, ints/longs->numbers,
     * float/double->numbers, bytes/fixed->base64 text, arrays, maps, unions->the branch's plain value (NOT Avro's
     * {"type": value} JSON encoding), logical types: decimal->exact number (BigDecimal), timestamp-millis/micros ->
     * epoch millis number (long), date -> "YYYY-MM-DD" text, uuid->text. Also accepts the Java types of Avro's
     * logical-type conversions (BigDecimal, Instant, LocalDate, UUID) where those logical types are declared.
     *
     * @throws IllegalArgumentException when the datum does not match the schema
     */
    public static JsonNode toJson(Object datum, Schema schema) {
        return toJson(datum, schema, "");
    }

    /** Decodes Avro binary written with writer schema into a Jackson tree. */
    public static JsonNode decode(byte[] data, int offset, int length, Schema writer) {
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, offset, length, null);
        Object datum;
        try {
            datum = new GenericDatumReader<Object>(writer, writer, DATA).read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IllegalArgumentException("Avro data has bytes left over after a complete " + describe(writer)
                        + "; was it written with another schema?");
            }
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new IllegalArgumentException(
                    "cannot decode Avro data with schema " + describe(writer) + ": " + e.getMessage(), e);
        }
        return toJson(datum, writer);
    }

    private static JsonNode toJson(Object datum, Schema schema, String path) {
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case NULL:
                return NullNode.getInstance();
            case BOOLEAN:
                return BooleanNode.valueOf((Boolean) expect(datum, Boolean.class, schema, path));
            case INT:
                if (logical instanceof LogicalTypes.Date) {
                    if (datum instanceof LocalDate d) {
                        return TextNode.valueOf(d.toString());
                    }
                    int days = ((Number) expect(datum, Number.class, schema, path)).intValue();
                    return TextNode.valueOf(LocalDate.ofEpochDay(days).toString());
                }
                return IntNode.valueOf(((Number) expect(datum, Number.class, schema, path)).intValue());
            case LONG:
                if (logical instanceof LogicalTypes.TimestampMillis
                        || logical instanceof LogicalTypes.LocalTimestampMillis) {
                    return LongNode.valueOf(epochMillis(datum, schema, path, 1));
                }
                if (logical instanceof LogicalTypes.TimestampMicros
                        || logical instanceof LogicalTypes.LocalTimestampMicros) {
                    return LongNode.valueOf(epochMillis(datum, schema, path, 1_000));
                }
                if (logical instanceof LogicalTypes.TimestampNanos
                        || logical instanceof LogicalTypes.LocalTimestampNanos) {
                    return LongNode.valueOf(epochMillis(datum, schema, path, 1_000_000));
                }
                return LongNode.valueOf(((Number) expect(datum, Number.class, schema, path)).longValue());
            case FLOAT: {
                float f = ((Number) expect(datum, Number.class, schema, path)).floatValue();
                return Float.isFinite(f) ? FloatNode.valueOf(f) : TextNode.valueOf(Float.toString(f));
            }
            case DOUBLE: {
                double d = ((Number) expect(datum, Number.class, schema, path)).doubleValue();
                return Double.isFinite(d) ? DoubleNode.valueOf(d) : TextNode.valueOf(Double.toString(d));
            }
            case STRING:
                return TextNode.valueOf(
                        expect(datum, Object.class, schema, path).toString()); // Utf8, String, UUID
            case ENUM:
                return TextNode.valueOf(
                        expect(datum, Object.class, schema, path).toString());
            case BYTES: {
                if (logical instanceof LogicalTypes.Decimal) {
                    if (datum instanceof BigDecimal d) {
                        return DecimalNode.valueOf(d);
                    }
                    ByteBuffer b = (ByteBuffer) expect(datum, ByteBuffer.class, schema, path);
                    return DecimalNode.valueOf(DECIMAL.fromBytes(b.duplicate(), schema, logical));
                }
                ByteBuffer b = ((ByteBuffer) expect(datum, ByteBuffer.class, schema, path)).duplicate();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                return TextNode.valueOf(Base64.getEncoder().encodeToString(bytes));
            }
            case FIXED: {
                if (logical instanceof LogicalTypes.Decimal) {
                    if (datum instanceof BigDecimal d) {
                        return DecimalNode.valueOf(d);
                    }
                    GenericFixed fixed = (GenericFixed) expect(datum, GenericFixed.class, schema, path);
                    return DecimalNode.valueOf(DECIMAL.fromFixed(fixed, schema, logical));
                }
                if (logical != null && logical.getName().equals("uuid")) {
                    if (datum instanceof UUID u) {
                        return TextNode.valueOf(u.toString());
                    }
                    ByteBuffer b =
                            ByteBuffer.wrap(((GenericFixed) expect(datum, GenericFixed.class, schema, path)).bytes());
                    return TextNode.valueOf(new UUID(b.getLong(), b.getLong()).toString());
                }
                byte[] bytes = ((GenericFixed) expect(datum, GenericFixed.class, schema, path)).bytes();
                return TextNode.valueOf(Base64.getEncoder().encodeToString(bytes));
            }
            case RECORD: {
                IndexedRecord record = (IndexedRecord) expect(datum, IndexedRecord.class, schema, path);
                ObjectNode out = F.objectNode();
                for (Schema.Field f : schema.getFields()) {
                    // by name when possible: the datum may have been built with another version of the schema
                    Object value = record instanceof GenericRecord g && g.hasField(f.name())
                            ? g.get(f.name())
                            : record.get(f.pos());
                    out.set(f.name(), toJson(value, f.schema(), join(path, f.name())));
                }
                return out;
            }
            case ARRAY: {
                Collection<?> items = (Collection<?>) expect(datum, Collection.class, schema, path);
                ArrayNode out = F.arrayNode();
                int i = 0;
                for (Object item : items) {
                    out.add(toJson(item, schema.getElementType(), path + "[" + i++ + "]"));
                }
                return out;
            }
            case MAP: {
                Map<?, ?> map = (Map<?, ?>) expect(datum, Map.class, schema, path);
                ObjectNode out = F.objectNode();
                map.forEach(
                        (k, v) -> out.set(k.toString(), toJson(v, schema.getValueType(), path + "[\"" + k + "\"]")));
                return out;
            }
            case UNION:
                return toJson(datum, schema.getTypes().get(unionBranch(datum, schema, path)), path);
            default:
                throw new IllegalArgumentException("unsupported Avro type " + schema.getType() + " at " + at(path));
        }
    }

    /** The union branch a datum belongs to: Avro's own resolution, or by logical type for converted values. */
    private static int unionBranch(Object datum, Schema union, String path) {
        try {
            return DATA.resolveUnion(union, datum);
        } catch (AvroRuntimeException e) {
            // values of logical-type conversions (BigDecimal, Instant, LocalDate, UUID) are unknown to GenericData
            List<Schema> types = union.getTypes();
            for (int i = 0; i < types.size(); i++) {
                LogicalType l = types.get(i).getLogicalType();
                if ((datum instanceof BigDecimal && l instanceof LogicalTypes.Decimal)
                        || (datum instanceof Instant
                                && (l instanceof LogicalTypes.TimestampMillis
                                        || l instanceof LogicalTypes.TimestampMicros
                                        || l instanceof LogicalTypes.TimestampNanos))
                        || (datum instanceof LocalDate && l instanceof LogicalTypes.Date)
                        || (datum instanceof UUID && l != null && l.getName().equals("uuid"))) {
                    return i;
                }
            }
            throw new IllegalArgumentException(
                    at(path) + ": " + describeValue(datum) + " fits no branch of " + describe(union), e);
        }
    }

    /** A timestamp datum in epoch milliseconds; {@code perMilli} is how many of its units make a millisecond. */
    private static long epochMillis(Object datum, Schema schema, String path, long perMilli) {
        if (datum instanceof Instant i) {
            return i.toEpochMilli();
        }
        if (datum instanceof LocalDateTime t) {
            return t.toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        long value = ((Number) expect(datum, Number.class, schema, path)).longValue();
        return Math.floorDiv(value, perMilli);
    }

    private static Object expect(Object datum, Class<?> type, Schema schema, String path) {
        if (!type.isInstance(datum)) {
            throw new IllegalArgumentException(
                    at(path) + ": expected " + describe(schema) + " but the datum is " + describeValue(datum));
        }
        return datum;
    }

    // ---------------------------------------------------------------------------------------------------------
    // JSON -> Avro

    /**
     * Plain JSON (as produced by toJson) -> Avro binary of the given schema. Unions: the first branch the value fits.
     * A record field missing from the JSON takes its default; JSON fields the record does not have are refused
     * (they would be lost, and refusing them tells union branches apart).
     *
     * @throws IllegalArgumentException naming the field path (e.g. {@code lines[1].sku}) and the problem when the
     *     JSON does not fit (missing field without default, wrong type, number out of range, ...)
     */
    public static byte[] encode(JsonNode json, Schema schema) {
        Object datum = toDatum(json == null ? NullNode.getInstance() : json, schema, "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new GenericDatumWriter<Object>(schema, DATA).write(datum, encoder);
            encoder.flush();
        } catch (IOException | AvroRuntimeException | ClassCastException e) {
            throw new IllegalArgumentException("cannot encode as " + describe(schema) + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** The Avro datum (GenericData representation, no conversions) of a JSON value. */
    private static Object toDatum(JsonNode json, Schema schema, String path) {
        LogicalType logical = schema.getLogicalType();
        switch (schema.getType()) {
            case NULL:
                if (!json.isNull()) {
                    throw mismatch(path, "null", json);
                }
                return null;
            case BOOLEAN:
                if (!json.isBoolean()) {
                    throw mismatch(path, "a boolean", json);
                }
                return json.booleanValue();
            case INT:
                if (logical instanceof LogicalTypes.Date) {
                    return (int) epochDay(json, path);
                }
                return (int) integral(json, path, Integer.MIN_VALUE, Integer.MAX_VALUE, "an int");
            case LONG: {
                long value = integral(json, path, Long.MIN_VALUE, Long.MAX_VALUE, "a long");
                if (logical instanceof LogicalTypes.TimestampMicros
                        || logical instanceof LogicalTypes.LocalTimestampMicros) {
                    return scaleMillis(value, 1_000, path);
                }
                if (logical instanceof LogicalTypes.TimestampNanos
                        || logical instanceof LogicalTypes.LocalTimestampNanos) {
                    return scaleMillis(value, 1_000_000, path);
                }
                return value;
            }
            case FLOAT:
                return (float) floating(json, path, "a float");
            case DOUBLE:
                return floating(json, path, "a double");
            case STRING:
                if (!json.isTextual()) {
                    throw mismatch(path, "a string", json);
                }
                if (logical != null
                        && logical.getName().equals("uuid")
                        && !UUID_TEXT.matcher(json.asText()).matches()) {
                    throw new IllegalArgumentException(at(path) + ": expected a UUID but got " + json);
                }
                return json.asText();
            case ENUM:
                if (!json.isTextual() || !schema.hasEnumSymbol(json.asText())) {
                    throw mismatch(
                            path, "one of " + schema.getEnumSymbols() + " (enum " + schema.getFullName() + ")", json);
                }
                return new GenericData.EnumSymbol(schema, json.asText());
            case BYTES:
                if (logical instanceof LogicalTypes.Decimal d) {
                    return DECIMAL.toBytes(decimal(json, d, path), schema, d);
                }
                return ByteBuffer.wrap(base64(json, path));
            case FIXED: {
                if (logical instanceof LogicalTypes.Decimal d) {
                    return DECIMAL.toFixed(decimal(json, d, path), schema, d);
                }
                byte[] bytes;
                if (logical != null && logical.getName().equals("uuid")) {
                    if (!json.isTextual() || !UUID_TEXT.matcher(json.asText()).matches()) {
                        throw mismatch(path, "a UUID", json);
                    }
                    UUID u = UUID.fromString(json.asText());
                    bytes = ByteBuffer.allocate(16)
                            .putLong(u.getMostSignificantBits())
                            .putLong(u.getLeastSignificantBits())
                            .array();
                } else {
                    bytes = base64(json, path);
                }
                if (bytes.length != schema.getFixedSize()) {
                    throw new IllegalArgumentException(at(path) + ": expected " + schema.getFixedSize()
                            + " bytes (fixed " + schema.getFullName() + ") but got " + bytes.length);
                }
                return new GenericData.Fixed(schema, bytes);
            }
            case RECORD: {
                if (!json.isObject()) {
                    throw mismatch(path, "an object (record " + schema.getFullName() + ")", json);
                }
                GenericData.Record record = new GenericData.Record(schema);
                for (Schema.Field f : schema.getFields()) {
                    String fieldPath = join(path, f.name());
                    JsonNode value = json.get(f.name());
                    if (value == null) {
                        if (!f.hasDefaultValue()) {
                            throw new IllegalArgumentException(
                                    at(fieldPath) + ": missing, and the field has no default");
                        }
                        record.put(f.pos(), DATA.deepCopy(f.schema(), DATA.getDefaultValue(f)));
                    } else {
                        record.put(f.pos(), toDatum(value, f.schema(), fieldPath));
                    }
                }
                for (Map.Entry<String, JsonNode> e : json.properties()) {
                    if (schema.getField(e.getKey()) == null) {
                        throw new IllegalArgumentException(at(join(path, e.getKey())) + ": record "
                                + schema.getFullName() + " has no such field (fields: " + fieldNames(schema) + ")");
                    }
                }
                return record;
            }
            case ARRAY: {
                if (!json.isArray()) {
                    throw mismatch(path, "an array", json);
                }
                List<Object> items = new ArrayList<>(json.size());
                for (int i = 0; i < json.size(); i++) {
                    items.add(toDatum(json.get(i), schema.getElementType(), path + "[" + i + "]"));
                }
                return new GenericData.Array<>(schema, items);
            }
            case MAP: {
                if (!json.isObject()) {
                    throw mismatch(path, "an object (map)", json);
                }
                Map<String, Object> map = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : json.properties()) {
                    map.put(
                            e.getKey(),
                            toDatum(e.getValue(), schema.getValueType(), path + "[\"" + e.getKey() + "\"]"));
                }
                return map;
            }
            case UNION: {
                // the first branch the value fits; the datum's Java type then selects that branch when written
                List<String> failures = new ArrayList<>();
                for (Schema branch : schema.getTypes()) {
                    try {
                        return toDatum(json, branch, path);
                    } catch (IllegalArgumentException e) {
                        failures.add(describe(branch) + ": " + e.getMessage());
                    }
                }
                throw new IllegalArgumentException(at(path) + ": " + describeValue(json) + " fits no branch of "
                        + describe(schema) + " (" + String.join("; ", failures) + ")");
            }
            default:
                throw new IllegalArgumentException("unsupported Avro type " + schema.getType() + " at " + at(path));
        }
    }

    private static long integral(JsonNode json, String path, long min, long max, String what) {
        if (!json.isNumber()) {
            throw mismatch(path, what, json);
        }
        BigDecimal d = json.decimalValue();
        BigInteger i;
        try {
            i = d.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    at(path) + ": expected " + what + " but got " + json + ", which is not a whole number");
        }
        if (i.compareTo(BigInteger.valueOf(min)) < 0 || i.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException(at(path) + ": " + json + " is out of range for " + what);
        }
        return i.longValue();
    }

    private static double floating(JsonNode json, String path, String what) {
        if (json.isNumber()) {
            return json.doubleValue();
        }
        if (json.isTextual() && Set.of("NaN", "Infinity", "-Infinity").contains(json.asText())) {
            return Double.parseDouble(json.asText());
        }
        throw mismatch(path, what, json);
    }

    private static long scaleMillis(long millis, long factor, String path) {
        try {
            return Math.multiplyExact(millis, factor);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(at(path) + ": timestamp " + millis + " ms is out of range");
        }
    }

    private static long epochDay(JsonNode json, String path) {
        if (json.isIntegralNumber()) {
            return integral(json, path, Integer.MIN_VALUE, Integer.MAX_VALUE, "a date (days since 1970-01-01)");
        }
        if (json.isTextual()) {
            try {
                return LocalDate.parse(json.asText()).toEpochDay();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(at(path) + ": expected a date YYYY-MM-DD but got " + json);
            }
        }
        throw mismatch(path, "a date YYYY-MM-DD", json);
    }

    private static BigDecimal decimal(JsonNode json, LogicalTypes.Decimal type, String path) {
        BigDecimal value;
        if (json.isNumber()) {
            value = json.decimalValue();
        } else if (json.isTextual()) {
            try {
                value = new BigDecimal(json.asText());
            } catch (NumberFormatException e) {
                throw mismatch(path, "a decimal number", json);
            }
        } else {
            throw mismatch(path, "a decimal number", json);
        }
        BigDecimal scaled;
        try {
            scaled = value.setScale(type.getScale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(at(path) + ": " + value.toPlainString() + " has more than "
                    + type.getScale() + " decimal places (decimal(" + type.getPrecision() + "," + type.getScale()
                    + "))");
        }
        if (scaled.precision() > type.getPrecision()) {
            throw new IllegalArgumentException(at(path) + ": " + value.toPlainString() + " has more than "
                    + type.getPrecision() + " digits (decimal(" + type.getPrecision() + "," + type.getScale() + "))");
        }
        return scaled;
    }

    private static byte[] base64(JsonNode json, String path) {
        if (!json.isTextual()) {
            throw mismatch(path, "base64 text (bytes)", json);
        }
        try {
            return Base64.getDecoder().decode(json.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    at(path) + ": expected base64 text but got " + json + " (" + e.getMessage() + ")");
        }
    }

    private static IllegalArgumentException mismatch(String path, String expected, JsonNode got) {
        return new IllegalArgumentException(at(path) + ": expected " + expected + " but got " + describeValue(got));
    }

    // ---------------------------------------------------------------------------------------------------------

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    /** "field 'lines[1].sku'", or "the value" at the top. */
    private static String at(String path) {
        return path.isEmpty() ? "the value" : "field '" + path + "'";
    }

    private static List<String> fieldNames(Schema record) {
        return record.getFields().stream().map(Schema.Field::name).toList();
    }

    private static String describeValue(Object v) {
        if (v instanceof JsonNode n) {
            String text = n.toString();
            String shown = text.length() > 60 ? text.substring(0, 57) + "..." : text;
            return switch (n.getNodeType()) {
                case NULL -> "null";
                case BOOLEAN -> "boolean " + shown;
                case NUMBER -> "number " + shown;
                case STRING -> "text " + shown;
                case ARRAY -> "array " + shown;
                case OBJECT -> "object " + shown;
                default -> shown;
            };
        }
        return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
    }

    private static String describe(Schema s) {
        String base =
                switch (s.getType()) {
                    case RECORD, ENUM, FIXED -> s.getType().getName() + " " + s.getFullName();
                    case UNION ->
                        "union " + s.getTypes().stream().map(AvroJson::describe).toList();
                    case ARRAY -> "array";
                    case MAP -> "map";
                    default -> s.getType().getName();
                };
        return s.getLogicalType() == null
                ? base
                : base + " (" + s.getLogicalType().getName() + ")";
    }
}
