package dev.sluice.schema.avro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/**
 * The JSON Schema (draft 2020-12) of the plain JSON that {@link AvroJson} reads and writes for an Avro schema: used
 * to validate JSON events against an Avro contract and to give the pipeline its field types.
 */
public final class AvroToJsonSchema {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String DRAFT = "https://json-schema.org/draft/2020-12/schema";

    private AvroToJsonSchema() {}

    /**
     * An equivalent JSON Schema (draft 2020-12) for plain-JSON events of this Avro record schema: record->object with
     * properties, required = fields without default, additionalProperties false; string->string; int/long->integer
     * (with the type's range as minimum/maximum); float/double->number; boolean; enum->{"type":"string","enum":[...]};
     * union with null ->type list including "null" (other unions -> anyOf); arrays/maps; decimal->number;
     * timestamp-millis/micros->integer (epoch millis); date->string format date; uuid-> string format uuid;
     * bytes/fixed->base64 string; nested records -> nested objects. Docs become descriptions, defaults defaults. A
     * recursive record is written once under {@code $defs} (by full name) and referenced with {@code $ref}.
     */
    public static ObjectNode convert(Schema avro) {
        Converter c = new Converter();
        ObjectNode root = F.objectNode();
        root.put("$schema", DRAFT);
        root.setAll(c.convert(avro));
        // recursive records: converted again for $defs until every referenced one is defined
        ObjectNode defs = F.objectNode();
        while (defs.size() < c.referenced.size()) {
            for (Map.Entry<String, Schema> e : new ArrayList<>(c.referenced.entrySet())) {
                if (!defs.has(e.getKey())) {
                    c.inProgress.clear();
                    defs.set(e.getKey(), c.convert(e.getValue()));
                }
            }
        }
        if (!defs.isEmpty()) {
            root.set("$defs", defs);
        }
        return root;
    }

    private static final class Converter {
        /** Records being converted (outer ones of the current one): meeting one again means recursion. */
        final Set<String> inProgress = new HashSet<>();
        /** Records that had to be referenced with $ref because they contain themselves. */
        final Map<String, Schema> referenced = new LinkedHashMap<>();

        ObjectNode convert(Schema s) {
            LogicalType logical = s.getLogicalType();
            ObjectNode out = F.objectNode();
            switch (s.getType()) {
                case NULL -> out.put("type", "null");
                case BOOLEAN -> out.put("type", "boolean");
                case INT -> {
                    if (logical instanceof LogicalTypes.Date) {
                        out.put("type", "string").put("format", "date");
                    } else {
                        out.put("type", "integer")
                                .put("minimum", Integer.MIN_VALUE)
                                .put("maximum", Integer.MAX_VALUE);
                    }
                }
                case LONG -> out.put("type", "integer"); // timestamps too: epoch milliseconds
                case FLOAT, DOUBLE -> out.put("type", "number");
                case STRING -> {
                    out.put("type", "string");
                    if (logical != null && logical.getName().equals("uuid")) {
                        out.put("format", "uuid");
                    }
                }
                case ENUM -> {
                    out.put("type", "string");
                    ArrayNode symbols = out.putArray("enum");
                    s.getEnumSymbols().forEach(symbols::add);
                }
                case BYTES, FIXED -> {
                    if (logical instanceof LogicalTypes.Decimal) {
                        out.put("type", "number");
                    } else if (s.getType() == Schema.Type.FIXED
                            && logical != null
                            && logical.getName().equals("uuid")) {
                        out.put("type", "string").put("format", "uuid");
                    } else {
                        out.put("type", "string").put("contentEncoding", "base64");
                        if (s.getType() == Schema.Type.FIXED) {
                            int length = 4 * ((s.getFixedSize() + 2) / 3); // base64 text of exactly n bytes
                            out.put("minLength", length).put("maxLength", length);
                        }
                    }
                }
                case ARRAY -> {
                    out.put("type", "array");
                    out.set("items", convert(s.getElementType()));
                }
                case MAP -> {
                    out.put("type", "object");
                    out.set("additionalProperties", convert(s.getValueType()));
                }
                case UNION -> {
                    return union(s);
                }
                case RECORD -> {
                    return record(s);
                }
            }
            if (s.getDoc() != null && (s.getType() == Schema.Type.ENUM || s.getType() == Schema.Type.FIXED)) {
                out.put("description", s.getDoc());
            }
            return out;
        }

        private ObjectNode record(Schema s) {
            if (!inProgress.add(s.getFullName())) {
                referenced.putIfAbsent(s.getFullName(), s);
                ObjectNode ref = F.objectNode();
                ref.put("$ref", "#/$defs/" + s.getFullName());
                return ref;
            }
            try {
                ObjectNode out = F.objectNode();
                out.put("type", "object");
                out.put("title", s.getName());
                if (s.getDoc() != null) {
                    out.put("description", s.getDoc());
                }
                ObjectNode properties = out.putObject("properties");
                ArrayNode required = F.arrayNode();
                for (Schema.Field f : s.getFields()) {
                    ObjectNode property = convert(f.schema());
                    if (f.doc() != null && !property.has("$ref")) {
                        property.put("description", f.doc());
                    }
                    if (f.hasDefaultValue()) {
                        JsonNode json = defaultAsJson(f);
                        if (json != null && !property.has("$ref")) {
                            property.set("default", json);
                        }
                    } else {
                        required.add(f.name());
                    }
                    properties.set(f.name(), property);
                }
                if (!required.isEmpty()) {
                    out.set("required", required);
                }
                out.put("additionalProperties", false);
                return out;
            } finally {
                inProgress.remove(s.getFullName());
            }
        }

        /**
         * [null, X] becomes X's schema with "null" added to its type (and to its enum); other unions anyOf their
         * branches, as {@link AvroJson} writes a union's value as the plain value of its branch.
         */
        private ObjectNode union(Schema s) {
            List<Schema> branches = s.getTypes();
            boolean nullable = branches.stream().anyMatch(b -> b.getType() == Schema.Type.NULL);
            List<Schema> others = branches.stream()
                    .filter(b -> b.getType() != Schema.Type.NULL)
                    .toList();
            if (others.isEmpty()) {
                return F.objectNode().put("type", "null");
            }
            if (others.size() == 1) {
                ObjectNode one = convert(others.getFirst());
                if (nullable) {
                    if (one.path("type").isTextual()) {
                        ArrayNode types =
                                F.arrayNode().add(one.get("type").asText()).add("null");
                        one.set("type", types);
                        if (one.has("enum")) {
                            ((ArrayNode) one.get("enum")).addNull();
                        }
                    } else { // a $ref to a recursive record
                        ObjectNode either = F.objectNode();
                        either.putArray("anyOf")
                                .add(F.objectNode().put("type", "null"))
                                .add(one);
                        return either;
                    }
                }
                return one;
            }
            ObjectNode out = F.objectNode();
            ArrayNode anyOf = out.putArray("anyOf");
            if (nullable) {
                anyOf.add(F.objectNode().put("type", "null"));
            }
            others.forEach(b -> anyOf.add(convert(b)));
            return out;
        }
    }

    /** A field's default as the plain JSON AvroJson would write for it, or null when it cannot be rendered. */
    private static JsonNode defaultAsJson(Schema.Field f) {
        try {
            Object datum = new GenericData().getDefaultValue(f);
            return AvroJson.toJson(datum, f.schema());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
