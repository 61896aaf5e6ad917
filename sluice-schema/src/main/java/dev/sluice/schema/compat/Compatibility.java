package dev.sluice.schema.compat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaIncompatibilityType;

/**
 * Checks a candidate schema against the previous versions of a subject, as the Confluent Schema Registry does.
 *
 * <p>Avro pairs are checked with Apache Avro's own {@code SchemaCompatibility.checkReaderWriterCompatibility}; its
 * findings are reworded to say which schema is the reader and which the writer. JSON Schema pairs are checked
 * structurally ("every document valid under the writer is valid under the reader"): see {@code
 * JsonSchemaCompatibility} for which keywords are compared and how; where it cannot prove compatibility it reports
 * an incompatibility rather than let a breaking change through.
 */
public final class Compatibility {
    private static final String NEW = "the new schema";

    private Compatibility() {}

    /**
     * Incompatibilities of candidate against previous versions of a subject (previous oldest first, may be empty),
     * with the exact meaning of the Confluent Schema Registry: BACKWARD = the candidate can read data written with
     * the latest previous; FORWARD = the latest previous can read data written with the candidate; FULL = both;
     * *_TRANSITIVE = against every previous version, not only the latest. NONE = always compatible.
     *
     * <p>Empty list = compatible. Each message names the path/field and why, e.g. "READER_FIELD_MISSING_DEFAULT_VALUE
     * at /fields/3 (field 'currency'): the new schema adds field 'currency' without a default, so it cannot read old
     * records that lack it (checked against version 2)". Schemas of different types are incompatible ("schema type
     * changed from AVRO to JSON"). The previous versions are numbered 1..n here; use {@link #checkVersioned} to
     * give their real version numbers.
     */
    public static List<String> check(
            CompatibilityLevel level, ParsedSchema candidate, List<ParsedSchema> previousOldestFirst) {
        Objects.requireNonNull(previousOldestFirst, "previousOldestFirst");
        List<Versioned> numbered = new ArrayList<>(previousOldestFirst.size());
        for (int i = 0; i < previousOldestFirst.size(); i++) {
            numbered.add(new Versioned(i + 1, previousOldestFirst.get(i)));
        }
        return checkVersioned(level, candidate, numbered);
    }

    /**
     * As {@link #check}, with the previous schemas' version numbers (the latest is the one with the highest
     * version). Transitive levels report the newest version's incompatibilities first.
     */
    public static List<String> checkVersioned(
            CompatibilityLevel level, ParsedSchema candidate, List<Versioned> previous) {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(candidate, "candidate");
        Objects.requireNonNull(previous, "previous");
        if (level == CompatibilityLevel.NONE || previous.isEmpty()) {
            return List.of();
        }
        List<Versioned> newestFirst = new ArrayList<>(previous);
        newestFirst.sort(Comparator.comparingInt(Versioned::version).reversed());
        List<Versioned> against = level.transitive() ? newestFirst : List.of(newestFirst.getFirst());

        List<String> out = new ArrayList<>();
        for (Versioned old : against) {
            String suffix = " (checked against version " + old.version() + ")";
            ParsedSchema previousSchema = old.schema();
            if (previousSchema.type() != candidate.type()) {
                out.add("schema type changed from " + previousSchema.type() + " to " + candidate.type() + suffix);
                continue;
            }
            String oldName = "version " + old.version();
            if (level.backward()) { // the new schema reads old data
                pair(candidate, previousSchema, true, oldName).forEach(m -> out.add(m + suffix));
            }
            if (level.forward()) { // the old schema reads new data
                pair(previousSchema, candidate, false, oldName).forEach(m -> out.add(m + suffix));
            }
        }
        return out;
    }

