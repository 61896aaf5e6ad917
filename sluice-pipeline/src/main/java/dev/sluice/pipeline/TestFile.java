package dev.sluice.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.Yaml.Entry;
import dev.sluice.pipeline.Yaml.ListNode;
import dev.sluice.pipeline.Yaml.Loc;
import dev.sluice.pipeline.Yaml.MapNode;
import dev.sluice.pipeline.Yaml.Node;
import dev.sluice.pipeline.Yaml.Scalar;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pipeline test file ({@code *_test.yaml}), as {@code sluice test} runs it: the pipeline it tests and its cases,
 * each a list of input events per stream and what is expected after all of them: every view's complete set of rows
 * (only the fields given are compared), and optionally how many events were dead-lettered, routed late or refused by
 * the contract.
 *
 * <p>The file is read once with the line of every value kept, and checked against the pipeline before anything runs:
 * an unknown key, stream, view or column is a {@link Problem} located as {@code sluice lint} locates them, so a typo
 * in a test reads as a typo, not as a failing case. The format is documented in docs/testing.md.
 *
 * @param now the clock the contract's "not in the future" rule reads, epoch ms, or null (see {@link Case#now})
 */
public record TestFile(Path file, Pipeline pipeline, Long now, List<Case> cases) {
    /** How test files are named: {@code <anything>_test.yaml}. */
    public static final String SUFFIX = "_test.yaml";

    /** Keys of {@code expect} that are not views. */
    public static final Set<String> COUNTS = Set.of("dlq", "late", "refused");

    private static final Set<String> TOP_KEYS = Set.of("pipeline", "now", "cases");
    private static final Set<String> CASE_KEYS = Set.of("name", "description", "now", "input", "expect");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /**
     * One case: runs on a fresh processor and store.
     *
     * @param now the clock for this case, epoch ms, or null: the file's, else the latest event time of the input
     * @param input stream name → events in arrival order (streams in file order)
     * @param views the views expected, each with its complete set of rows
     * @param dlq how many events the processor sent to the dead-letter topic, or null when not checked
     * @param refused how many input events the contract refused; null means none may be
     * @param late how many records went to the late topics, or null when not checked
     */
    public record Case(
            String name,
            int line,
            Long now,
            Map<String, List<Event>> input,
            List<ViewExpect> views,
            Tally dlq,
            Tally refused,
            Late late) {}

    /** One input event as written (a source refuses anything but a JSON object) and its line. */
    public record Event(JsonNode value, int line) {}

    /** The complete set of rows a view must have; {@code line} is that of the view's key. */
    public record ViewExpect(String view, int line, List<Row> rows) {}

    /**
     * One expected row.
     *
     * @param fields column → Long, BigInteger, Double, String, Boolean or null, in file order
     * @param text the row as written, for messages: {@code {country: DE, orders: 3}}
     */
    public record Row(Map<String, Object> fields, String text, int line) {}

    /**
     * An expected number of events, given as a number or as a list of texts: then one event per text, in order,
     * whose reason contains it.
     */
    public record Tally(int line, long count, List<String> reasons) {}

    /** Records expected on the late topics: in all ({@code total}) or per view ({@code byView}). */
    public record Late(int line, Long total, Map<String, Long> byView) {}

    /**
     * Reads and checks a test file.
     *
     * @throws PipelineException listing every problem of the test file, or of the pipeline it names
     */
    public static TestFile load(Path file, PipelineLoader loader) throws PipelineException {
        Reader r = new Reader(file);
        TestFile t = r.read(loader);
        if (!r.problems.isEmpty()) {
            List<Problem> sorted = new ArrayList<>(r.problems);
            sorted.sort(Comparator.comparing(Problem::file)
                    .thenComparingInt(Problem::line)
                    .thenComparingInt(Problem::column));
            throw new PipelineException(sorted);
        }
        return t;
    }

    /** The pipeline file a test file names (resolved against its folder), or null when it cannot tell. */
    public static Path pipelineOf(Path file) {
        try {
            if (Yaml.parse(Files.readString(file, StandardCharsets.UTF_8)).root() instanceof MapNode top
                    && top.get("pipeline") instanceof Scalar s
                    && s.value() instanceof String name) {
                return file.getParent() == null
                        ? Path.of(name)
                        : file.getParent().resolve(name);
            }
        } catch (IOException | Yaml.SyntaxError e) {
            // unreadable: not this pipeline's
        }
        return null;
    }

