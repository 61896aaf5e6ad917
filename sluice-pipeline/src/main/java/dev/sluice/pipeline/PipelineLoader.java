package dev.sluice.pipeline;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.Spec.Key;
import dev.sluice.pipeline.Spec.Kind;
import dev.sluice.pipeline.Spec.Section;
import dev.sluice.pipeline.Yaml.Entry;
import dev.sluice.pipeline.Yaml.ListNode;
import dev.sluice.pipeline.Yaml.Loc;
import dev.sluice.pipeline.Yaml.MapNode;
import dev.sluice.pipeline.Yaml.Node;
import dev.sluice.pipeline.Yaml.Scalar;
import dev.sluice.schema.avro.AvroToJsonSchema;
import dev.sluice.schema.compat.AvroSchema;
import dev.sluice.schema.compat.InvalidSchemaException;
import dev.sluice.schema.compat.ParsedSchema;
import dev.sluice.schema.compat.SchemaType;
import dev.sluice.schema.compat.Schemas;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a pipeline file: parses the YAML once into a tree that keeps every node's line and column,
 * interpolates environment variables into scalar values, validates everything against {@link Spec}
 * (the same declaration the reference documentation is generated from), loads the streams' JSON
 * Schemas and compiles the CEL expressions. Every problem is collected and reported as {@code
 * file:line:col: path: message}, not just the first.
 */
public final class PipelineLoader {

    /** Path of problems that concern the whole file (unreadable, not YAML, empty). */
    public static final String FILE_PATH = "<file>";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern STREAM_NAME = Pattern.compile(Spec.STREAM_NAME);
    private static final Pattern COMPONENT_NAME = Pattern.compile(Spec.COMPONENT_NAME);
    private static final Pattern IDENTIFIER = Pattern.compile(Spec.IDENTIFIER);
    private static final Pattern MEASURE = Pattern.compile("\\s*([A-Za-z_0-9]+)\\s*(?:\\(\\s*(.*?)\\s*\\))?\\s*");
    /**
     * Columns every view table has besides its group fields and measures; names starting with an
     * underscore are reserved for internal columns too.
     */
    public static final Set<String> RESERVED_COLUMNS =
            Set.of("window_start", "window_end", "version", "watermark", "updated_at");

    private final Map<String, String> env;

    /** @param env the environment variables interpolated into the file */
    public PipelineLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** A loader interpolating the process's environment. */
    public static PipelineLoader withSystemEnv() {
        return new PipelineLoader(System.getenv());
    }

    /**
     * Loads and validates a pipeline file.
     *
     * @throws PipelineException listing every problem found
     */
    public Pipeline load(Path file) throws PipelineException {
        Run run = new Run(file);
        Pipeline p = run.run();
        if (!run.problems.isEmpty()) {
            throw new PipelineException(run.sortedProblems());
        }
        return p;
    }

    /** Every problem of a pipeline file, in file order; empty when it loads. */
    public List<Problem> lint(Path file) {
        Run run = new Run(file);
        run.run();
        return run.sortedProblems();
    }

    /** The state of one load: the file, its lines and the problems found so far. */
    private final class Run {
        private final Path file;
        private final String fileName;
        private final List<Problem> problems = new ArrayList<>();
        private List<String> lines = List.of();
        /** Names of streams and views, filled as they are read, for references. */
        private final Map<String, StreamInfo> streams = new LinkedHashMap<>();

        private final Set<String> viewNames = new LinkedHashSet<>();

        Run(Path file) {
            this.file = file;
            this.fileName = file.toString();
        }

        List<Problem> sortedProblems() {
            List<Problem> sorted = new ArrayList<>(problems);
            sorted.sort(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column));
            return List.copyOf(sorted);
        }

        void problem(Loc loc, String path, String message) {
            problems.add(new Problem(fileName, loc.line(), loc.column(), path, message));
        }

