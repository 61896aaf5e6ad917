package dev.sluice.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.schema.compat.CompatibilityLevel;
import dev.sluice.schema.compat.SchemaReference;
import dev.sluice.schema.compat.SchemaType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The registry's state, rebuilt by applying the records of the {@code _schemas} topic in order.
 *
 * <p>Records use the layout of the Confluent Schema Registry's own topic: a JSON key with a {@code keytype}
 * ({@code SCHEMA} for a subject version, {@code CONFIG} for a compatibility level) and a JSON value; a null
 * value (tombstone) removes what the key names, so compaction keeps exactly the live state. Not thread-safe:
 * the owner serializes access.
 */
final class RegistryState {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Map<Integer, StoredSchema> byId = new HashMap<>();
    private final Map<String, Integer> idByContent = new HashMap<>();
    private final Map<String, TreeMap<Integer, SubjectVersion>> subjects = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private final CompatibilityLevel defaultLevel;
    private int maxId;

    RegistryState(CompatibilityLevel defaultLevel) {
        this.defaultLevel = defaultLevel;
    }

    // ---- reads

    List<String> subjects(boolean includeDeleted) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, TreeMap<Integer, SubjectVersion>> e : subjects.entrySet()) {
            if (!e.getValue().isEmpty()
                    && (includeDeleted || e.getValue().values().stream().anyMatch(v -> !v.deleted()))) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Versions of a subject, oldest first; empty when the subject is unknown. */
    List<SubjectVersion> versions(String subject, boolean includeDeleted) {
        TreeMap<Integer, SubjectVersion> vs = subjects.get(subject);
        if (vs == null) {
            return List.of();
        }
        return vs.values().stream().filter(v -> includeDeleted || !v.deleted()).toList();
    }

    boolean subjectExists(String subject, boolean includeDeleted) {
        return !versions(subject, includeDeleted).isEmpty();
    }

    Optional<SubjectVersion> version(String subject, int version) {
        TreeMap<Integer, SubjectVersion> vs = subjects.get(subject);
        return Optional.ofNullable(vs == null ? null : vs.get(version));
    }

    /** The highest version number the subject ever had (soft-deleted ones included), 0 if none. */
    int lastVersionNumber(String subject) {
        TreeMap<Integer, SubjectVersion> vs = subjects.get(subject);
        return vs == null || vs.isEmpty() ? 0 : vs.lastKey();
    }

    Optional<StoredSchema> schema(int id) {
        return Optional.ofNullable(byId.get(id));
    }

    Optional<Integer> idOf(SchemaType type, String canonical, List<SchemaReference> refs) {
        return Optional.ofNullable(idByContent.get(StoredSchema.contentKey(type, canonical, refs)));
    }

    int nextId() {
        return maxId + 1;
    }

    /** Every subject version that uses schema {@code id}. */
    List<SubjectVersion> usesOf(int id, boolean includeDeleted) {
        List<SubjectVersion> out = new ArrayList<>();
        for (TreeMap<Integer, SubjectVersion> vs : subjects.values()) {
            for (SubjectVersion v : vs.values()) {
                if (v.id() == id && (includeDeleted || !v.deleted())) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    /** Live subject versions whose schema references {@code subject} version {@code version}. */
    List<SubjectVersion> referrers(String subject, int version) {
        List<SubjectVersion> out = new ArrayList<>();
        for (TreeMap<Integer, SubjectVersion> vs : subjects.values()) {
            for (SubjectVersion v : vs.values()) {
                StoredSchema s = byId.get(v.id());
                if (!v.deleted()
                        && s != null
                        && s.references().stream()
                                .anyMatch(r -> r.subject().equals(subject) && r.version() == version)) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    CompatibilityLevel globalLevel() {
        return globalLevel == null ? defaultLevel : globalLevel;
    }

    boolean globalLevelSet() {
        return globalLevel != null;
    }

    Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevel(subject).orElse(globalLevel());
    }

    // ---- records

    static byte[] schemaKey(String subject, int version) {
        ObjectNode k = JSON.createObjectNode();
        k.put("keytype", "SCHEMA");
        k.put("subject", subject);
        k.put("version", version);
        k.put("magic", 1);
        return bytes(k);
    }

    static byte[] schemaValue(SubjectVersion v, StoredSchema s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("subject", v.subject());
        o.put("version", v.version());
        o.put("id", v.id());
        o.put("schemaType", s.type().name());
        o.put("schema", s.text());
        var refs = o.putArray("references");
        for (SchemaReference r : s.references()) {
            refs.addObject().put("name", r.name()).put("subject", r.subject()).put("version", r.version());
        }
        o.put("deleted", v.deleted());
        return bytes(o);
    }

    static byte[] configKey(String subjectOrNull) {
        ObjectNode k = JSON.createObjectNode();
        k.put("keytype", "CONFIG");
        if (subjectOrNull == null) {
            k.putNull("subject");
        } else {
            k.put("subject", subjectOrNull);
        }
        k.put("magic", 0);
        return bytes(k);
    }

    static byte[] configValue(CompatibilityLevel level) {
        ObjectNode o = JSON.createObjectNode();
        o.put("compatibilityLevel", level.name());
        return bytes(o);
    }

    private static byte[] bytes(JsonNode n) {
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Applies one record of the topic. {@code canonicalizer} turns a stored schema's text into its canonical
     * form (parsing it); a record this version cannot read is skipped, never fatal, so one bad record cannot
     * stop the registry.
     */
    void apply(byte[] key, byte[] value, Canonicalizer canonicalizer) {
        JsonNode k;
        try {
            k = JSON.readTree(key);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable key in the schemas topic", e);
        }
        String type = k.path("keytype").asText("");
        switch (type) {
            case "SCHEMA" -> applySchema(k, value, canonicalizer);
            case "CONFIG" -> applyConfig(k, value);
            default -> {
                // NOOP, MODE, DELETE_SUBJECT and other Confluent key types carry nothing Sluice keeps
            }
        }
    }

    /** Computes the canonical form of a stored schema. */
    interface Canonicalizer {
        String canonical(SchemaType type, String text, List<SchemaReference> references);
    }

    private void applySchema(JsonNode k, byte[] value, Canonicalizer canonicalizer) {
        String subject = k.path("subject").asText();
        int version = k.path("version").asInt();
        if (value == null) {
            TreeMap<Integer, SubjectVersion> vs = subjects.get(subject);
            if (vs != null) {
                SubjectVersion removed = vs.remove(version);
                if (vs.isEmpty()) {
                    subjects.remove(subject);
                }
                if (removed != null) {
                    forgetIfUnused(removed.id());
                }
            }
            return;
        }
        JsonNode v;
        try {
            v = JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable value in the schemas topic", e);
        }
        int id = v.path("id").asInt();
        SchemaType st = SchemaType.parse(v.path("schemaType").asText("AVRO"));
        List<SchemaReference> refs = new ArrayList<>();
        for (JsonNode r : v.path("references")) {
            refs.add(new SchemaReference(
                    r.path("name").asText(),
                    r.path("subject").asText(),
                    r.path("version").asInt()));
        }
        String text = v.path("schema").asText();
        if (!byId.containsKey(id)) {
            String canonical = canonicalizer.canonical(st, text, refs);
            StoredSchema s = new StoredSchema(id, st, text, canonical, List.copyOf(refs));
            byId.put(id, s);
            idByContent.putIfAbsent(s.contentKey(), id);
        }
        maxId = Math.max(maxId, id);
        subjects.computeIfAbsent(subject, x -> new TreeMap<>())
                .put(
                        version,
                        new SubjectVersion(
                                subject, version, id, v.path("deleted").asBoolean(false)));
    }

    private void forgetIfUnused(int id) {
        if (usesOf(id, true).isEmpty()) {
            StoredSchema s = byId.remove(id);
            if (s != null) {
                idByContent.remove(s.contentKey(), id);
            }
        }
    }

    private void applyConfig(JsonNode k, byte[] value) {
        JsonNode subject = k.get("subject");
        CompatibilityLevel level = null;
        if (value != null) {
            try {
                level = CompatibilityLevel.parse(
                        JSON.readTree(value).path("compatibilityLevel").asText());
            } catch (IOException | IllegalArgumentException e) {
                return;
            }
        }
        if (subject == null || subject.isNull()) {
            globalLevel = level;
        } else if (level == null) {
            subjectLevels.remove(subject.asText());
        } else {
            subjectLevels.put(subject.asText(), level);
        }
    }

    /** Subjects with any version (soft-deleted included) or a subject-level config. */
    Set<String> knownSubjects() {
        Set<String> s = new LinkedHashSet<>(subjects.keySet());
        s.addAll(subjectLevels.keySet());
        return s;
    }
}