    private static final class Reader {
        private final Path file;
        private final List<Problem> problems = new ArrayList<>();
        private Pipeline pipeline;

        Reader(Path file) {
            this.file = file;
        }

        void problem(Loc loc, String path, String message) {
            problems.add(new Problem(file.toString(), loc.line(), loc.column(), path, message));
        }

        TestFile read(PipelineLoader loader) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                problem(new Loc(1, 1), PipelineLoader.FILE_PATH, "file not found");
                return null;
            } catch (IOException e) {
                problem(new Loc(1, 1), PipelineLoader.FILE_PATH, "cannot read the file: " + e.getMessage());
                return null;
            }
            Yaml.Document doc;
            try {
                doc = Yaml.parse(text);
            } catch (Yaml.SyntaxError e) {
                problem(e.loc(), PipelineLoader.FILE_PATH, e.getMessage());
                return null;
            }
            for (Yaml.Duplicate d : doc.duplicates()) {
                problem(
                        d.entry().keyLoc(),
                        Yaml.child(d.path(), d.entry().key()),
                        "duplicate key '" + d.entry().key() + "'");
            }
            if (!(doc.root() instanceof MapNode top)) {
                problem(
                        doc.root() == null ? new Loc(1, 1) : doc.root().loc(),
                        PipelineLoader.FILE_PATH,
                        "a test file is a mapping with 'pipeline: <file>' and 'cases:'");
                return null;
            }
            keys(top, "", TOP_KEYS);
            Entry p = top.entry("pipeline");
            if (p == null) {
                problem(top.loc(), "pipeline", "missing: the pipeline file this tests, relative to this file");
                return null;
            }
            if (!(p.value() instanceof Scalar ps) || !(ps.value() instanceof String name) || name.isBlank()) {
                problem(p.value().loc(), "pipeline", "expected the pipeline file's path, got " + what(p.value()));
                return null;
            }
            Path pipelineFile = file.getParent() == null
                    ? Path.of(name)
                    : file.getParent().resolve(name).normalize();
            try {
                pipeline = loader.load(pipelineFile);
            } catch (PipelineException e) {
                problem(p.value().loc(), "pipeline", "'" + pipelineFile + "' does not load (its problems follow)");
                problems.addAll(e.problems());
                return null;
            }
            Long now = time(top.get("now"), "now");
            Node cs = top.get("cases");
            List<Case> cases = new ArrayList<>();
            if (cs == null) {
                problem(top.loc(), "cases", "missing: a list of cases (name, input, expect)");
            } else if (!(cs instanceof ListNode list) || list.items().isEmpty()) {
                problem(cs.loc(), "cases", "expected a list of cases (name, input, expect), got " + what(cs));
            } else {
                Set<String> names = new LinkedHashSet<>();
                for (int i = 0; i < list.items().size(); i++) {
                    Case c = testCase(list.items().get(i), "cases[" + i + "]");
                    if (c != null) {
                        if (!names.add(c.name())) {
                            problem(list.items().get(i).loc(), "cases[" + i + "].name", "duplicate case name");
                        }
                        cases.add(c);
                    }
                }
            }
            return new TestFile(file, pipeline, now, List.copyOf(cases));
        }

        Case testCase(Node n, String path) {
            if (!(n instanceof MapNode m)) {
                problem(n.loc(), path, "expected a case (name, input, expect), got " + what(n));
                return null;
            }
            keys(m, path, CASE_KEYS);
            String name = null;
            Node nameNode = m.get("name");
            if (nameNode instanceof Scalar s && s.value() != null && !s.text().isBlank()) {
                name = s.text();
            } else {
                problem(nameNode == null ? m.loc() : nameNode.loc(), path + ".name", "every case needs a name");
            }
            Long now = time(m.get("now"), path + ".now");
            Map<String, List<Event>> input = input(m.get("input"), path + ".input");
            List<ViewExpect> views = new ArrayList<>();
            Tally dlq = null;
            Tally refused = null;
            Late late = null;
            Node ex = m.get("expect");
            if (ex == null) {
                problem(m.loc(), path + ".expect", "missing: the rows expected per view (and dlq, late, refused)");
            } else if (!(ex instanceof MapNode em)) {
                problem(ex.loc(), path + ".expect", "expected a mapping of view names to rows, got " + what(ex));
            } else {
                for (Entry e : em.entries().values()) {
                    String p = path + ".expect." + e.key();
                    switch (e.key()) {
                        case "dlq" -> dlq = tally(e, p);
                        case "refused" -> refused = tally(e, p);
                        case "late" -> late = late(e, p);
                        default -> {
                            ViewExpect v = view(e, p);
                            if (v != null) {
                                views.add(v);
                            }
                        }
                    }
                }
            }
            return name == null
                    ? null
                    : new Case(name, m.loc().line(), now, input, List.copyOf(views), dlq, refused, late);
        }

        Map<String, List<Event>> input(Node n, String path) {
            Map<String, List<Event>> input = new LinkedHashMap<>();
            if (n == null) {
                return input;
            }
            if (!(n instanceof MapNode m)) {
                problem(n.loc(), path, "expected a mapping of stream names to events, got " + what(n));
                return input;
            }
            for (Entry e : m.entries().values()) {
                String p = path + "." + e.key();
                if (!pipeline.streams().containsKey(e.key())) {
                    problem(
                            e.keyLoc(),
                            p,
                            "unknown stream '" + e.key() + "'"
                                    + Spec.didYouMean(
                                            e.key(), pipeline.streams().keySet())
                                    + " (streams: "
                                    + String.join(", ", pipeline.streams().keySet()) + ")");
                    continue;
                }
                List<Event> events = new ArrayList<>();
                if (e.value() instanceof ListNode l) {
                    for (Node item : l.items()) {
                        events.add(new Event(json(item), item.loc().line()));
                    }
                } else if (!(e.value() instanceof Scalar s && s.isNull())) {
                    problem(e.value().loc(), p, "expected a list of events, got " + what(e.value()));
                }
                input.put(e.key(), List.copyOf(events));
            }
            return input;
        }

        ViewExpect view(Entry e, String path) {
            ViewDef v = pipeline.views().get(e.key());
            if (v == null) {
                List<String> known = new ArrayList<>(pipeline.views().keySet());
                problem(
                        e.keyLoc(),
                        path,
                        "unknown view '" + e.key() + "'" + Spec.didYouMean(e.key(), known) + " (views: "
                                + String.join(", ", known) + "; or dlq, late, refused)");
                return null;
            }
            List<String> columns = new ArrayList<>(List.of("window_start", "window_end"));
            columns.addAll(v.groupBy());
            v.measures().forEach(m -> columns.add(m.name()));
            columns.add("version");
            List<Row> rows = new ArrayList<>();
            if (e.value() instanceof ListNode l) {
                for (int i = 0; i < l.items().size(); i++) {
                    Row r = row(l.items().get(i), path + "[" + i + "]", v, columns);
                    if (r != null) {
                        rows.add(r);
                    }
                }
            } else if (!(e.value() instanceof Scalar s && s.isNull())) {
                problem(
                        e.value().loc(),
                        path,
                        "expected the view's rows (a list; [] for none), got " + what(e.value()));
            }
            return new ViewExpect(e.key(), e.keyLoc().line(), List.copyOf(rows));
        }

        Row row(Node n, String path, ViewDef v, List<String> columns) {
            if (!(n instanceof MapNode m) || m.entries().isEmpty()) {
                problem(n.loc(), path, "expected a row (a mapping of columns to values), got " + what(n));
                return null;
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            StringBuilder text = new StringBuilder("{");
            boolean ok = true;
            for (Entry e : m.entries().values()) {
                if (!columns.contains(e.key())) {
                    problem(
                            e.keyLoc(),
                            path + "." + e.key(),
                            "view '" + v.name() + "' has no column '" + e.key() + "'"
                                    + Spec.didYouMean(e.key(), columns) + " (columns: " + String.join(", ", columns)
                                    + ")");
                    ok = false;
                    continue;
                }
                if (!(e.value() instanceof Scalar s)) {
                    problem(e.value().loc(), path + "." + e.key(), "expected a value, got " + what(e.value()));
                    ok = false;
                    continue;
                }
                fields.put(e.key(), s.value());
                text.append(text.length() == 1 ? "" : ", ")
                        .append(e.key())
                        .append(": ")
                        .append(s.value() == null ? "null" : s.text());
            }
            return ok ? new Row(fields, text.append('}').toString(), m.loc().line()) : null;
        }

        Tally tally(Entry e, String path) {
            Node n = e.value();
            if (n instanceof Scalar s && s.value() instanceof Long count && count >= 0) {
                return new Tally(e.keyLoc().line(), count, null);
            }
            if (n instanceof ListNode l) {
                List<String> reasons = new ArrayList<>();
                for (Node item : l.items()) {
                    if (item instanceof Scalar s && s.value() != null) {
                        reasons.add(s.text());
                    } else {
                        problem(item.loc(), path, "expected a text the reason contains, got " + what(item));
                    }
                }
                return new Tally(e.keyLoc().line(), reasons.size(), List.copyOf(reasons));
            }
            problem(n.loc(), path, "expected a count, or a list of texts the reasons contain, got " + what(n));
            return null;
        }

        Late late(Entry e, String path) {
            Node n = e.value();
            if (n instanceof Scalar s && s.value() instanceof Long count && count >= 0) {
                return new Late(e.keyLoc().line(), count, null);
            }
            if (n instanceof MapNode m) {
                Map<String, Long> byView = new LinkedHashMap<>();
                for (Entry v : m.entries().values()) {
                    if (!pipeline.views().containsKey(v.key())) {
                        problem(
                                v.keyLoc(),
                                path + "." + v.key(),
                                "unknown view '" + v.key() + "'"
                                        + Spec.didYouMean(
                                                v.key(), pipeline.views().keySet()));
                    } else if (v.value() instanceof Scalar s && s.value() instanceof Long count && count >= 0) {
                        byView.put(v.key(), count);
                    } else {
                        problem(v.value().loc(), path + "." + v.key(), "expected a count, got " + what(v.value()));
                    }
                }
                return new Late(e.keyLoc().line(), null, byView);
            }
            problem(n.loc(), path, "expected a count, or a count per view, got " + what(n));
            return null;
        }

        /** RFC 3339 text or epoch milliseconds; null when absent. */
        Long time(Node n, String path) {
            if (n == null) {
                return null;
            }
            if (n instanceof Scalar s && s.value() instanceof Long ms) {
                return ms;
            }
            if (n instanceof Scalar s && s.value() instanceof String t) {
                try {
                    return OffsetDateTime.parse(t).toInstant().toEpochMilli();
                } catch (DateTimeParseException e) {
                    // reported below
                }
            }
            problem(n.loc(), path, "expected an RFC 3339 time or epoch milliseconds, got " + what(n));
            return null;
        }

        void keys(MapNode m, String path, Set<String> known) {
            for (Entry e : m.entries().values()) {
                if (!known.contains(e.key())) {
                    problem(
                            e.keyLoc(),
                            Yaml.child(path, e.key()),
                            "unknown key '" + e.key() + "'" + Spec.didYouMean(e.key(), known) + " (expected one of: "
                                    + String.join(", ", known.stream().sorted().toList()) + ")");
                }
            }
        }
    }

    private static JsonNode json(Node n) {
        return switch (n) {
            case Scalar s when s.value() == null -> JSON.nullNode();
            case Scalar s when s.value() instanceof Long l -> JSON.numberNode(l);
            case Scalar s when s.value() instanceof BigInteger b -> JSON.numberNode(b);
            case Scalar s
            when s.value() instanceof Double d -> {
                try {
                    yield JSON.numberNode(new BigDecimal(s.text())); // the number as written, as a client sends it
                } catch (NumberFormatException e) {
                    yield JSON.numberNode(d); // YAML's own spellings, such as .inf
                }
            }
            case Scalar s when s.value() instanceof Boolean b -> JSON.booleanNode(b);
            case Scalar s -> JSON.textNode(s.text());
            case MapNode m -> {
                ObjectNode o = JSON.objectNode();
                m.entries().forEach((k, e) -> o.set(k, json(e.value())));
                yield o;
            }
            case ListNode l -> {
                ArrayNode a = JSON.arrayNode();
                l.items().forEach(i -> a.add(json(i)));
                yield a;
            }
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