        Pipeline run() {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                problem(new Loc(1, 1), FILE_PATH, "file not found");
                return null;
            } catch (IOException e) {
                problem(new Loc(1, 1), FILE_PATH, "cannot read the file: " + e.getMessage());
                return null;
            }
            lines = text.lines().toList();
            Yaml.Document doc;
            try {
                doc = Yaml.parse(text);
            } catch (Yaml.SyntaxError e) {
                problem(e.loc(), FILE_PATH, e.getMessage());
                return null;
            }
            for (Yaml.Duplicate d : doc.duplicates()) {
                problem(
                        d.entry().keyLoc(),
                        Yaml.child(d.path(), d.entry().key()),
                        "duplicate key '" + d.entry().key() + "'");
            }
            if (doc.root() == null || (doc.root() instanceof Scalar s && s.isNull())) {
                problem(new Loc(1, 1), FILE_PATH, "the file is empty; a pipeline file starts with 'pipeline: <name>'");
                return null;
            }
            Node root = interpolate(doc.root(), "");
            if (!(root instanceof MapNode top)) {
                problem(
                        root.loc(),
                        FILE_PATH,
                        "expected a mapping of sections (pipeline, streams, ...), got " + what(root));
                return null;
            }
            return pipeline(top);
        }

        // ------------------------------------------------------------ interpolation

        Node interpolate(Node node, String path) {
            return switch (node) {
                case Scalar s
                when s.value() instanceof String str -> {
                    try {
                        String v = Interpolation.apply(str, env);
                        yield v.equals(str) ? s : new Scalar(v, v, s.loc());
                    } catch (Interpolation.InterpolationException e) {
                        problem(s.loc(), path, e.getMessage());
                        yield new Scalar(null, str, s.loc(), true);
                    }
                }
                case Scalar s -> s;
                case MapNode m -> {
                    Map<String, Entry> entries = new LinkedHashMap<>();
                    m.entries()
                            .forEach((k, e) -> entries.put(
                                    k, new Entry(k, e.keyLoc(), interpolate(e.value(), Yaml.child(path, k)))));
                    yield new MapNode(entries, m.loc());
                }
                case ListNode l -> {
                    List<Node> items = new ArrayList<>();
                    for (int i = 0; i < l.items().size(); i++) {
                        items.add(interpolate(l.items().get(i), path + "[" + i + "]"));
                    }
                    yield new ListNode(items, l.loc());
                }
            };
        }

        // ------------------------------------------------------------ generic reading

        /** A mapping read against a section: converted values, with their locations. */
        final class Obj {
            final MapNode node;
            final String path;
            final Map<String, Object> values = new HashMap<>();
            final Section section;
            final Section variant;

            Obj(MapNode node, String path, Section section, Section variant) {
                this.node = node;
                this.path = path;
                this.section = section;
                this.variant = variant;
            }

            Key key(String name) {
                Key k = section.key(name);
                return k == null && variant != null ? variant.key(name) : k;
            }

            /** The converted value, or the key's default, or null. */
            Object get(String name) {
                Object v = values.get(name);
                if (v != null) {
                    return v;
                }
                Key k = key(name);
                return k == null ? null : Spec.defaultOf(k);
            }

            boolean written(String name) {
                Node n = node.get(name);
                return n != null && !(n instanceof Scalar s && s.isNull());
            }

            String str(String name) {
                return (String) get(name);
            }

            long lng(String name, long fallback) {
                Object v = get(name);
                return v instanceof Long l ? l : fallback;
            }

            double dbl(String name, double fallback) {
                Object v = get(name);
                return v instanceof Double d ? d : fallback;
            }

            Duration duration(String name) {
                return (Duration) get(name);
            }

            MapNode map(String name) {
                return (MapNode) values.get(name);
            }

            ListNode list(String name) {
                return (ListNode) values.get(name);
            }

            Loc loc(String name) {
                Node n = node.get(name);
                return n != null ? n.loc() : node.loc();
            }

            String path(String name) {
                return Yaml.child(path, name);
            }
        }

        Obj read(MapNode m, String path, Section section) {
            Section variant = null;
            boolean variantKnown = section.discriminator() == null;
            if (section.discriminator() != null && m.get(section.discriminator()) instanceof Scalar s) {
                variant = section.variants().get(s.text());
                variantKnown = variant != null || s.broken();
                if (s.broken()) {
                    variantKnown = false;
                }
            }
            Obj o = new Obj(m, path, section, variant);
            for (Entry e : m.entries().values()) {
                Key k = o.key(e.key());
                if (k == null) {
                    if (variant == null && !variantKnown && inAnyVariant(section, e.key())) {
                        continue; // the type is missing or wrong (reported): do not guess further
                    }
                    unknownKey(e, path, section, variant);
                    continue;
                }
                readValue(o, k, e);
            }
            List<Key> all = new ArrayList<>(section.keys());
            if (variant != null) {
                all.addAll(variant.keys());
            }
            for (Key k : all) {
                if (k.required() && !o.written(k.name())) {
                    Entry e = m.entry(k.name());
                    if (e == null) {
                        problem(
                                m.loc(),
                                path,
                                "missing required key '" + k.name() + "'"
                                        + (k.example() != null ? " (e.g. " + k.name() + ": " + k.example() + ")" : ""));
                    } else {
                        problem(e.value().loc(), o.path(k.name()), "missing value");
                    }
                }
            }
            return o;
        }

        private boolean inAnyVariant(Section section, String key) {
            return section.variants().values().stream().anyMatch(v -> v.key(key) != null);
        }

        private void unknownKey(Entry e, String path, Section section, Section variant) {
            List<String> names = new ArrayList<>();
            section.keys().forEach(k -> names.add(k.name()));
            if (variant != null) {
                variant.keys().forEach(k -> names.add(k.name()));
            }
            String hint = Spec.didYouMean(e.key(), names);
            if (hint.isEmpty() && variant != null) {
                for (Map.Entry<String, Section> v : section.variants().entrySet()) {
                    if (v.getValue() != variant && v.getValue().key(e.key()) != null) {
                        hint = " (it applies to " + section.discriminator() + ": " + v.getKey() + ")";
                        break;
                    }
                }
            }
            problem(e.keyLoc(), path.isEmpty() ? e.key() : path, "unknown key '" + e.key() + "'" + hint);
        }

        private void readValue(Obj o, Key k, Entry e) {
            Node n = e.value();
            String path = o.path(k.name());
            if (n instanceof Scalar s && (s.isNull() || s.broken())) {
                return; // absent (required keys are reported by the caller) or already reported
            }
            if (k.isScalar()) {
                if (!(n instanceof Scalar s)) {
                    problem(n.loc(), path, "expected " + typeWords(k) + ", got " + what(n));
                    return;
                }
                try {
                    o.values.put(k.name(), Spec.convert(k, s.value(), s.text()));
                } catch (Spec.BadValue bad) {
                    problem(s.loc(), path, bad.getMessage());
                }
                return;
            }
            switch (k.kind()) {
                case FIELD_LIST, REF_LIST, LIST -> {
                    if (!(n instanceof ListNode l)) {
                        problem(
                                n.loc(),
                                path,
                                "expected " + typeWords(k) + ", got " + what(n)
                                        + (k.example() != null ? " (e.g. " + k.name() + ": " + k.example() + ")" : ""));
                        return;
                    }
                    if (k.kind() != Kind.LIST) {
                        for (int i = 0; i < l.items().size(); i++) {
                            Node item = l.items().get(i);
                            if (!(item instanceof Scalar s)
                                    || s.isNull()
                                    || s.text().isEmpty()) {
                                problem(item.loc(), path + "[" + i + "]", "expected a name, got " + what(item));
                            }
                        }
                    }
                    o.values.put(k.name(), l);
                }
                default -> {
                    if (!(n instanceof MapNode m)) {
                        problem(n.loc(), path, "expected " + typeWords(k) + ", got " + what(n));
                        return;
                    }
                    o.values.put(k.name(), m);
                }
            }
        }

        /** Entries of a map-valued key whose values must be mappings; others are reported. */
        List<Map.Entry<Entry, MapNode>> mappings(MapNode m, String path, String what) {
            List<Map.Entry<Entry, MapNode>> out = new ArrayList<>();
            if (m == null) {
                return out;
            }
            for (Entry e : m.entries().values()) {
                if (e.value() instanceof MapNode v) {
                    out.add(Map.entry(e, v));
                } else {
                    problem(
                            e.value().loc(),
                            Yaml.child(path, e.key()),
                            "expected " + what + " (a mapping of keys), got " + what(e.value()));
                }
            }
            return out;
        }

        boolean checkName(Entry e, String path, Pattern pattern, String what) {
            if (!pattern.matcher(e.key()).matches()) {
                problem(
                        e.keyLoc(),
                        Yaml.child(path, e.key()),
                        "'" + e.key() + "' is not a valid " + what + " name: use " + pattern.pattern());
                return false;
            }
            return true;
        }

        // ------------------------------------------------------------ sections

        Pipeline pipeline(MapNode root) {
            Obj top = read(root, "", Spec.TOP);
            String name = top.str("pipeline");

            // views' names first: a stream may not share one, and sinks may name either
            MapNode viewsNode = top.map("views");
            if (viewsNode != null) {
                viewNames.addAll(viewsNode.entries().keySet());
            }

            Map<String, StreamDef> streamDefs = new LinkedHashMap<>();
            MapNode streamsNode = top.map("streams");
            if (streamsNode != null && streamsNode.entries().isEmpty()) {
                problem(streamsNode.loc(), "streams", "declare at least one stream");
            }
            for (Map.Entry<Entry, MapNode> e : mappings(streamsNode, "streams", "a stream")) {
                StreamInfo s = stream(e.getKey(), e.getValue());
                streams.put(e.getKey().key(), s);
                streamDefs.put(e.getKey().key(), s.def());
            }

            Map<String, SourceDef> sources = new LinkedHashMap<>();
            for (Map.Entry<Entry, MapNode> e : mappings(top.map("sources"), "sources", "a source")) {
                SourceDef s = source(e.getKey(), e.getValue());
                if (s != null) {
                    sources.put(e.getKey().key(), s);
                }
            }

            Map<String, TableDef> tables = new LinkedHashMap<>();
            for (Map.Entry<Entry, MapNode> e : mappings(top.map("tables"), "tables", "a table")) {
                TableDef t = table(e.getKey(), e.getValue());
                if (t != null) {
                    tables.put(e.getKey().key(), t);
                }
            }

            Map<String, ViewDef> views = new LinkedHashMap<>();
            for (Map.Entry<Entry, MapNode> e : mappings(viewsNode, "views", "a view")) {
                views.put(e.getKey().key(), view(e.getKey(), e.getValue()));
            }

            Map<String, SinkDef> sinks = new LinkedHashMap<>();
            for (Map.Entry<Entry, MapNode> e : mappings(top.map("sinks"), "sinks", "a sink")) {
                SinkDef s = sink(e.getKey(), e.getValue());
                if (s != null) {
                    sinks.put(e.getKey().key(), s);
                }
            }
            if (!problems.isEmpty()) {
                return null;
            }
            return new Pipeline(
                    name,
                    file,
                    Collections.unmodifiableMap(streamDefs),
                    Collections.unmodifiableMap(sources),
                    Collections.unmodifiableMap(views),
                    Collections.unmodifiableMap(sinks),
                    Collections.unmodifiableMap(tables));
        }

        /** A table: its stream, and key and value fields that are the stream's schema fields, each once. */
        TableDef table(Entry entry, MapNode node) {
            String name = entry.key();
            String path = "tables." + name;
            checkName(entry, "tables", STREAM_NAME, "table");
            if (streams.containsKey(name) || viewNames.contains(name)) {
                problem(
                        entry.keyLoc(),
                        path,
                        "'" + name + "' is also the name of a " + (streams.containsKey(name) ? "stream" : "view")
                                + "; tables, streams and views need distinct names");
            }
            Obj o = read(node, path, Spec.TABLE);
            StreamInfo stream = streamRef(o, "from");
            Map<String, Expressions.Type> fields = stream == null ? null : stream.fields();
            List<String> key = tableFields(o, "key", stream, fields);
            List<String> value = tableFields(o, "fields", stream, fields);
            ListNode keyNode = o.list("key");
            if (keyNode != null && keyNode.items().isEmpty()) {
                problem(keyNode.loc(), o.path("key"), "name at least one key field");
            }
            if (stream == null) {
                return null;
            }
            return new TableDef(name, o.str("from"), key, value);
        }

        /** A table's list of fields: schema fields of its stream, each once. */
        List<String> tableFields(Obj o, String listKey, StreamInfo stream, Map<String, Expressions.Type> fields) {
            List<String> out = new ArrayList<>();
            ListNode list = o.list(listKey);
            if (list == null) {
                return out;
            }
            for (int i = 0; i < list.items().size(); i++) {
                if (!(list.items().get(i) instanceof Scalar s)
                        || s.isNull()
                        || s.text().isEmpty()) {
                    continue; // reported
                }
                String ipath = o.path(listKey) + "[" + i + "]";
                if (out.contains(s.text())) {
                    problem(s.loc(), ipath, "'" + s.text() + "' is named twice");
                } else if (fields != null && !fields.containsKey(s.text())) {
                    problem(
                            s.loc(),
                            ipath,
                            notAField(s.text(), "of stream '" + stream.def().name() + "'", fields.keySet()));
                }
                out.add(s.text());
            }
            return out;
        }

        /** A stream and, when its schema loaded, the expression variables of its fields. */
        record StreamInfo(StreamDef def, Map<String, Expressions.Type> fields) {}

        StreamInfo stream(Entry entry, MapNode node) {
            String name = entry.key();
            String path = "streams." + name;
            checkName(entry, "streams", STREAM_NAME, "stream");
            if (viewNames.contains(name)) {
                problem(
                        entry.keyLoc(),
                        path,
                        "'" + name + "' is also the name of a view; streams and views need" + " distinct names");
            }
            Obj o = read(node, path, Spec.STREAM);
            String schemaText = o.str("schema");
            Path schemaFile = null;
            JsonNode schema = null;
            String schemaSource = null;
            Map<String, Expressions.Type> fields = null;
            if (schemaText != null) {
                Path dir = file.toAbsolutePath().getParent();
                schemaFile = (dir == null ? Path.of(schemaText) : dir.resolve(schemaText)).normalize();
                schema = schema(schemaFile, schemaText, o.loc("schema"), o.path("schema"));
                if (schema != null) {
                    schemaSource = readQuietly(schemaFile);
                    fields = Expressions.variablesOf(schema);
                }
            }
            String id = o.str("id");
            String time = o.str("time");
            String key = o.str("key");
            if (fields != null) {
                for (String k : List.of("id", "time", "key", "source_time")) {
                    String f = o.str(k);
                    if (f == null || fields.containsKey(f)) {
                        continue;
                    }
                    if (o.written(k)) {
                        problem(o.loc(k), o.path(k), notAField(f, schemaText, fields.keySet()));
                    } else {
                        problem(
                                node.loc(),
                                path,
                                "the schema has no property '" + f + "', the default of '" + k + "'; set '" + k
                                        + "' to the field carrying the event id");
                    }
                }
            }
            StreamDef def = new StreamDef(
                    name,
                    schemaFile,
                    schema,
                    id,
                    time,
                    key,
                    (int) o.lng("partitions", StreamDef.DEFAULT_PARTITIONS),
                    o.duration("retention"),
                    o.duration("dedup"),
                    avro(schemaFile) ? "AVRO" : "JSON",
                    schemaSource,
                    o.str("subject"),
                    o.str("source_time"));
            return new StreamInfo(def, fields);
        }

        JsonNode schema(Path schemaFile, String written, Loc loc, String path) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(schemaFile);
            } catch (NoSuchFileException e) {
                problem(loc, path, "schema file '" + written + "' not found (looked at " + schemaFile + ")");
                return null;
            } catch (IOException e) {
                problem(loc, path, "cannot read schema file '" + written + "': " + e.getMessage());
                return null;
            }
            if (avro(schemaFile)) {
                try {
                    ParsedSchema parsed = Schemas.parse(SchemaType.AVRO, new String(bytes, StandardCharsets.UTF_8));
                    org.apache.avro.Schema a = ((AvroSchema) parsed).avro();
                    if (a.getType() != org.apache.avro.Schema.Type.RECORD) {
                        problem(
                                loc,
                                path,
                                "Avro schema file '" + written + "' must define a record, not " + a.getType());
                        return null;
                    }
                    return AvroToJsonSchema.convert(a);
                } catch (InvalidSchemaException e) {
                    problem(loc, path, "schema file '" + written + "' is not a valid Avro schema: " + e.getMessage());
                    return null;
                }
            }
            JsonNode schema;
            try {
                schema = JSON.readTree(bytes);
            } catch (JacksonException e) {
                String where = e.getLocation() == null
                        ? ""
                        : " at line " + e.getLocation().getLineNr() + ", column "
                                + e.getLocation().getColumnNr();
                problem(
                        loc,
                        path,
                        "schema file '" + written + "' is not valid JSON" + where + ": " + e.getOriginalMessage());
                return null;
            } catch (IOException e) {
                problem(loc, path, "cannot read schema file '" + written + "': " + e.getMessage());
                return null;
            }
            if (schema == null || !schema.isObject()) {
                problem(loc, path, "schema file '" + written + "' is not a JSON Schema object");
                return null;
            }
            if (!schema.path("properties").isObject()) {
                problem(
                        loc,
                        path,
                        "schema file '" + written + "' has no 'properties' object: the event's fields"
                                + " must be declared there");
                return null;
            }
            return schema;
        }

        static boolean avro(Path schemaFile) {
            return schemaFile != null && schemaFile.getFileName().toString().endsWith(".avsc");
        }

        static String readQuietly(Path file) {
            try {
                return Files.readString(file);
            } catch (IOException e) {
                return null;
            }
        }

        SourceDef source(Entry entry, MapNode node) {
            String name = entry.key();
            String path = "sources." + name;
            checkName(entry, "sources", COMPONENT_NAME, "source");
            Obj o = read(node, path, Spec.SOURCE);
            String stream = o.str("stream");
            StreamInfo info = streamRef(o, "stream");
            String type = o.str("type");
            if (type == null) {
                return null;
            }
            return switch (type) {
                case "http" ->
                    new SourceDef.Http(name, stream, o.lng("max_body", SourceDef.Http.DEFAULT_MAX_BODY_BYTES), (int)
                            o.lng("max_in_flight", SourceDef.Http.DEFAULT_MAX_IN_FLIGHT_EVENTS));
                case "kafka" -> new SourceDef.Kafka(name, stream, o.str("topic"), o.str("format"), o.str("start_from"));
                case "generator" ->
                    new SourceDef.Generator(
                            name,
                            stream,
                            o.dbl("rate", 100),
                            o.lng("limit", 0),
                            o.dbl("duplicates", 0),
                            o.dbl("late", 0),
                            o.duration("late_by"),
                            generatorFields(o.map("fields"), o.path("fields"), info));
                default -> null;
            };
        }

        Map<String, JsonNode> generatorFields(MapNode m, String path, StreamInfo stream) {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            for (Map.Entry<Entry, MapNode> e : mappings(m, path, "a field override")) {
                String field = e.getKey().key();
                String fpath = Yaml.child(path, field);
                if (stream != null
                        && stream.fields() != null
                        && !stream.fields().containsKey(field)) {
                    problem(
                            e.getKey().keyLoc(),
                            fpath,
                            notAField(
                                    field,
                                    "of stream '" + stream.def().name() + "'",
                                    stream.fields().keySet()));
                }
                Obj f = read(e.getValue(), fpath, Spec.GENERATOR_FIELD);
                ObjectNode json = JsonNodeFactory.instance.objectNode();
                if (f.list("values") != null) {
                    json.set("values", toJson(f.list("values")));
                }
                for (String k : List.of("min", "max")) {
                    if (f.get(k) instanceof Double d) {
                        json.put(k, d);
                    }
                }
                if (f.get("cardinality") instanceof Long c) {
                    json.put("cardinality", c);
                }
                if (f.get("min") instanceof Double lo && f.get("max") instanceof Double hi && lo > hi) {
                    problem(f.loc("max"), f.path("max"), "max " + hi + " is below min " + lo);
                }
                out.put(field, json);
            }
            return Collections.unmodifiableMap(out);
        }

        JsonNode toJson(Node n) {
            return switch (n) {
                case MapNode m -> {
                    ObjectNode o = JsonNodeFactory.instance.objectNode();
                    m.entries().forEach((k, e) -> o.set(k, toJson(e.value())));
                    yield o;
                }
                case ListNode l -> {
                    ArrayNode a = JsonNodeFactory.instance.arrayNode();
                    l.items().forEach(i -> a.add(toJson(i)));
                    yield a;
                }
                case Scalar s ->
                    switch (s.value()) {
                        case null -> JsonNodeFactory.instance.nullNode();
                        case Long v -> JsonNodeFactory.instance.numberNode(v);
                        case BigInteger v -> JsonNodeFactory.instance.numberNode(v);
                        case Double v -> JsonNodeFactory.instance.numberNode(v);
                        case Boolean v -> JsonNodeFactory.instance.booleanNode(v);
                        default -> JsonNodeFactory.instance.textNode(s.text());
                    };
            };
        }

        /** The stream named by a key, reporting unknown names; null when unknown or not written. */
        StreamInfo streamRef(Obj o, String key) {
            String name = o.str(key);
            if (name == null) {
                return null;
            }
            StreamInfo s = streams.get(name);
            if (s == null) {
                String why = viewNames.contains(name)
                        ? "'" + name + "' is a view, not a stream"
                        : "unknown stream '" + name + "'" + Spec.didYouMean(name, streams.keySet());
                problem(o.loc(key), o.path(key), why);
            }
            return s;
        }

        ViewDef view(Entry entry, MapNode node) {
            String name = entry.key();
            String path = "views." + name;
            checkName(entry, "views", STREAM_NAME, "view");
            Obj o = read(node, path, Spec.VIEW);
            StreamInfo stream = streamRef(o, "from");
            // the variables known so far; null when the stream or its schema is unknown (then field
            // checks and compilation are skipped: every reference would be reported otherwise)
            Map<String, Expressions.Type> vars =
                    stream == null || stream.fields() == null ? null : new LinkedHashMap<>(stream.fields());

            Map<String, Expression> derive = new LinkedHashMap<>();
            MapNode deriveNode = o.map("derive");
            if (deriveNode != null) {
                for (Entry e : deriveNode.entries().values()) {
                    String dpath = Yaml.child(o.path("derive"), e.key());
                    if (!IDENTIFIER.matcher(e.key()).matches()) {
                        problem(
                                e.keyLoc(),
                                dpath,
                                "'" + e.key() + "' is not a valid field name: use " + Spec.IDENTIFIER);
                        continue;
                    }
                    if (vars != null && stream.fields().containsKey(e.key())) {
                        problem(
                                e.keyLoc(),
                                dpath,
                                "'" + e.key() + "' is already a field of stream '"
                                        + stream.def().name() + "'; give the derived field another name");
                        continue;
                    }
                    Expressions.Compiled c = compile(e.value(), dpath, vars);
                    if (c != null) {
                        derive.put(e.key(), c);
                    }
                    if (vars != null) {
                        vars.put(e.key(), c == null ? Expressions.Type.DYN : c.resultType());
                    }
                }
            }

            Expression filter = null;
            if (o.written("filter") && o.node.get("filter") instanceof Scalar) {
                Expressions.Compiled c = compile(o.node.get("filter"), o.path("filter"), vars);
                if (c != null && c.resultType() != Expressions.Type.BOOL && c.resultType() != Expressions.Type.DYN) {
                    problem(
                            o.loc("filter"),
                            o.path("filter"),
                            "a filter must be a boolean expression; '" + c.source() + "' gives "
                                    + c.resultType().celName());
                }
                filter = c;
            }

            WindowDef window = null;
            if (o.map("window") != null) {
                window = window(o.map("window"), o.path("window"));
            }

            List<String> groupBy = new ArrayList<>();
            ListNode groupNode = o.list("group_by");
            if (groupNode != null) {
                for (int i = 0; i < groupNode.items().size(); i++) {
                    if (!(groupNode.items().get(i) instanceof Scalar s)
                            || s.isNull()
                            || s.text().isEmpty()) {
                        continue; // reported
                    }
                    String ipath = o.path("group_by") + "[" + i + "]";
                    if (groupBy.contains(s.text())) {
                        problem(s.loc(), ipath, "'" + s.text() + "' is grouped by twice");
                    } else if (isReserved(s.text())) {
                        problem(s.loc(), ipath, reservedMessage(s.text(), "field (derive a copy under another name)"));
                    } else if (vars != null && !vars.containsKey(s.text())) {
                        problem(
                                s.loc(),
                                ipath,
                                notAField(
                                        s.text(),
                                        "of stream '" + stream.def().name() + "' nor derived",
                                        vars.keySet()));
                    }
                    groupBy.add(s.text());
                }
            }

            List<MeasureDef> measures = new ArrayList<>();
            MapNode measuresNode = o.map("measures");
            if (measuresNode != null && measuresNode.entries().isEmpty()) {
                problem(measuresNode.loc(), o.path("measures"), "declare at least one measure (e.g. orders: count)");
            }
            if (measuresNode != null) {
                for (Entry e : measuresNode.entries().values()) {
                    MeasureDef m = measure(e, Yaml.child(o.path("measures"), e.key()), vars, groupBy, stream);
                    if (m != null) {
                        measures.add(m);
                    }
                }
            }
            List<Duration> rollup = rollup(o, window, filter, groupBy, measures, stream);
            return new ViewDef(
                    name,
                    o.str("from"),
                    Collections.unmodifiableMap(derive),
                    filter,
                    window,
                    List.copyOf(groupBy),
                    List.copyOf(measures),
                    o.duration("sla"),
                    rollup);
        }

        /** The view's rollup sizes, checked: multiples of a tumbling window, over what ClickHouse can compute. */
        List<Duration> rollup(
                Obj o,
                WindowDef window,
                Expression filter,
                List<String> groupBy,
                List<MeasureDef> measures,
                StreamInfo stream) {
            ListNode list = o.list("rollup");
            if (list == null || list.items().isEmpty()) {
                return List.of();
            }
            String path = o.path("rollup");
            if (window == null || window.type() != WindowDef.Type.TUMBLING) {
                problem(o.loc("rollup"), path, "rollups need a tumbling window on the view");
                return List.of();
            }
            List<Duration> sizes = new ArrayList<>();
            for (int i = 0; i < list.items().size(); i++) {
                String ipath = path + "[" + i + "]";
                if (!(list.items().get(i) instanceof Scalar s) || s.isNull()) {
                    problem(list.items().get(i).loc(), ipath, "expected a duration such as 1h");
                    continue;
                }
                Duration d;
                try {
                    d = Spec.parseDuration(s.text(), false);
                } catch (Spec.BadValue e) {
                    problem(s.loc(), ipath, e.getMessage());
                    continue;
                }
                if (d.toMillis() <= window.size().toMillis()
                        || d.toMillis() % window.size().toMillis() != 0
                        || d.toMillis() % 1000 != 0) {
                    problem(
                            s.loc(),
                            ipath,
                            "a rollup is a whole multiple of the view's window ("
                                    + window.size().toSeconds() + " s) and larger; '" + s.text() + "' is not");
                    continue;
                }
                if (sizes.contains(d)) {
                    problem(s.loc(), ipath, "'" + s.text() + "' is listed twice");
                    continue;
                }
                sizes.add(d);
            }
            if (stream == null || stream.fields() == null) {
                return List.copyOf(sizes);
            }
            for (String g : groupBy) {
                if (!stream.fields().containsKey(g)) {
                    problem(
                            o.loc("rollup"),
                            path,
                            "rollups are computed by ClickHouse from the raw events: group field '" + g
                                    + "' is derived; group by schema fields only");
                }
            }
            for (MeasureDef m : measures) {
                if (m.field() != null && !stream.fields().containsKey(m.field())) {
                    problem(
                            o.loc("rollup"),
                            path,
                            "rollups are computed by ClickHouse from the raw events: measure '" + m.name()
                                    + "' reads derived field '" + m.field() + "'");
                }
            }
            if (filter instanceof Expressions.Compiled c) {
                try {
                    SqlFilter.toSql(c, stream.fields().keySet(), f -> "`" + f + "`");
                } catch (IllegalArgumentException e) {
                    problem(
                            o.loc("filter"),
                            path,
                            "rollups are computed by ClickHouse from the raw events, and it cannot run this filter: "
                                    + e.getMessage());
                }
            }
            return List.copyOf(sizes);
        }

        MeasureDef measure(
                Entry e, String path, Map<String, Expressions.Type> vars, List<String> groupBy, StreamInfo stream) {
            String name = e.key();
            if (!IDENTIFIER.matcher(name).matches()) {
                problem(e.keyLoc(), path, "'" + name + "' is not a valid measure name: use " + Spec.IDENTIFIER);
            } else if (isReserved(name)) {
                problem(e.keyLoc(), path, reservedMessage(name, "measure"));
            } else if (groupBy.contains(name)) {
                problem(e.keyLoc(), path, "'" + name + "' is also a group_by field; name the measure otherwise");
            }
            if (!(e.value() instanceof Scalar s) || s.isNull() || s.broken() || s.value() instanceof Boolean) {
                if (!(e.value() instanceof Scalar s && s.broken())) {
                    problem(
                            e.value().loc(),
                            path,
                            "expected a measure such as count or sum(amount), got " + what(e.value()));
                }
                return null;
            }
            Matcher m = MEASURE.matcher(s.text());
            if (!m.matches()) {
                problem(
                        s.loc(),
                        path,
                        "'" + s.text() + "' is not a measure: write count or kind(field), e.g." + " sum(amount)");
                return null;
            }
            String word = m.group(1).toLowerCase(Locale.ROOT);
            List<String> kinds = new ArrayList<>();
            MeasureDef.Kind kind = null;
            for (MeasureDef.Kind k : MeasureDef.Kind.values()) {
                kinds.add(k.keyword());
                if (k.keyword().equals(word)) {
                    kind = k;
                }
            }
            if (kind == null) {
                problem(
                        s.loc(),
                        path,
                        "unknown measure '" + m.group(1) + "'" + Spec.didYouMean(word, kinds) + "; measures are "
                                + String.join(", ", kinds));
                return null;
            }
            String field = m.group(2);
            if (!kind.takesField()) {
                if (field != null && !field.isEmpty()) {
                    problem(
                            s.loc(),
                            path,
                            "count takes no field; to count distinct values write count_distinct(" + field + ")");
                    return null;
                }
                return new MeasureDef(name, kind, null);
            }
            if (field == null || field.isEmpty()) {
                problem(s.loc(), path, kind.keyword() + " needs a field, e.g. " + kind.keyword() + "(amount)");
                return null;
            }
            if (vars != null) {
                Expressions.Type t = vars.get(field);
                if (t == null) {
                    problem(
                            s.loc(),
                            path,
                            notAField(field, "of stream '" + stream.def().name() + "' nor derived", vars.keySet()));
                } else if (kind != MeasureDef.Kind.COUNT_DISTINCT && !t.isNumeric() && t != Expressions.Type.DYN) {
                    problem(
                            s.loc(),
                            path,
                            kind.keyword() + " needs a numeric field; '" + field + "' is " + t.celName());
                }
            }
            return new MeasureDef(name, kind, field);
        }

        WindowDef window(MapNode node, String path) {
            Obj o = read(node, path, Spec.WINDOW);
            String type = o.str("type");
            Duration size = o.duration("size");
            Duration advance = o.duration("advance");
            Duration grace = o.duration("grace");
            if (type == null || size == null) {
                return null;
            }
            if (type.equals("tumbling")) {
                if (o.written("advance") && advance != null && !advance.equals(size)) {
                    problem(
                            o.loc("advance"),
                            o.path("advance"),
                            "advance applies to hopping windows only; a" + " tumbling window advances by its size");
                }
                return WindowDef.tumbling(size, grace);
            }
            if (advance == null) {
                if (!o.written("advance")) {
                    problem(
                            node.loc(),
                            path,
                            "missing required key 'advance': a hopping window needs the time"
                                    + " between window starts (e.g. advance: 10s)");
                }
                return null;
            }
            if (advance.compareTo(size) > 0) {
                problem(
                        o.loc("advance"),
                        o.path("advance"),
                        "advance must be at most the window size (" + ((Scalar) o.node.get("size")).text() + ")");
            }
            return WindowDef.hopping(size, advance, grace);
        }

        SinkDef sink(Entry entry, MapNode node) {
            String name = entry.key();
            String path = "sinks." + name;
            checkName(entry, "sinks", COMPONENT_NAME, "sink");
            Obj o = read(node, path, Spec.SINK);
            List<String> inputs = new ArrayList<>();
            ListNode in = o.list("inputs");
            if (in != null) {
                Set<String> names = new LinkedHashSet<>(streams.keySet());
                names.addAll(viewNames);
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < in.items().size(); i++) {
                    if (!(in.items().get(i) instanceof Scalar s)
                            || s.isNull()
                            || s.text().isEmpty()) {
                        continue; // reported
                    }
                    String ipath = o.path("inputs") + "[" + i + "]";
                    if (!names.contains(s.text())) {
                        problem(
                                s.loc(),
                                ipath,
                                "unknown stream or view '" + s.text() + "'" + Spec.didYouMean(s.text(), names));
                    } else if (!seen.add(s.text())) {
                        problem(s.loc(), ipath, "'" + s.text() + "' is listed twice");
                    }
                    inputs.add(s.text());
                }
            }
            if ("kafka".equals(o.str("type"))) {
                if (in != null) {
                    for (int i = 0; i < in.items().size(); i++) {
                        if (in.items().get(i) instanceof Scalar s && viewNames.contains(s.text())) {
                            problem(
                                    s.loc(),
                                    o.path("inputs") + "[" + i + "]",
                                    "a kafka sink writes streams; view '" + s.text() + "' is already on its own topic, "
                                            + "<pipeline>.view." + s.text());
                        }
                    }
                }
                return new SinkDef.Kafka(name, o.str("topic"), o.str("format"), List.copyOf(inputs));
            }
            if ("postgres".equals(o.str("type"))) {
                StreamInfo info = streamRef(o, "stream");
                for (String f : List.of("key", "version")) {
                    String field = o.str(f);
                    if (field != null
                            && info != null
                            && info.fields() != null
                            && !info.fields().containsKey(field)) {
                        problem(
                                o.loc(f),
                                o.path(f),
                                "unknown field '" + field + "' of stream '"
                                        + info.def().name() + "'"
                                        + Spec.didYouMean(field, info.fields().keySet()));
                    }
                }
                if (info == null) {
                    return null;
                }
                String table = o.str("table");
                return new SinkDef.Postgres(
                        name,
                        o.str("url"),
                        o.str("user") == null ? "postgres" : o.str("user"),
                        o.str("password") == null ? "" : o.str("password"),
                        info.def().name(),
                        table == null ? info.def().name() : table,
                        o.str("key"),
                        o.str("version") == null ? info.def().timeField() : o.str("version"),
                        Math.max(1, o.lng("batch_rows", SinkDef.Postgres.BATCH_ROWS)),
                        o.duration("batch_interval"));
            }
            if ("clickhouse".equals(o.str("type"))) {
                return new SinkDef.ClickHouse(
                        name,
                        o.str("url"),
                        o.str("database"),
                        o.str("user"),
                        o.str("password") == null ? "" : o.str("password"),
                        List.copyOf(inputs),
                        Math.max(1, o.lng("batch_rows", SinkDef.ClickHouse.BATCH_ROWS)),
                        o.duration("batch_interval"),
                        o.duration("raw_ttl"),
                        o.duration("view_ttl"));
            }
            if ("redis".equals(o.str("type"))) {
                if (in != null) {
                    for (int i = 0; i < in.items().size(); i++) {
                        if (in.items().get(i) instanceof Scalar s && streams.containsKey(s.text())) {
                            problem(
                                    s.loc(),
                                    o.path("inputs") + "[" + i + "]",
                                    "a redis sink caches views; '" + s.text() + "' is a stream");
                        }
                    }
                }
                return new SinkDef.Redis(
                        name,
                        o.str("url"),
                        List.copyOf(inputs),
                        Math.max(1, o.lng("windows", 60)),
                        o.duration("refresh"),
                        !"store".equals(o.str("serve")));
            }
            if (!"duckdb".equals(o.str("type"))) {
                return null;
            }
            return new SinkDef.DuckDb(
                    name,
                    o.str("path"),
                    List.copyOf(inputs),
                    Math.max(1, o.lng("batch_rows", SinkDef.DuckDb.BATCH_ROWS)),
                    o.duration("batch_interval"));
        }

        // ------------------------------------------------------------ expressions

        /** Compiles an expression node, reporting errors at their place in the file; null on error. */
        Expressions.Compiled compile(Node node, String path, Map<String, Expressions.Type> vars) {
            if (!(node instanceof Scalar s) || s.isNull() || s.text().isBlank()) {
                if (!(node instanceof Scalar s && s.broken())) {
                    problem(node.loc(), path, "expected a CEL expression, got " + what(node));
                }
                return null;
            }
            if (s.broken() || vars == null) {
                return null;
            }
            try {
                return Expressions.compile(s.text(), vars);
            } catch (Expressions.CompileException e) {
                for (Expressions.CompileError err : e.errors()) {
                    problem(
                            exprLoc(s, err),
                            path,
                            "invalid expression '" + s.text() + "': " + celMessage(err.message()));
                }
                return null;
            }
        }

        /**
         * Where in the file a CEL error lies: the scalar's start plus the error's column, when the
         * expression is written on one line as is (plain or quoted); otherwise the scalar's start.
         */
        private Loc exprLoc(Scalar s, Expressions.CompileError err) {
            Loc at = s.loc();
            if (err.line() != 1 || at.line() < 1 || at.line() > lines.size()) {
                return at;
            }
            String line = lines.get(at.line() - 1);
            int start = at.column() - 1;
            if (start < 0 || start >= line.length()) {
                return at;
            }
            char c = line.charAt(start);
            if (c == '"' || c == '\'') {
                start++;
            }
            if (!line.startsWith(s.text(), start)) {
                return at;
            }
            return new Loc(at.line(), start + err.column() + 1);
        }

        private static boolean isReserved(String column) {
            return RESERVED_COLUMNS.contains(column) || column.startsWith("_");
        }

        private static String reservedMessage(String name, String what) {
            return "'" + name + "' is a reserved column name of view tables (window_start, window_end, version,"
                    + " watermark, updated_at, and names starting with _); name the " + what + " otherwise";
        }

        private static String celMessage(String m) {
            return m.replace(" (in container '')", "").replaceAll(" \\(candidates: .*\\)$", "");
        }

        private static String notAField(String field, String of, Set<String> fields) {
            String owner = of.startsWith("of ") ? of : "of schema '" + of + "'";
            return "'" + field + "' is not a field " + owner + Spec.didYouMean(field, fields);
        }
    }

    private static String typeWords(Key k) {
        return switch (k.kind()) {
            case SECTION, SECTION_MAP, CEL_MAP, MEASURE_MAP ->
                "a mapping (" + k.typeDoc().replace("`", "'") + ")";
            case FIELD_LIST, REF_LIST, LIST -> "a list (" + k.typeDoc().replace("`", "'") + ")";
            default -> k.typeDoc().replace("`", "'");
        };
    }

    private static String what(Node n) {
        return switch (n) {
            case MapNode m -> "a mapping";
            case ListNode l -> "a list";
            case Scalar s when s.value() == null -> "nothing";
            case Scalar s -> "'" + s.text() + "'";
        };
    }
}
