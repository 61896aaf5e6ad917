package dev.sluice.schema.compat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.avro.Schema;

/** Parses and validates schemas of every supported {@link SchemaType}. */
public final class Schemas {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // keep numbers exact: bounds such as "multipleOf": 0.01 are compared as decimals
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    /** The draft meta-schemas (bundled with networknt's validator, so no network access), loaded once each. */
    private static final Map<SpecVersion.VersionFlag, com.networknt.schema.JsonSchema> META_SCHEMAS =
            new ConcurrentHashMap<>();

    private Schemas() {}

    /** Parses a schema without references. */
    public static ParsedSchema parse(SchemaType type, String text) {
        return parse(type, text, List.of(), ref -> null);
    }

    /**
     * Parses and validates a schema.
     *
     * @param references the schema's references (Confluent's {@code references} field), may be empty or null
     * @param resolver returns the referenced schema, already parsed, or {@code null} when there is none. For
     *     Avro the named types of each referenced schema (and of its own references) are made known to the
     *     parser before this schema is parsed; for JSON Schema a {@code $ref} equal to a reference's name (or that
     *     name followed by a {@code #} fragment) resolves to that schema. Exceptions it throws are passed on.
     * @throws InvalidSchemaException with a message a user can act on
     */
    public static ParsedSchema parse(
            SchemaType type,
            String text,
            List<SchemaReference> references,
            Function<SchemaReference, ParsedSchema> resolver) {
        if (type == null) {
            throw new InvalidSchemaException("schema type is missing; use AVRO or JSON");
        }
        if (text == null || text.isBlank()) {
            throw new InvalidSchemaException("schema text is empty");
        }
        List<SchemaReference> refs = references == null ? List.of() : List.copyOf(references);
        Map<SchemaReference, ParsedSchema> resolved = resolve(type, refs, resolver);
        return switch (type) {
            case AVRO -> parseAvro(text, refs, resolved);
            case JSON -> parseJson(text, refs, resolved);
        };
    }