    /** Messages for reader reading writer's data; {@code readerIsNew} tells which of the two is the candidate. */
    private static List<String> pair(ParsedSchema reader, ParsedSchema writer, boolean readerIsNew, String oldName) {
        String readerName = readerIsNew ? NEW : oldName;
        String writerName = readerIsNew ? oldName : NEW;
        if (reader instanceof AvroSchema r && writer instanceof AvroSchema w) {
            return avro(r.avro(), w.avro(), readerIsNew, oldName);
        }
        if (reader instanceof JsonSchema r && writer instanceof JsonSchema w) {
            return JsonSchemaCompatibility.check(r, w, readerName, writerName).stream()
                    .map(JsonSchemaCompatibility.Issue::toString)
                    .toList();
        }
        throw new IllegalArgumentException("unsupported schema implementation: "
                + reader.getClass().getName() + " / " + writer.getClass().getName());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Avro: Apache Avro's own reader/writer check, with messages that say what changed and in which direction

    private static List<String> avro(Schema reader, Schema writer, boolean readerIsNew, String oldName) {
        return avro(reader, reader, writer, "", readerIsNew, oldName, 0);
    }

    /**
     * Messages for {@code reader} reading {@code writer}'s data, where {@code reader} sits at {@code prefix} (a JSON
     * pointer) inside {@code root}, the whole reader schema, which is used to name fields.
     */
    private static List<String> avro(
            Schema root, Schema reader, Schema writer, String prefix, boolean readerIsNew, String oldName, int depth) {
        List<Incompatibility> found = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                .getResult()
                .getIncompatibilities();
        List<String> out = new ArrayList<>(found.size());
        for (Incompatibility i : found) {
            String relative = i.getLocation() == null || i.getLocation().equals("/") ? "" : i.getLocation();
            String location = (prefix + relative).isEmpty() ? "/" : prefix + relative;
            String field = fieldAt(root, location);
            String reason = avroReason(i, location, readerIsNew, oldName);
            if (i.getType() == SchemaIncompatibilityType.MISSING_UNION_BRANCH && depth < 8) {
                reason += unionBranchDetail(root, i, location, readerIsNew, oldName, depth);
            }
            out.add(i.getType() + " at " + location + (field == null ? "" : " (field '" + field + "')") + ": "
                    + reason);
        }
        return out;
    }

    /**
     * Avro reports a union branch that changed incompatibly (say a nested record's field changed type) only as a
     * missing branch. When the reader union has a branch of the same name (or, unnamed, the same type), say why
     * that branch cannot read the writer's.
     */
    private static String unionBranchDetail(
            Schema root, Incompatibility i, String location, boolean readerIsNew, String oldName, int depth) {
        Schema readerUnion = i.getReaderFragment();
        Schema writerBranch = writerBranch(i, location);
        if (writerBranch == null || readerUnion.getType() != Schema.Type.UNION) {
            return "";
        }
        // union against union: the location ends with the index of the writer's branch
        String unionLocation = i.getWriterFragment().getType() == Schema.Type.UNION
                ? location.substring(0, location.lastIndexOf('/'))
                : location;
        List<Schema> branches = readerUnion.getTypes();
        for (int b = 0; b < branches.size(); b++) {
            Schema candidate = branches.get(b);
            boolean counterpart = candidate.getType() == writerBranch.getType()
                    && (!isNamed(candidate) || SchemaCompatibility.schemaNameEquals(candidate, writerBranch));
            if (counterpart) {
                List<String> nested =
                        avro(root, candidate, writerBranch, unionLocation + "/" + b, readerIsNew, oldName, depth + 1);
                if (!nested.isEmpty()) {
                    return " (its branch " + describe(candidate) + " cannot read it: " + nested.getFirst() + ")";
                }
            }
        }
        return "";
    }

    /** The writer's schema a missing union branch is about: the writer fragment, or its branch the location names. */
    private static Schema writerBranch(Incompatibility i, String location) {
        Schema writer = i.getWriterFragment();
        if (writer == null || writer.getType() != Schema.Type.UNION) {
            return writer;
        }
        int index = index(location.substring(location.lastIndexOf('/') + 1));
        return index < 0 || index >= writer.getTypes().size()
                ? null
                : writer.getTypes().get(index);
    }

    private static boolean isNamed(Schema s) {
        return s.getType() == Schema.Type.RECORD || s.getType() == Schema.Type.ENUM || s.getType() == Schema.Type.FIXED;
    }

    private static String avroReason(Incompatibility i, String location, boolean readerIsNew, String oldName) {
        String readerName = readerIsNew ? NEW : oldName;
        String writerName = readerIsNew ? oldName : NEW;
        String writerData = readerIsNew ? "old records" : "new records";
        return switch (i.getType()) {
            case READER_FIELD_MISSING_DEFAULT_VALUE -> {
                String name = "'" + i.getMessage() + "'";
                yield readerIsNew
                        ? NEW + " adds field " + name + " without a default, so it cannot read old records that "
                                + "lack it"
                        : NEW + " lacks field " + name + ", which " + oldName + " declares without a default, so "
                                + "readers using " + oldName + " cannot read new records";
            }
            case TYPE_MISMATCH ->
                describe(i.getReaderFragment()) + " in " + readerName + " cannot read "
                        + describe(i.getWriterFragment()) + " values written with " + writerName;
            case MISSING_ENUM_SYMBOLS ->
                "enum " + i.getReaderFragment().getFullName() + " in " + readerName
                        + " lacks the symbols " + i.getMessage() + " that " + writerName + " can write"
                        + (readerIsNew
                                ? " (keep them, or give the enum a default symbol)"
                                : ", so readers using " + oldName + " cannot read " + writerData
                                        + " that use them (an enum default in " + oldName + " would allow it)");
            case MISSING_UNION_BRANCH ->
                "the union in " + readerName + " has no branch that can read "
                        + Objects.requireNonNullElse(describe(writerBranch(i, location)), i.getMessage()) + ", which "
                        + writerName + " can write";
            case NAME_MISMATCH ->
                readerName + " expects the named type " + fullName(i.getReaderFragment())
                        + " where " + writerName + " writes " + fullName(i.getWriterFragment())
                        + " (rename it back, or add the other name as an alias)";
            case FIXED_SIZE_MISMATCH ->
                "fixed " + fullName(i.getReaderFragment()) + " has size "
                        + i.getReaderFragment().getFixedSize() + " in " + readerName + " but "
                        + i.getWriterFragment().getFixedSize() + " in " + writerName;
        };
    }

    private static String fullName(Schema s) {
        return switch (s.getType()) {
            case RECORD, ENUM, FIXED -> s.getFullName();
            default -> s.getType().getName();
        };
    }

    /** "long", "record com.acme.Address", "long (timestamp-millis)", "union [null, string]". */
    private static String describe(Schema s) {
        if (s == null) {
            return null;
        }
        String base =
                switch (s.getType()) {
                    case RECORD, ENUM, FIXED -> s.getType().getName() + " " + s.getFullName();
                    case UNION ->
                        "union "
                                + s.getTypes().stream()
                                        .map(Compatibility::describe)
                                        .toList();
                    case ARRAY -> "array of " + describe(s.getElementType());
                    case MAP -> "map of " + describe(s.getValueType());
                    default -> s.getType().getName();
                };
        return s.getLogicalType() == null
                ? base
                : base + " (" + s.getLogicalType().getName() + ")";
    }

    /**
     * The dotted field path that an Avro incompatibility location (a JSON pointer into the reader schema, e.g.
     * {@code /fields/1/type/fields/0}) points into, e.g. {@code address.street}; {@code []} marks array items and
     * {@code {}} map values. Null when the location is not inside a field.
     */
    static String fieldAt(Schema reader, String location) {
        String[] tokens = location.split("/");
        List<String> names = new ArrayList<>();
        Schema current = reader;
        int i = 1; // tokens[0] is the empty string before the leading '/'
        walk:
        while (i < tokens.length && current != null) {
            String t = tokens[i];
            switch (current.getType()) {
                case RECORD -> {
                    if (!t.equals("fields") || i + 1 >= tokens.length) {
                        break walk;
                    }
                    int index = index(tokens[i + 1]);
                    if (index < 0 || index >= current.getFields().size()) {
                        break walk;
                    }
                    Schema.Field f = current.getFields().get(index);
                    names.add(f.name());
                    i += 2;
                    if (i < tokens.length && tokens[i].equals("type")) {
                        current = f.schema();
                        i++;
                    } else {
                        break walk;
                    }
                }
                case UNION -> {
                    int index = index(t);
                    if (index < 0 || index >= current.getTypes().size()) {
                        break walk;
                    }
                    current = current.getTypes().get(index);
                    i++;
                }
                case ARRAY -> {
                    if (!t.equals("items") || names.isEmpty()) {
                        break walk;
                    }
                    names.set(names.size() - 1, names.getLast() + "[]");
                    current = current.getElementType();
                    i++;
                }
                case MAP -> {
                    if (!t.equals("values") || names.isEmpty()) {
                        break walk;
                    }
                    names.set(names.size() - 1, names.getLast() + "{}");
                    current = current.getValueType();
                    i++;
                }
                default -> {
                    break walk;
                }
            }
        }
        return names.isEmpty() ? null : String.join(".", names);
    }

    private static int index(String token) {
        try {
            return Integer.parseInt(token);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
