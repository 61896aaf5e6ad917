package dev.sluice.schema.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.schema.compat.JsonSchema.Located;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Structural compatibility of two JSON Schemas.
 *
 * <p><b>Meaning.</b> "Reader R can read data written with W" means every document valid under W is valid under R.
 * Deciding that exactly is not possible in general, so the checker compares the schemas keyword by keyword and
 * errs on the safe side: when it cannot prove a reader constraint is met, it reports an incompatibility; when it
 * cannot represent a writer constraint, it ignores that constraint (treating the writer as allowing more data),
 * which can only add reports, never hide one.
 *
 * <p><b>What is compared.</b>
 *
 * <ul>
 *   <li>{@code type}: every type W allows must be accepted by R; {@code integer} is a subset of {@code number}, so
 *       integer→number widens (fine) and number→integer narrows (reported); a type list in R must cover W's.
 *   <li>{@code enum}/{@code const}: R's values must contain all of W's; W's enum values are also checked one by one
 *       against R's string and number constraints.
 *   <li>numbers: {@code minimum}, {@code maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum} (numeric and
 *       draft-04 boolean forms; bounds compared in the integers when W only allows integers) and {@code
 *       multipleOf}: R may not be tighter than W.
 *   <li>strings: {@code minLength}/{@code maxLength} may not be tightened; a {@code pattern} or {@code format} in R
 *       must be the same in W (formats are asserted, as {@code EventValidator} does).
 *   <li>objects: {@code properties} recursively; a property R declares but W does not is fine when W is closed
 *       ({@code additionalProperties: false}) or when R's property accepts anything, otherwise it is {@code
 *       PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL} (W's data may carry it with any value) or, when W's {@code
 *       additionalProperties} is a schema, {@code PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL}; a
 *       property W declares but R does not is {@code PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL} when R is closed
 *       and fine when R is open; {@code additionalProperties} true→false is {@code ADDITIONAL_PROPERTIES_REMOVED},
 *       a narrower schema {@code ADDITIONAL_PROPERTIES_NARROWED}; {@code patternProperties} are matched by
 *       identical regex, and a declared property is also checked against every pattern of R it matches; {@code
 *       required}: R may not require a property W does not require; {@code minProperties}/{@code maxProperties}.
 *   <li>arrays: {@code items} recursively, including tuples ({@code prefixItems}, or array {@code items} with
 *       {@code additionalItems}), {@code minItems}/{@code maxItems}, {@code uniqueItems}.
 *   <li>{@code $ref}: local pointers ({@code #/$defs/...}, {@code #/definitions/...}), anchors, and references to
 *       other registered schemas by name are followed; recursive schemas terminate (a pair of subschemas already
 *       being compared is assumed compatible).
 *   <li>combinators: R's {@code allOf} parts must each accept W; for R's {@code anyOf}/{@code oneOf} some branch
 *       must accept W (W is split by type first, so W {@code ["string","null"]} matches R {@code anyOf: [string,
 *       null]}); W's {@code anyOf}/{@code oneOf} branches must each be accepted; W's {@code allOf} parts are
 *       merged into one schema; R's {@code not} is accepted only when W's {@code not} excludes at least as much or
 *       the types are disjoint.
 * </ul>
 *
 * <p><b>Not compared precisely.</b> R's {@code oneOf} is treated like {@code anyOf} (its branches are assumed to be
 * disjoint, as in discriminated unions). Keywords that R uses and the checker cannot reason about ({@code
 * if}/{@code then}/{@code else}, {@code propertyNames}, {@code dependentRequired}, {@code dependencies}, {@code
 * dependentSchemas}, {@code unevaluatedProperties}, {@code unevaluatedItems}, {@code contains}, {@code
 * minContains}, {@code maxContains}, {@code $dynamicRef}) must be equal in W, else they are reported as {@code
 * <KEYWORD>_ADDED}/{@code _CHANGED}. Two different patterns are never proved to be related. {@code $ref} siblings
 * in drafts before 2019-09 are applied as constraints (stricter than the draft, so possibly a false report).
 * Unknown keywords and annotations ({@code title}, {@code description}, {@code default}, ...) are ignored.
 */
final class JsonSchemaCompatibility {

    /** One incompatibility: a Confluent-style type, the schema path (JSON pointer, $refs followed) and why. */
    record Issue(String type, String path, String reason) {
        @Override
        public String toString() {
            return type + " at " + (path.isEmpty() ? "/" : path) + ": " + reason;
        }
    }

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectNode EMPTY = F.objectNode();
    private static final int MAX_DEPTH = 100;
    private static final int MAX_VARIANTS = 64;
    private static final int MAX_REF_HOPS = 32;
    private static final List<String> ALL_TYPES = List.of("null", "boolean", "object", "array", "number", "string");

    /** Keywords the checker only compares for equality, with the instance type they apply to ("any": all). */
    private static final Map<String, String> EQUALITY_ONLY = new LinkedHashMap<>();

    static {
        for (String k : List.of("if", "then", "else", "$dynamicRef", "$recursiveRef")) {
            EQUALITY_ONLY.put(k, "any");
        }
        for (String k : List.of(
                "propertyNames", "dependentRequired", "dependencies", "dependentSchemas", "unevaluatedProperties")) {
            EQUALITY_ONLY.put(k, "object");
        }
        for (String k : List.of("contains", "minContains", "maxContains", "unevaluatedItems")) {
            EQUALITY_ONLY.put(k, "array");
        }
    }

    /** Keywords that constrain instances; a schema with none of them accepts everything. */
    private static final Set<String> ASSERTIONS = new HashSet<>(List.of(
            "$ref",
            "type",
            "enum",
            "const",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minLength",
            "maxLength",
            "pattern",
            "format",
            "properties",
            "patternProperties",
            "additionalProperties",
            "required",
            "minProperties",
            "maxProperties",
            "items",
            "prefixItems",
            "additionalItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "allOf",
            "anyOf",
            "oneOf",
            "not"));

    static {
        ASSERTIONS.addAll(EQUALITY_ONLY.keySet());
    }

    /** Numbers compare by value (1 == 1.0), everything else by JSON equality. */
    private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private final String reader;
    private final String writer;
    private List<Issue> issues = new ArrayList<>();
    /** Pairs (reader node, writer node) being compared right now, by identity: breaks recursion. */
    private final Set<Pair> inProgress = new HashSet<>();

    private int depth;
    private boolean tooDeepReported;

    /**
     * Writer subschemas of another document merged into a synthetic node are replaced by {@code {"$ref":
     * "sluice-merged:N"}} so that their own $refs still resolve in their document; this maps N's ref to them.
     */
    private final Map<String, Located> merged = new HashMap<>();

    private final Map<JsonNode, JsonNode> mergedWrappers = new IdentityHashMap<>();
    private static final String MERGED_REF = "sluice-merged:";

    private JsonSchemaCompatibility(String reader, String writer) {
        this.reader = reader;
        this.writer = writer;
    }

    /**
     * Incompatibilities found when {@code readerSchema} reads data written with {@code writerSchema}.
     *
     * @param readerName how messages name the reader ("the new schema", "version 3")
     * @param writerName how messages name the writer
     */
    static List<Issue> check(JsonSchema readerSchema, JsonSchema writerSchema, String readerName, String writerName) {
        JsonSchemaCompatibility c = new JsonSchemaCompatibility(readerName, writerName);
        c.check(new Located(readerSchema.tree(), readerSchema), new Located(writerSchema.tree(), writerSchema), "");
        // the same incompatibility can be found through several writer variants: report it once
        Map<String, Issue> distinct = new LinkedHashMap<>();
        c.issues.forEach(i -> distinct.putIfAbsent(i.toString(), i));
        return List.copyOf(distinct.values());
    }

    // ---------------------------------------------------------------------------------------------------------
    // entry: writer variants, then the reader

    private void check(Located r, Located w, String path) {
        if (depth >= MAX_DEPTH) {
            if (!tooDeepReported) {
                tooDeepReported = true;
                add(
                        "SCHEMA_TOO_DEEP",
                        path,
                        "the schemas nest more than " + MAX_DEPTH + " levels deep here; "
                                + "compatibility cannot be checked");
            }
            return;
        }
        Pair key = new Pair(r.node(), w.node());
        if (!inProgress.add(key)) {
            return; // a recursive schema came back to a pair being compared: assume compatible (co-inductively)
        }
        depth++;
        try {
            for (Located variant : variants(w, 0)) {
                if (!isFalse(variant.node())) {
                    checkReader(r, variant, path);
                }
            }
        } finally {
            depth--;
            inProgress.remove(key);
        }
    }

    /**
     * The writer's data as a union of schemas free of {@code $ref}, {@code allOf}, {@code anyOf}, {@code oneOf}.
     * Where it cannot merge constraints it drops some, which makes the writer allow more data: that can add a
     * report but never hide an incompatibility.
     */
    private List<Located> variants(Located w, int hops) {
        if (hops > MAX_REF_HOPS) {
            return List.of(new Located(BooleanNode.TRUE, w.doc()));
        }
        if (!w.node().isObject()) {
            return List.of(w);
        }
        ObjectNode o = (ObjectNode) w.node();
        JsonNode ref = o.get("$ref");
        if (ref != null && ref.isTextual()) {
            Located target = resolve(w, ref.asText());
            if (target == null) {
                target = new Located(BooleanNode.TRUE, w.doc()); // unknown target: it could allow anything
            }
            Located rest = new Located(without(o, "$ref"), w.doc());
            return conjunction(variants(target, hops + 1), variants(rest, hops + 1));
        }
        JsonNode allOf = o.get("allOf");
        if (allOf != null && allOf.isArray()) {
            List<Located> acc = variants(new Located(without(o, "allOf"), w.doc()), hops + 1);
            for (JsonNode part : allOf) {
                acc = conjunction(acc, variants(new Located(part, w.doc()), hops + 1));
            }
            return acc;
        }
        for (String k : List.of("anyOf", "oneOf")) {
            JsonNode branches = o.get(k);
            if (branches != null && branches.isArray()) {
                List<Located> rest = variants(new Located(without(o, k), w.doc()), hops + 1);
                List<Located> out = new ArrayList<>();
                for (JsonNode branch : branches) {
                    out.addAll(conjunction(rest, variants(new Located(branch, w.doc()), hops + 1)));
                    if (out.size() > MAX_VARIANTS) {
                        return rest; // too many combinations: drop the union (the writer allows more)
                    }
                }
                return out;
            }
        }
        return List.of(w);
    }

    /** Pairwise merges (the data allowed by both); a pair that allows nothing is left out. */
    private List<Located> conjunction(List<Located> as, List<Located> bs) {
        List<Located> out = new ArrayList<>();
        for (Located a : as) {
            for (Located b : bs) {
                Located m = merge(a, b);
                if (m != null) {
                    out.add(m);
                }
                if (out.size() > MAX_VARIANTS) {
                    return as; // drop bs' constraints: the writer allows more
                }
            }
        }
        return out;
    }

    /**
     * One schema for the data both writer schemas allow, or {@code null} when none. Constraints it cannot merge
     * are taken from {@code a} only (the writer then allows more data, which is safe).
     */
    private Located merge(Located a, Located b) {
        if (isFalse(a.node()) || isFalse(b.node())) {
            return null;
        }
        if (acceptsAll(b.node())) {
            return a;
        }
        if (acceptsAll(a.node())) {
            return b;
        }
        ObjectNode ao = (ObjectNode) a.node();
        // the merged node lives in a's document: b's subschemas of another document are referenced, not copied
        ObjectNode bo = a.doc() == b.doc() ? (ObjectNode) b.node() : rebase((ObjectNode) b.node(), b.doc());
        ObjectNode m = F.objectNode();
        m.setAll(ao);
        for (Map.Entry<String, JsonNode> e : bo.properties()) {
            String k = e.getKey();
            JsonNode bv = e.getValue();
            JsonNode av = ao.get(k);
            if (av == null) {
                m.set(k, bv);
                continue;
            }
            switch (k) {
                case "properties", "patternProperties", "dependentSchemas" -> {
                    if (av.isObject() && bv.isObject()) {
                        ObjectNode props = F.objectNode();
                        props.setAll((ObjectNode) av);
                        bv.properties()
                                .forEach(p -> props.set(
                                        p.getKey(),
                                        props.has(p.getKey())
                                                ? F.objectNode()
                                                        .set(
                                                                "allOf",
                                                                F.arrayNode()
                                                                        .add(props.get(p.getKey()))
                                                                        .add(p.getValue()))
                                                : p.getValue()));
                        m.set(k, props);
                    }
                }
                case "required" -> {
                    Set<String> union = new LinkedHashSet<>(strings(av));
                    union.addAll(strings(bv));
                    ArrayNode req = F.arrayNode();
                    union.forEach(req::add);
                    m.set(k, req);
                }
                case "type" -> {
                    Set<String> both = intersect(declaredTypes(ao), declaredTypes(bo));
                    if (both.isEmpty()) {
                        return null;
                    }
                    ArrayNode types = F.arrayNode();
                    both.forEach(types::add);
                    m.set(k, types);
                }
                case "enum" -> {
                    ArrayNode values = F.arrayNode();
                    av.forEach(v -> {
                        if (contains(bv, v)) {
                            values.add(v);
                        }
                    });
                    if (values.isEmpty()) {
                        return null;
                    }
                    m.set(k, values);
                }
                case "const" -> {
                    if (!av.equals(SAME_VALUE, bv)) {
                        return null;
                    }
                }
                case "minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum" -> {
                    if (av.isNumber() && bv.isNumber() && bv.decimalValue().compareTo(av.decimalValue()) > 0) {
                        m.set(k, bv);
                    }
                }
                case "maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum" -> {
                    if (av.isNumber() && bv.isNumber() && bv.decimalValue().compareTo(av.decimalValue()) < 0) {
                        m.set(k, bv);
                    }
                }
                case "additionalProperties" -> {
                    if (isFalse(bv)) {
                        m.set(k, bv);
                    }
                }
                case "uniqueItems" -> {
                    if (bv.asBoolean()) {
                        m.set(k, bv);
                    }
                }
                default -> {} // keep a's
            }
        }
        return new Located(m, a.doc());
    }

    /** A copy of {@code o} whose subschemas are replaced by references to them in their own document. */
    private ObjectNode rebase(ObjectNode o, JsonSchema doc) {
        ObjectNode out = F.objectNode();
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            String k = e.getKey();
            JsonNode v = e.getValue();
            if (JsonSchema.SINGLE.contains(k)) {
                out.set(k, wrap(v, doc));
            } else if (JsonSchema.ARRAYS.contains(k)) {
                if (v.isArray()) {
                    ArrayNode items = F.arrayNode();
                    v.forEach(i -> items.add(wrap(i, doc)));
                    out.set(k, items);
                } else {
                    out.set(k, wrap(v, doc));
                }
            } else if (JsonSchema.MAPS.contains(k) && v.isObject()) {
                ObjectNode map = F.objectNode();
                v.properties().forEach(p -> map.set(p.getKey(), wrap(p.getValue(), doc)));
                out.set(k, map);
            } else {
                out.set(k, v);
            }
        }
        return out;
    }

    private JsonNode wrap(JsonNode subschema, JsonSchema doc) {
        if (!subschema.isObject()) {
            return subschema; // booleans have no $refs; arrays of names (draft-07 dependencies) are no schemas
        }
        return mergedWrappers.computeIfAbsent(subschema, n -> {
            String id = MERGED_REF + merged.size();
            merged.put(id, new Located(n, doc));
            return F.objectNode().put("$ref", id);
        });
    }

    /** The value with the references made by {@link #rebase} replaced by what they stand for (for comparisons). */
    private JsonNode unwrap(JsonNode n) {
        if (n.isObject() && n.size() == 1 && n.path("$ref").asText("").startsWith(MERGED_REF)) {
            return merged.get(n.get("$ref").asText()).node();
        }
        if (n.isArray()) {
            ArrayNode out = F.arrayNode();
            n.forEach(x -> out.add(unwrap(x)));
            return out;
        }
        if (n.isObject()) {
            ObjectNode out = F.objectNode();
            n.properties().forEach(e -> out.set(e.getKey(), unwrap(e.getValue())));
            return out;
        }
        return n;
    }

    /** A $ref in the document of {@code from}, or one of the references made by {@link #rebase}. */
    private Located resolve(Located from, String ref) {
        return ref.startsWith(MERGED_REF) ? merged.get(ref) : from.doc().resolveRef(ref);
    }

    // ---------------------------------------------------------------------------------------------------------
    // the reader against one writer variant

    private void checkReader(Located r, Located w, String path) {
        JsonNode rn = r.node();
        if (rn.isBoolean()) {
            if (!rn.booleanValue()) {
                add(
                        "FALSE_SCHEMA_ADDED",
                        path,
                        reader + " accepts no value here (false schema), but " + writer + " allows values");
            }
            return;
        }
        if (!rn.isObject()) {
            return;
        }
        ObjectNode ro = (ObjectNode) rn;
        ObjectNode wo = w.node().isObject() ? (ObjectNode) w.node() : EMPTY;

        // R's constraints apply together: $ref target and allOf parts each have to accept W
        JsonNode ref = ro.get("$ref");
        if (ref != null && ref.isTextual()) {
            Located target = resolve(r, ref.asText());
            if (target == null) {
                add(
                        "UNRESOLVED_REFERENCE",
                        path,
                        reader + " has a $ref '" + ref.asText() + "' that cannot be resolved");
            } else {
                check(target, w, path);
            }
        }
        JsonNode allOf = ro.get("allOf");
        if (allOf != null && allOf.isArray()) {
            for (JsonNode part : allOf) {
                check(new Located(part, r.doc()), w, path);
            }
        }
        for (String k : List.of("anyOf", "oneOf")) {
            JsonNode branches = ro.get(k);
            if (branches != null && branches.isArray()) {
                readerUnion(r, k, branches, w, path);
            }
        }
        JsonNode not = ro.get("not");
        if (not != null) {
            readerNot(new Located(not, r.doc()), w, wo, path);
        }
        keywords(r, ro, w, wo, path);
    }

    /** W ⊆ R1 ∪ R2 ∪ ...: proved when one branch accepts each type of W's data. */
    private void readerUnion(Located r, String keyword, JsonNode branches, Located w, String path) {
        for (Located piece : splitByType(w)) {
            List<Issue> closest = null;
            int closestIndex = -1;
            boolean accepted = false;
            for (int i = 0; i < branches.size() && !accepted; i++) {
                Located branch = new Located(branches.get(i), r.doc());
                int index = i;
                List<Issue> found = trial(() -> check(branch, piece, path + "/" + keyword + "/" + index));
                if (found.isEmpty()) {
                    accepted = true;
                } else if (closest == null
                        || rank(found, path + "/" + keyword + "/" + i)
                                < rank(closest, path + "/" + keyword + "/" + closestIndex)) {
                    closest = found;
                    closestIndex = i;
                }
            }
            if (!accepted) {
                Set<String> types = piece.node().isObject() ? declaredTypes((ObjectNode) piece.node()) : null;
                add(
                        "COMBINED_TYPE_CHANGED",
                        path + "/" + keyword,
                        "no branch of " + reader + "'s " + keyword + " accepts all the data"
                                + (types == null ? "" : " of type " + String.join(", ", types)) + " that " + writer
                                + " allows"
                                + (closest == null
                                        ? ""
                                        : "; closest is branch " + closestIndex + ": " + closest.getFirst()));
            }
        }
    }

    /** How far a branch is from accepting W: a branch of the wrong type is the farthest, then by issue count. */
    private static int rank(List<Issue> issues, String branchPath) {
        boolean wrongType = issues.stream()
                .anyMatch(i -> i.type().startsWith("TYPE_") && i.path().equals(branchPath + "/type"));
        return (wrongType ? 1_000_000 : 0) + issues.size();
    }

    /** W ⊆ ¬X: proved when W excludes at least X itself, or W's types and X's types are disjoint. */
    private void readerNot(Located excluded, Located w, ObjectNode wo, String path) {
        if (isFalse(excluded.node())) {
            return; // not false = anything
        }
        JsonNode writerNot = wo.get("not");
        if (writerNot != null
                && trial(() -> check(new Located(writerNot, w.doc()), excluded, path + "/not"))
                        .isEmpty()) {
            return; // X ⊆ Y and W ⊆ ¬Y
        }
        Set<String> excludedTypes =
                excluded.node().isObject() && !excluded.node().has("$ref")
                        ? declaredTypes((ObjectNode) excluded.node())
                        : null;
        Set<String> writerTypes = writerTypes(wo);
        if (excludedTypes != null
                && writerTypes != null
                && intersect(excludedTypes, writerTypes).isEmpty()) {
            return;
        }
        add(
                writerNot == null ? "NOT_ADDED" : "NOT_CHANGED",
                path + "/not",
                reader + " excludes data with 'not' that " + writer + " may allow (the checker could not prove "
                        + "that " + writer + " never allows the excluded data)");
    }

    // ---------------------------------------------------------------------------------------------------------
    // keyword by keyword

    private void keywords(Located r, ObjectNode ro, Located w, ObjectNode wo, String path) {
        // the types of W's data: from its enum/const values when it has some, else from "type", else all
        List<JsonNode> writerValues = values(wo);
        Set<String> writerDeclared = declaredTypes(wo);
        if (writerValues != null && writerDeclared != null) {
            writerValues.removeIf(v -> !covers(writerDeclared, jsonType(v)));
        }
        if (writerValues != null && writerValues.isEmpty()) {
            return; // W allows no data at all
        }
        Set<String> writerTypes = writerTypes(wo);
        boolean writerAnyType = writerTypes == null;
        Set<String> live = new LinkedHashSet<>(writerAnyType ? ALL_TYPES : writerTypes);

        // type: every type of W's data must be accepted by R
        Set<String> readerTypes = declaredTypes(ro);
        if (readerTypes != null) {
            List<String> uncovered =
                    live.stream().filter(t -> !covers(readerTypes, t)).toList();
            if (!uncovered.isEmpty()) {
                String accepts = String.join(", ", readerTypes);
                if (writerAnyType) {
                    add(
                            "TYPE_NARROWED",
                            path + "/type",
                            reader + " only accepts " + accepts + ", but " + writer + " does not restrict the type");
                } else if (uncovered.equals(List.of("number")) && readerTypes.contains("integer")) {
                    add(
                            "TYPE_NARROWED",
                            path + "/type",
                            reader + " only accepts integers, but " + writer
                                    + " allows any number (number→integer narrows the type)");
                } else if (uncovered.size() < live.size()) {
                    add(
                            "TYPE_NARROWED",
                            path + "/type",
                            reader + " accepts " + accepts + ", but " + writer + " also allows "
                                    + String.join(", ", uncovered));
                } else {
                    add(
                            "TYPE_CHANGED",
                            path + "/type",
                            reader + " accepts " + accepts + ", but " + writer + " allows "
                                    + String.join(", ", uncovered));
                }
                live.removeAll(uncovered);
                if (uncovered.contains("number") && readerTypes.contains("integer")) {
                    live.add("integer"); // the integers among W's numbers still reach R's other keywords
                }
            }
        }
        if (live.isEmpty()) {
            return;
        }
        Set<String> liveTypes = live;
        if (writerValues != null) {
            writerValues.removeIf(v -> !covers(liveTypes, jsonType(v)));
        }

        // enum / const: R's values must include every value W allows
        List<JsonNode> readerValues = values(ro);
        if (readerValues != null) {
            List<JsonNode> allowed = writerValues;
            if (allowed == null && Set.of("null", "boolean").containsAll(live)) {
                allowed = new ArrayList<>(); // null and boolean have finitely many values
                if (live.contains("null")) {
                    allowed.add(NullNode.getInstance());
                }
                if (live.contains("boolean")) {
                    allowed.add(BooleanNode.TRUE);
                    allowed.add(BooleanNode.FALSE);
                }
            }
            String keyword = ro.has("enum") ? "enum" : "const";
            if (allowed == null) {
                add(
                        "ENUM_ADDED",
                        path + "/" + keyword,
                        reader + " only accepts the values " + render(readerValues) + ", but " + writer + " allows any "
                                + String.join(", ", live));
            } else {
                List<JsonNode> missing = allowed.stream()
                        .filter(v -> readerValues.stream().noneMatch(x -> x.equals(SAME_VALUE, v)))
                        .toList();
                if (!missing.isEmpty()) {
                    add(
                            "ENUM_NARROWED",
                            path + "/" + keyword,
                            reader + " does not accept " + render(missing) + ", which " + writer + " allows");
                }
            }
        }

        boolean numbers = live.contains("integer") || live.contains("number");
        boolean integersOnly = numbers && !live.contains("number");
        if (writerValues != null) {
            // W's data is a known list of values: check each against R's string and number keywords
            for (JsonNode v : writerValues) {
                String why = valueViolation(ro, v);
                if (why != null) {
                    add(
                            "ENUM_VALUE_REJECTED",
                            path,
                            reader + " rejects the value " + v + " that " + writer + " allows (" + why + ")");
                }
            }
        } else {
            if (numbers) {
                numberKeywords(ro, wo, integersOnly, path);
            }
            if (live.contains("string")) {
                stringKeywords(ro, wo, path);
            }
        }
        if (live.contains("string")) {
            sameText(ro, wo, "format", path, "FORMAT", "values in format");
        }
        if (live.contains("object")) {
            objectKeywords(r, ro, w, wo, path);
        }
        if (live.contains("array")) {
            arrayKeywords(r, ro, w, wo, path);
        }
        for (Map.Entry<String, String> e : EQUALITY_ONLY.entrySet()) {
            String k = e.getKey();
            boolean applies = e.getValue().equals("any") || live.contains(e.getValue());
            if (applies && ro.has(k) && (!wo.has(k) || !unwrap(ro.get(k)).equals(SAME_VALUE, unwrap(wo.get(k))))) {
                add(
                        upperSnake(k) + (wo.has(k) ? "_CHANGED" : "_ADDED"),
                        path + "/" + k,
                        reader + " uses '" + k + "', which can only be checked by equality, and " + writer
                                + (wo.has(k) ? " has a different '" + k + "'" : " has no '" + k + "'"));
            }
        }
    }

    private void numberKeywords(ObjectNode ro, ObjectNode wo, boolean integersOnly, String path) {
        Bound rl = lower(ro);
        if (rl != null) {
            Bound wl = lower(wo);
            if (integersOnly) { // in the integers "> 4" is ">= 5": compare inclusive integer bounds
                rl = rl.integerLower();
                wl = wl == null ? null : wl.integerLower();
            }
            if (wl == null) {
                add(
                        upperSnake(rl.keyword) + "_ADDED",
                        path + "/" + rl.keyword,
                        reader + " requires values " + rl.describe(">") + ", but " + writer + " has no lower bound");
            } else if (rl.tighterLowerThan(wl)) {
                add(
                        upperSnake(rl.keyword) + "_INCREASED",
                        path + "/" + rl.keyword,
                        reader + " requires values " + rl.describe(">") + ", but " + writer + " allows values "
                                + wl.describe(">"));
            }
        }
        Bound ru = upper(ro);
        if (ru != null) {
            Bound wu = upper(wo);
            if (integersOnly) {
                ru = ru.integerUpper();
                wu = wu == null ? null : wu.integerUpper();
            }
            if (wu == null) {
                add(
                        upperSnake(ru.keyword) + "_ADDED",
                        path + "/" + ru.keyword,
                        reader + " requires values " + ru.describe("<") + ", but " + writer + " has no upper bound");
            } else if (ru.tighterUpperThan(wu)) {
                add(
                        upperSnake(ru.keyword) + "_DECREASED",
                        path + "/" + ru.keyword,
                        reader + " requires values " + ru.describe("<") + ", but " + writer + " allows values "
                                + wu.describe("<"));
            }
        }
        BigDecimal rm = decimal(ro.get("multipleOf"));
        if (rm != null && rm.signum() > 0) {
            BigDecimal wm = decimal(wo.get("multipleOf"));
            boolean ok = (wm != null && wm.remainder(rm).signum() == 0)
                    || (integersOnly && BigDecimal.ONE.remainder(rm).signum() == 0);
            if (!ok) {
                add(
                        wm == null ? "MULTIPLE_OF_ADDED" : "MULTIPLE_OF_CHANGED",
                        path + "/multipleOf",
                        reader + " requires multiples of " + rm.toPlainString() + ", but " + writer
                                + (wm == null ? " has no multipleOf" : " allows multiples of " + wm.toPlainString()));
            }
        }
    }

    private void stringKeywords(ObjectNode ro, ObjectNode wo, String path) {
        minCount(ro, wo, "minLength", path, "strings of at least %d characters");
        maxCount(ro, wo, "maxLength", path, "strings of at most %d characters");
        sameText(ro, wo, "pattern", path, "PATTERN", "strings matching");
    }

    /** A keyword R uses that W must use with the same text ({@code pattern}, {@code format}). */
    private void sameText(ObjectNode ro, ObjectNode wo, String keyword, String path, String type, String what) {
        JsonNode rv = ro.get(keyword);
        if (rv == null || !rv.isTextual()) {
            return;
        }
        JsonNode wv = wo.get(keyword);
        if (wv == null) {
            add(
                    type + "_ADDED",
                    path + "/" + keyword,
                    reader + " only accepts " + what + " '" + rv.asText() + "', but " + writer + " has no " + keyword);
        } else if (!rv.asText().equals(wv.asText())) {
            add(
                    type + "_CHANGED",
                    path + "/" + keyword,
                    reader + " only accepts " + what + " '" + rv.asText() + "', but " + writer + " has " + keyword
                            + " '" + wv.asText() + "'");
        }
    }

    private void objectKeywords(Located r, ObjectNode ro, Located w, ObjectNode wo, String path) {
        ObjectNode rProps = object(ro.get("properties"));
        ObjectNode wProps = object(wo.get("properties"));
        ObjectNode rPatterns = object(ro.get("patternProperties"));
        ObjectNode wPatterns = object(wo.get("patternProperties"));
        Located rAdditional = subschema(r, ro.get("additionalProperties"));
        Located wAdditional = subschema(w, wo.get("additionalProperties"));

        Set<String> names = new LinkedHashSet<>();
        rProps.properties().forEach(e -> names.add(e.getKey()));
        wProps.properties().forEach(e -> names.add(e.getKey()));
        for (String p : names) {
            String at = path + "/properties/" + JsonSchema.escape(p);
            boolean inReader = rProps.has(p);
            boolean inWriter = wProps.has(p);
            // the values W allows for p: its declaration, else a matching pattern, else additionalProperties
            Located ws = inWriter ? subschema(w, wProps.get(p)) : firstMatching(w, wPatterns, p);
            if (ws == null) {
                ws = wAdditional;
            }
            if (isFalse(ws.node())) {
                continue; // W's data never has p
            }
            // every schema R applies to p
            List<Located> rs = new ArrayList<>();
            if (inReader) {
                rs.add(subschema(r, rProps.get(p)));
            }
            rs.addAll(allMatching(r, rPatterns, p));
            if (rs.isEmpty()) {
                rs.add(rAdditional);
            }
            for (Located one : rs) {
                Located writerSide = ws;
                List<Issue> found = trial(() -> check(one, writerSide, at));
                if (found.isEmpty()) {
                    continue;
                }
                if (inReader && inWriter) {
                    issues.addAll(found);
                } else if (inReader) {
                    if (acceptsAll(ws.node())) {
                        add(
                                "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                                at,
                                reader + " constrains property '" + p
                                        + "', which " + writer
                                        + " does not declare while leaving additional properties "
                                        + "open (additionalProperties is not false), so data written with " + writer
                                        + " may carry '" + p + "' with any value (" + found.getFirst() + ")");
                    } else {
                        add(
                                "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                                at,
                                reader
                                        + " constrains property '" + p + "', which " + writer
                                        + " does not declare, more "
                                        + "than " + writer + "'s additionalProperties/patternProperties do ("
                                        + found.getFirst() + ")");
                    }
                } else if (isFalse(one.node())) {
                    add(
                            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                            at,
                            reader + " does not declare property '"
                                    + p + "' and forbids undeclared properties (additionalProperties: false), but "
                                    + writer + " allows '" + p + "'");
                } else {
                    add(
                            "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                            at,
                            reader
                                    + " does not declare property '" + p + "', and its additionalProperties/"
                                    + "patternProperties do not accept every value " + writer + " allows for it ("
                                    + found.getFirst() + ")");
                }
            }
        }

        // properties matching a pattern of W (and not declared): R's same pattern, else R's additionalProperties
        for (Map.Entry<String, JsonNode> e : wPatterns.properties()) {
            Located ws = subschema(w, e.getValue());
            if (isFalse(ws.node())) {
                continue;
            }
            boolean same = rPatterns.has(e.getKey());
            Located rs = same ? subschema(r, rPatterns.get(e.getKey())) : rAdditional;
            String at = path + "/patternProperties/" + JsonSchema.escape(e.getKey());
            List<Issue> found = trial(() -> check(rs, ws, at));
            if (found.isEmpty()) {
                continue;
            }
            if (same) {
                issues.addAll(found);
            } else {
                add(
                        isFalse(rs.node())
                                ? "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
                                : "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                        at,
                        writer + " allows properties matching '" + e.getKey() + "' that " + reader
                                + "'s additionalProperties do not accept (" + found.getFirst() + ")");
            }
        }
        if (!isFalse(wAdditional.node())) {
            // undeclared properties W allows, matching a pattern only R has
            for (Map.Entry<String, JsonNode> e : rPatterns.properties()) {
                if (wPatterns.has(e.getKey())) {
                    continue;
                }
                String at = path + "/patternProperties/" + JsonSchema.escape(e.getKey());
                List<Issue> found = trial(() -> check(subschema(r, e.getValue()), wAdditional, at));
                if (!found.isEmpty()) {
                    add(
                            acceptsAll(wAdditional.node())
                                    ? "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                                    : "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                            at,
                            reader + " constrains properties matching '" + e.getKey() + "', which " + writer
                                    + " allows as undeclared properties (" + found.getFirst() + ")");
                }
            }
            // undeclared properties W allows, matching nothing in R
            List<Issue> found = trial(() -> check(rAdditional, wAdditional, path + "/additionalProperties"));
            if (!found.isEmpty()) {
                if (isFalse(rAdditional.node())) {
                    add(
                            "ADDITIONAL_PROPERTIES_REMOVED",
                            path + "/additionalProperties",
                            reader
                                    + " forbids undeclared properties (additionalProperties: false), but " + writer
                                    + " allows them");
                } else {
                    add(
                            "ADDITIONAL_PROPERTIES_NARROWED",
                            path + "/additionalProperties",
                            reader
                                    + "'s additionalProperties accept less than " + writer + "'s (" + found.getFirst()
                                    + ")");
                }
            }
        }

        Set<String> writerRequired = strings(wo.get("required"));
        for (String p : strings(ro.get("required"))) {
            if (!writerRequired.contains(p)) {
                add(
                        "REQUIRED_PROPERTY_ADDED",
                        path + "/required",
                        reader + " requires property '" + p + "', which " + writer
                                + " does not require, so data written with " + writer + " may lack it");
            }
        }
        minCount(ro, wo, "minProperties", path, "objects with at least %d properties");
        maxCount(ro, wo, "maxProperties", path, "objects with at most %d properties");
    }

    private void arrayKeywords(Located r, ObjectNode ro, Located w, ObjectNode wo, String path) {
        Tuple rt = tuple(r, ro, path);
        Tuple wt = tuple(w, wo, path);
        Integer writerMax = integer(wo.get("maxItems"));
        int positions = Math.max(rt.prefix.size(), wt.prefix.size());
        boolean writerHasMore = true;
        for (int i = 0; i < positions; i++) {
            Located ws = i < wt.prefix.size() ? wt.prefix.get(i) : wt.rest;
            if ((writerMax != null && i >= writerMax) || isFalse(ws.node())) {
                writerHasMore = false; // W's arrays never have an item i
                break;
            }
            boolean readerRest = i >= rt.prefix.size();
            items(
                    readerRest ? rt.rest : rt.prefix.get(i),
                    ws,
                    readerRest ? rt.restPath : rt.prefixPath + "/" + i,
                    "item " + i);
        }
        if (writerHasMore && (writerMax == null || writerMax > positions) && !isFalse(wt.rest.node())) {
            items(rt.rest, wt.rest, rt.restPath, positions == 0 ? "items" : "items after position " + positions);
        }
        minCount(ro, wo, "minItems", path, "arrays of at least %d items");
        maxCount(ro, wo, "maxItems", path, "arrays of at most %d items");
        if (ro.path("uniqueItems").asBoolean(false) && !wo.path("uniqueItems").asBoolean(false)) {
            add(
                    "UNIQUE_ITEMS_ADDED",
                    path + "/uniqueItems",
                    reader + " requires unique items, but " + writer + " allows duplicates");
        }
    }

    private void items(Located rs, Located ws, String at, String what) {
        if (isFalse(rs.node())) {
            add(
                    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                    at,
                    reader + " allows no " + what + " (false schema or " + "additionalItems: false), but " + writer
                            + " allows them");
        } else {
            check(rs, ws, at);
        }
    }

    /** An array schema as positional item schemas followed by one schema for the rest. */
    private record Tuple(List<Located> prefix, String prefixPath, Located rest, String restPath) {}

    private static Tuple tuple(Located s, ObjectNode o, String path) {
        JsonNode items = o.get("items");
        List<Located> prefix = new ArrayList<>();
        if (items != null && items.isArray()) { // draft-04 to 2019-09 tuple form
            items.forEach(i -> prefix.add(new Located(i, s.doc())));
            return new Tuple(
                    prefix, path + "/items", subschema(s, o.get("additionalItems")), path + "/additionalItems");
        }
        JsonNode prefixItems = o.get("prefixItems");
        if (prefixItems != null && prefixItems.isArray()) {
            prefixItems.forEach(i -> prefix.add(new Located(i, s.doc())));
        }
        return new Tuple(prefix, path + "/prefixItems", subschema(s, items), path + "/items");
    }

    // ---------------------------------------------------------------------------------------------------------
    // counts and numeric bounds

    private void minCount(ObjectNode ro, ObjectNode wo, String keyword, String path, String what) {
        Integer r = integer(ro.get(keyword));
        if (r == null || r <= 0) {
            return;
        }
        Integer w = integer(wo.get(keyword));
        if (w == null || r > w) {
            add(
                    upperSnake(keyword) + (w == null ? "_ADDED" : "_INCREASED"),
                    path + "/" + keyword,
                    reader + " only accepts " + String.format(Locale.ROOT, what, r) + ", but " + writer
                            + (w == null ? " has no " + keyword : " allows " + String.format(Locale.ROOT, what, w)));
        }
    }

    private void maxCount(ObjectNode ro, ObjectNode wo, String keyword, String path, String what) {
        Integer r = integer(ro.get(keyword));
        if (r == null) {
            return;
        }
        Integer w = integer(wo.get(keyword));
        if (w == null || w > r) {
            add(
                    upperSnake(keyword) + (w == null ? "_ADDED" : "_DECREASED"),
                    path + "/" + keyword,
                    reader + " only accepts " + String.format(Locale.ROOT, what, r) + ", but " + writer
                            + (w == null ? " has no " + keyword : " allows " + String.format(Locale.ROOT, what, w)));
        }
    }

    /** A numeric bound: its value, whether it is exclusive, and the keyword that set it. */
    private record Bound(BigDecimal value, boolean exclusive, String keyword) {
        boolean tighterLowerThan(Bound other) {
            int c = value.compareTo(other.value);
            return c > 0 || (c == 0 && exclusive && !other.exclusive);
        }

        boolean tighterUpperThan(Bound other) {
            int c = value.compareTo(other.value);
            return c < 0 || (c == 0 && exclusive && !other.exclusive);
        }

        /** The same lower bound on integers, inclusive: > 4.5 and >= 4.2 both become >= 5. */
        Bound integerLower() {
            BigDecimal v = exclusive
                    ? value.setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE)
                    : value.setScale(0, RoundingMode.CEILING);
            return new Bound(v, false, keyword);
        }

        Bound integerUpper() {
            BigDecimal v = exclusive
                    ? value.setScale(0, RoundingMode.CEILING).subtract(BigDecimal.ONE)
                    : value.setScale(0, RoundingMode.FLOOR);
            return new Bound(v, false, keyword);
        }

        String describe(String direction) {
            return direction + (exclusive ? " " : "= ") + value.toPlainString();
        }

        boolean admitsLower(BigDecimal v) {
            int c = v.compareTo(value);
            return exclusive ? c > 0 : c >= 0;
        }

        boolean admitsUpper(BigDecimal v) {
            int c = v.compareTo(value);
            return exclusive ? c < 0 : c <= 0;
        }
    }

    /** The tightest lower bound of minimum / exclusiveMinimum (number, or draft-04 boolean), or null. */
    private static Bound lower(ObjectNode o) {
        return bound(o, "minimum", "exclusiveMinimum", true);
    }

    private static Bound upper(ObjectNode o) {
        return bound(o, "maximum", "exclusiveMaximum", false);
    }

    private static Bound bound(ObjectNode o, String inclusiveKey, String exclusiveKey, boolean lower) {
        JsonNode inclusive = o.get(inclusiveKey);
        JsonNode exclusive = o.get(exclusiveKey);
        Bound b = null;
        if (inclusive != null && inclusive.isNumber()) {
            boolean draft4Exclusive = exclusive != null && exclusive.isBoolean() && exclusive.booleanValue();
            b = new Bound(inclusive.decimalValue(), draft4Exclusive, draft4Exclusive ? exclusiveKey : inclusiveKey);
        }
        if (exclusive != null && exclusive.isNumber()) {
            Bound e = new Bound(exclusive.decimalValue(), true, exclusiveKey);
            if (b == null || (lower ? e.tighterLowerThan(b) : e.tighterUpperThan(b))) {
                b = e;
            }
        }
        return b;
    }

    /** Why R rejects a single value W allows, or null when R's string and number keywords accept it. */
    private static String valueViolation(ObjectNode ro, JsonNode v) {
        if (v.isTextual()) {
            String s = v.asText();
            int length = s.codePointCount(0, s.length());
            Integer min = integer(ro.get("minLength"));
            if (min != null && length < min) {
                return "minLength " + min;
            }
            Integer max = integer(ro.get("maxLength"));
            if (max != null && length > max) {
                return "maxLength " + max;
            }
            JsonNode pattern = ro.get("pattern");
            if (pattern != null && pattern.isTextual()) {
                try {
                    if (!Pattern.compile(pattern.asText()).matcher(s).find()) {
                        return "pattern '" + pattern.asText() + "'";
                    }
                } catch (PatternSyntaxException e) {
                    return "pattern '" + pattern.asText() + "' is not a valid regular expression";
                }
            }
        } else if (v.isNumber()) {
            BigDecimal d = v.decimalValue();
            Bound l = lower(ro);
            if (l != null && !l.admitsLower(d)) {
                return l.keyword + " " + l.value.toPlainString();
            }
            Bound u = upper(ro);
            if (u != null && !u.admitsUpper(d)) {
                return u.keyword + " " + u.value.toPlainString();
            }
            BigDecimal m = decimal(ro.get("multipleOf"));
            if (m != null && m.signum() > 0 && d.remainder(m).signum() != 0) {
                return "multipleOf " + m.toPlainString();
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------------------
    // helpers

    private void add(String type, String path, String reason) {
        issues.add(new Issue(type, path, reason));
    }

    /** Runs a check into a fresh list and returns what it found, leaving the main list alone. */
    private List<Issue> trial(Runnable check) {
        List<Issue> saved = issues;
        issues = new ArrayList<>();
        try {
            check.run();
            return issues;
        } finally {
            issues = saved;
        }
    }

    /**
     * W split into one schema per type when it allows several (by its "type", or by the types of its enum/const
     * values), so each part can match a different branch of R.
     */
    private static List<Located> splitByType(Located w) {
        if (!w.node().isObject()) {
            return List.of(w);
        }
        ObjectNode wo = (ObjectNode) w.node();
        Set<String> declared = declaredTypes(wo);
        List<JsonNode> values = values(wo);
        List<Located> out = new ArrayList<>();
        if (values != null) {
            Map<String, ArrayNode> byType = new LinkedHashMap<>();
            for (JsonNode v : values) {
                String t = jsonType(v);
                if (declared == null || covers(declared, t)) {
                    byType.computeIfAbsent(t, x -> F.arrayNode()).add(v);
                }
            }
            if (byType.size() < 2) {
                return List.of(w);
            }
            byType.forEach((t, vs) -> {
                ObjectNode one = F.objectNode();
                one.setAll(wo);
                one.remove("const");
                one.put("type", t);
                one.set("enum", vs);
                out.add(new Located(one, w.doc()));
            });
            return out;
        }
        if (declared == null || declared.size() < 2) {
            return List.of(w);
        }
        for (String t : declared) {
            ObjectNode one = F.objectNode();
            one.setAll(wo);
            one.put("type", t);
            out.add(new Located(one, w.doc()));
        }
        return out;
    }

    /** The types of the data W allows: from its enum/const values, else its "type"; null for any type. */
    private static Set<String> writerTypes(ObjectNode wo) {
        Set<String> declared = declaredTypes(wo);
        List<JsonNode> values = values(wo);
        if (values != null) {
            Set<String> types = new LinkedHashSet<>();
            for (JsonNode v : values) {
                String t = jsonType(v);
                if (declared == null || covers(declared, t)) {
                    types.add(t);
                }
            }
            return types;
        }
        return declared;
    }

    /** The "type" keyword as a set, or null when absent. */
    private static Set<String> declaredTypes(ObjectNode o) {
        JsonNode t = o.get("type");
        if (t == null) {
            return null;
        }
        Set<String> out = new LinkedHashSet<>();
        if (t.isTextual()) {
            out.add(t.asText());
        } else if (t.isArray()) {
            t.forEach(x -> out.add(x.asText()));
        }
        return out;
    }

    /** Whether a value of type {@code t} is accepted by "type" {@code types} (integers are numbers). */
    private static boolean covers(Set<String> types, String t) {
        return types.contains(t) || (t.equals("integer") && types.contains("number"));
    }

    /** Types in both sets, where integer ∩ number = integer. */
    private static Set<String> intersect(Set<String> a, Set<String> b) {
        if (a == null) {
            return b == null ? new LinkedHashSet<>(ALL_TYPES) : b;
        }
        if (b == null) {
            return a;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String t : a) {
            if (covers(b, t)) {
                out.add(t);
            } else if (t.equals("number") && b.contains("integer")) {
                out.add("integer");
            }
        }
        return out;
    }

    /** The JSON Schema type of a value; numbers with no fractional part are integers. */
    private static String jsonType(JsonNode v) {
        return switch (v.getNodeType()) {
            case NULL -> "null";
            case BOOLEAN -> "boolean";
            case OBJECT -> "object";
            case ARRAY -> "array";
            case STRING -> "string";
            case NUMBER ->
                v.isIntegralNumber() || v.decimalValue().stripTrailingZeros().scale() <= 0 ? "integer" : "number";
            default -> "unknown";
        };
    }

    /** The values enum and const allow (both: the values in both), or null when neither is present. */
    private static List<JsonNode> values(ObjectNode o) {
        JsonNode e = o.get("enum");
        JsonNode c = o.get("const");
        if (e == null && c == null) {
            return null;
        }
        List<JsonNode> out = new ArrayList<>();
        if (e != null && e.isArray()) {
            e.forEach(v -> {
                if (c == null || v.equals(SAME_VALUE, c)) {
                    out.add(v);
                }
            });
        } else if (c != null) {
            out.add(c);
        }
        return out;
    }

    private static boolean contains(JsonNode array, JsonNode v) {
        for (JsonNode x : array) {
            if (x.equals(SAME_VALUE, v)) {
                return true;
            }
        }
        return false;
    }

    private static String render(List<JsonNode> values) {
        return values.stream().map(JsonNode::toString).toList().toString();
    }

    private static boolean isFalse(JsonNode n) {
        return n.isBoolean() && !n.booleanValue();
    }

    /** True, or an object without assertion keywords ({@code {}}, only a description, ...). */
    private static boolean acceptsAll(JsonNode n) {
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (!n.isObject()) {
            return true;
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (ASSERTIONS.contains(e.getKey())) {
                return false;
            }
        }
        return true;
    }

    /** A subschema keyword's value in its document; absent means true (anything). */
    private static Located subschema(Located parent, JsonNode value) {
        return new Located(value == null ? BooleanNode.TRUE : value, parent.doc());
    }

    private static Located firstMatching(Located s, ObjectNode patterns, String name) {
        List<Located> all = allMatching(s, patterns, name);
        return all.isEmpty() ? null : all.getFirst();
    }

    private static List<Located> allMatching(Located s, ObjectNode patterns, String name) {
        List<Located> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : patterns.properties()) {
            try {
                if (Pattern.compile(e.getKey()).matcher(name).find()) {
                    out.add(new Located(e.getValue(), s.doc()));
                }
            } catch (PatternSyntaxException ignored) {
                // rejected at parse time
            }
        }
        return out;
    }

    private static ObjectNode object(JsonNode n) {
        return n != null && n.isObject() ? (ObjectNode) n : EMPTY;
    }

    private static ObjectNode without(ObjectNode o, String key) {
        ObjectNode copy = F.objectNode();
        copy.setAll(o);
        copy.remove(key);
        return copy;
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> out = new LinkedHashSet<>();
        if (array != null && array.isArray()) {
            array.forEach(v -> out.add(v.asText()));
        }
        return out;
    }

    private static Integer integer(JsonNode n) {
        return n != null && n.isNumber() ? n.decimalValue().intValue() : null;
    }

    private static BigDecimal decimal(JsonNode n) {
        return n != null && n.isNumber() ? n.decimalValue() : null;
    }

    /** exclusiveMinimum → EXCLUSIVE_MINIMUM */
    private static String upperSnake(String keyword) {
        return keyword.replace("$", "").replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /** Two nodes compared by identity. */
    private record Pair(JsonNode reader, JsonNode writer) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Pair p && p.reader == reader && p.writer == writer;
        }

        @Override
        public int hashCode() {
            return 31 * System.identityHashCode(reader) + System.identityHashCode(writer);
        }
    }
}