    private static Map<SchemaReference, ParsedSchema> resolve(
            SchemaType type, List<SchemaReference> refs, Function<SchemaReference, ParsedSchema> resolver) {
        Map<SchemaReference, ParsedSchema> out = new LinkedHashMap<>();
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < refs.size(); i++) {
            SchemaReference ref = refs.get(i);
            if (ref == null || ref.name() == null || ref.name().isBlank()) {
                throw new InvalidSchemaException("reference #" + (i + 1) + " has no name");
            }
            if (ref.subject() == null || ref.subject().isBlank()) {
                throw new InvalidSchemaException("reference '" + ref.name() + "' has no subject");
            }
            if (!names.add(ref.name())) {
                throw new InvalidSchemaException("reference name '" + ref.name() + "' is listed twice");
            }
            ParsedSchema target = resolver == null ? null : resolver.apply(ref);
            if (target == null) {
                throw new InvalidSchemaException("reference '" + ref.name() + "' cannot be resolved: no schema"
                        + " version " + ref.version() + " under subject '" + ref.subject() + "'");
            }
            if (target.type() != type) {
                throw new InvalidSchemaException("reference '" + ref.name() + "' (subject '" + ref.subject()
                        + "', version " + ref.version() + ") is a " + target.type() + " schema; a " + type
                        + " schema can only reference " + type + " schemas");
            }
            out.put(ref, target);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Avro

    private static AvroSchema parseAvro(
            String text, List<SchemaReference> refs, Map<SchemaReference, ParsedSchema> resolved) {
        // Every named type a reference defines, nested ones included, keyed by full name. A referenced schema's
        // own references are already inlined in its parsed Schema, so this also covers references of references.
        Map<String, Schema> known = new LinkedHashMap<>();
        for (Map.Entry<SchemaReference, ParsedSchema> e : resolved.entrySet()) {
            Schema referenced = ((AvroSchema) e.getValue()).avro();
            collectNamedTypes(referenced, known, Collections.newSetFromMap(new IdentityHashMap<>()), e.getKey());
        }
        Schema.Parser parser = new Schema.Parser().setValidateDefaults(true);
        parser.addTypes(known.values());
        Schema parsed;
        try {
            parsed = parser.parse(text);
        } catch (RuntimeException e) { // SchemaParseException, AvroTypeException for bad defaults, ...
            String message = "invalid Avro schema: " + e.getMessage();
            if (e.getMessage() != null
                    && (e.getMessage().contains("not a defined name")
                            || e.getMessage().contains("Undefined"))) {
                message += refs.isEmpty()
                        ? " (if the type is registered under another subject, add it to the schema's references)"
                        : " (known referenced types: " + known.keySet() + ")";
            }
            throw new InvalidSchemaException(message, e);
        }
        return new AvroSchema(parsed, text, refs);
    }

    private static void collectNamedTypes(
            Schema schema, Map<String, Schema> known, Set<Schema> seen, SchemaReference from) {
        if (!seen.add(schema)) {
            return;
        }
        switch (schema.getType()) {
            case RECORD, ENUM, FIXED -> {
                Schema previous = known.putIfAbsent(schema.getFullName(), schema);
                if (previous != null && !previous.equals(schema)) {
                    throw new InvalidSchemaException("references define " + schema.getFullName()
                            + " in two different ways (seen again in reference '" + from.name() + "')");
                }
                if (schema.getType() == Schema.Type.RECORD) {
                    schema.getFields().forEach(f -> collectNamedTypes(f.schema(), known, seen, from));
                }
            }
            case ARRAY -> collectNamedTypes(schema.getElementType(), known, seen, from);
            case MAP -> collectNamedTypes(schema.getValueType(), known, seen, from);
            case UNION -> schema.getTypes().forEach(t -> collectNamedTypes(t, known, seen, from));
            default -> {}
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // JSON Schema

    private static JsonSchema parseJson(
            String text, List<SchemaReference> refs, Map<SchemaReference, ParsedSchema> resolved) {
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            throw new InvalidSchemaException("schema is not valid JSON" + where + ": " + e.getOriginalMessage(), e);
        }
        if (tree == null || tree.isMissingNode()) {
            throw new InvalidSchemaException("schema text is empty");
        }
        if (!tree.isObject() && !tree.isBoolean()) {
            throw new InvalidSchemaException("a JSON Schema must be a JSON object or a boolean, not " + describe(tree));
        }
        SpecVersion.VersionFlag version = specVersion(tree);

        // 1. the document against its draft's meta-schema: keyword types, known enum values, ...
        Set<ValidationMessage> problems = metaSchema(version).validate(tree);
        if (!problems.isEmpty()) {
            Set<String> messages = new TreeSet<>();
            problems.forEach(m -> messages.add(m.getMessage()));
            throw new InvalidSchemaException(
                    "invalid JSON Schema (" + version.getId() + "): " + String.join("; ", messages));
        }

        Map<String, JsonSchema> referenced = new LinkedHashMap<>();
        resolved.forEach((ref, schema) -> referenced.put(ref.name(), (JsonSchema) schema));
        JsonSchema schema = new JsonSchema(text, tree, refs, referenced, version);

        // 2. what the meta-schema does not check: regular expressions compile, every $ref resolves
        List<String> errors = new ArrayList<>();
        JsonSchema.walk(tree, "", (node, path) -> {
            if (!node.isObject()) {
                return;
            }
            JsonNode pattern = node.get("pattern");
            if (pattern != null && pattern.isTextual()) {
                checkRegex(pattern.asText(), "'pattern' at " + pointer(path), errors);
            }
            JsonNode patterns = node.get("patternProperties");
            if (patterns != null && patterns.isObject()) {
                patterns.properties()
                        .forEach(e -> checkRegex(e.getKey(), "'patternProperties' key at " + pointer(path), errors));
            }
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual() && schema.resolveRef(ref.asText()) == null) {
                errors.add("$ref '" + ref.asText() + "' at " + pointer(path) + " cannot be resolved: it is "
                        + "neither a local pointer or anchor that exists in this schema (e.g. #/$defs/name) nor "
                        + "the name of one of its references " + referenced.keySet());
            }
        });
        if (!errors.isEmpty()) {
            throw new InvalidSchemaException("invalid JSON Schema: " + String.join("; ", errors));
        }
        return schema;
    }

    private static void checkRegex(String regex, String where, List<String> errors) {
        try {
            Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            errors.add("invalid regular expression '" + regex + "' in " + where + ": " + e.getDescription());
        }
    }

    private static SpecVersion.VersionFlag specVersion(JsonNode tree) {
        JsonNode declared = tree.path("$schema");
        if (declared.isMissingNode()) {
            return SpecVersion.VersionFlag.V202012;
        }
        String uri = declared.asText("");
        if (uri.contains("draft-04")) {
            return SpecVersion.VersionFlag.V4;
        } else if (uri.contains("draft-06")) {
            return SpecVersion.VersionFlag.V6;
        } else if (uri.contains("draft-07")) {
            return SpecVersion.VersionFlag.V7;
        } else if (uri.contains("2019-09")) {
            return SpecVersion.VersionFlag.V201909;
        } else if (uri.contains("2020-12")) {
            return SpecVersion.VersionFlag.V202012;
        }
        throw new InvalidSchemaException("unsupported $schema " + declared + "; use one of the drafts "
                + "draft-04, draft-06, draft-07, 2019-09 or 2020-12 (e.g. https://json-schema.org/draft/2020-12/schema)"
                + " or leave $schema out for 2020-12");
    }

    private static com.networknt.schema.JsonSchema metaSchema(SpecVersion.VersionFlag version) {
        return META_SCHEMAS.computeIfAbsent(
                version, v -> JsonSchemaFactory.getInstance(v).getSchema(SchemaLocation.of(v.getId())));
    }

    private static String pointer(String path) {
        return path.isEmpty() ? "/" : path;
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
