package dev.sluice.schema.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.SpecVersion;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * A parsed JSON Schema document. Create with {@link Schemas#parse}. The schema's draft is taken from {@code
 * $schema} (draft-04, -06, -07, 2019-09, 2020-12); without one it is 2020-12, as in {@code EventValidator}.
 */
public final class JsonSchema implements ParsedSchema {
    private final String text;
    private final JsonNode tree;
    private final List<SchemaReference> references;
    private final Map<String, JsonSchema> referenced;
    private final SpecVersion.VersionFlag specVersion;
    private final String canonical;

    JsonSchema(
            String text,
            JsonNode tree,
            List<SchemaReference> references,
            Map<String, JsonSchema> referenced,
            SpecVersion.VersionFlag specVersion) {
        this.text = text;
        this.tree = tree;
        this.references = List.copyOf(references);
        this.referenced = Map.copyOf(referenced);
        this.specVersion = specVersion;
        // keys sorted at every level, no whitespace: the same document written differently has one identity
        this.canonical = sorted(tree).toString();
    }

    /** A copy of the schema document as a Jackson tree. */
    public JsonNode node() {
        return tree.deepCopy();
    }

    /** The document itself, shared: callers in this package must not modify it. */
    JsonNode tree() {
        return tree;
    }

    /** The draft the document is written in. */
    public SpecVersion.VersionFlag specVersion() {
        return specVersion;
    }

    /** The referenced schemas by reference name (the {@code $ref} value that points at each). */
    public Map<String, JsonSchema> referencedSchemas() {
        return referenced;
    }

    @Override
    public SchemaType type() {
        return SchemaType.JSON;
    }

    @Override
    public String canonical() {
        return canonical;
    }

    @Override
    public List<SchemaReference> references() {
        return references;
    }

    @Override
    public String text() {
        return text;
    }

    /** Equal when the canonical strings and the references are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof JsonSchema other
                && canonical.equals(other.canonical)
                && references.equals(other.references);
    }

    @Override
    public int hashCode() {
        return Objects.hash(canonical, references);
    }

    @Override
    public String toString() {
        return canonical;
    }

    // ---------------------------------------------------------------------------------------------------------
    // $ref resolution, shared by validation at parse time and by the compatibility checker

    /** A subschema and the document it lives in (its own {@code $ref}s resolve against that document). */
    record Located(JsonNode node, JsonSchema doc) {}

    /**
     * Resolves a {@code $ref} written in this document: a local pointer ({@code #/$defs/x}) or anchor ({@code
     * #name}), the name of one of this schema's references (optionally with a fragment, {@code
     * address.json#/$defs/street}), or the {@code $id} of a subschema of this document.
     *
     * @return the target, or {@code null} when it cannot be resolved
     */
    Located resolveRef(String ref) {
        int hash = ref.indexOf('#');
        String base = hash < 0 ? ref : ref.substring(0, hash);
        String fragment = hash < 0 ? "" : ref.substring(hash + 1);
        if (base.isEmpty()) {
            return fragment(this, tree, fragment);
        }
        JsonSchema other = referenced.get(base);
        if (other == null) {
            String absolute = againstRootId(base);
            if (absolute != null) {
                other = referenced.get(absolute);
            }
        }
        if (other != null) {
            return fragment(other, other.tree, fragment);
        }
        // an embedded resource: a subschema of this document that declares the $id
        JsonNode embedded = findId(base);
        return embedded == null ? null : fragment(this, embedded, fragment);
    }

    private static Located fragment(JsonSchema doc, JsonNode resource, String fragment) {
        if (fragment.isEmpty()) {
            return new Located(resource, doc);
        }
        if (fragment.startsWith("/")) {
            JsonNode target = resource.at(decodePercent(fragment));
            return target.isMissingNode() ? null : new Located(target, doc);
        }
        // a plain-name fragment: $anchor / $dynamicAnchor (2019-09+) or "$id": "#name" (draft-07 and older)
        JsonNode[] found = new JsonNode[1];
        walk(resource, "", (node, path) -> {
            if (found[0] == null
                    && node.isObject()
                    && (fragment.equals(node.path("$anchor").asText(null))
                            || fragment.equals(node.path("$dynamicAnchor").asText(null))
                            || ("#" + fragment).equals(node.path("$id").asText(null))
                            || ("#" + fragment).equals(node.path("id").asText(null)))) {
                found[0] = node;
            }
        });
        return found[0] == null ? null : new Located(found[0], doc);
    }

    private JsonNode findId(String base) {
        String absolute = againstRootId(base);
        JsonNode[] found = new JsonNode[1];
        walk(tree, "", (node, path) -> {
            if (found[0] == null && node.isObject() && node.path("$id").isTextual()) {
                String id = node.get("$id").asText();
                if (id.equals(base) || id.equals(absolute) || Objects.equals(againstRootId(id), absolute)) {
                    found[0] = node;
                }
            }
        });
        return found[0];
    }

    /** {@code ref} resolved against the root's {@code $id}, or {@code null} when there is none or it fails. */
    private String againstRootId(String ref) {
        JsonNode id = tree.path("$id");
        if (!id.isTextual()) {
            return null;
        }
        try {
            return new URI(id.asText()).resolve(new URI(ref)).toString();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** A URI fragment may percent-encode characters of the pointer ({@code %25} for {@code %}). */
    private static String decodePercent(String pointer) {
        if (pointer.indexOf('%') < 0) {
            return pointer;
        }
        try {
            return URLDecoder.decode(pointer.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return pointer;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // walking subschemas

    /** Keywords whose value is one subschema. */
    static final List<String> SINGLE = List.of(
            "additionalProperties",
            "additionalItems",
            "not",
            "if",
            "then",
            "else",
            "contains",
            "propertyNames",
            "unevaluatedProperties",
            "unevaluatedItems",
            "contentSchema");
    /** Keywords whose value is an array of subschemas ({@code items} may also be a single subschema). */
    static final List<String> ARRAYS = List.of("allOf", "anyOf", "oneOf", "prefixItems", "items");
    /** Keywords whose value is an object of subschemas. */
    static final List<String> MAPS =
            List.of("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies");

    /**
     * Calls {@code visitor} with every subschema of {@code schema} (itself included) and its JSON pointer,
     * following the keywords of the JSON Schema drafts, not {@code enum}/{@code const}/{@code default} values.
     */
    static void walk(JsonNode schema, String path, BiConsumer<JsonNode, String> visitor) {
        if (!schema.isObject() && !schema.isBoolean()) {
            return;
        }
        visitor.accept(schema, path);
        if (!schema.isObject()) {
            return;
        }
        for (String k : SINGLE) {
            if (schema.has(k)) {
                walk(schema.get(k), path + "/" + k, visitor);
            }
        }
        for (String k : ARRAYS) {
            JsonNode v = schema.get(k);
            if (v == null) {
                continue;
            }
            if (v.isArray()) {
                for (int i = 0; i < v.size(); i++) {
                    walk(v.get(i), path + "/" + k + "/" + i, visitor);
                }
            } else {
                walk(v, path + "/" + k, visitor);
            }
        }
        for (String k : MAPS) {
            JsonNode v = schema.get(k);
            if (v != null && v.isObject()) {
                // dependencies (draft-07) maps to a schema or to an array of names; walk only skips non-schemas
                v.properties().forEach(e -> walk(e.getValue(), path + "/" + k + "/" + escape(e.getKey()), visitor));
            }
        }
    }

    /** Escapes a property name for use in a JSON pointer. */
    static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    /** A copy with object keys sorted, recursively (arrays keep their order). */
    static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            TreeMap<String, JsonNode> keys = new TreeMap<>();
            node.properties().forEach(e -> keys.put(e.getKey(), sorted(e.getValue())));
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            keys.forEach(out::set);
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            List<JsonNode> items = new ArrayList<>();
            node.forEach(items::add);
            items.forEach(i -> out.add(sorted(i)));
            return out;
        }
        return node;
    }
}
