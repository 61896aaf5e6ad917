package dev.sluice.pipeline;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A YAML document read once with Jackson's streaming YAML parser into a small tree whose nodes keep
 * where they were written, so every problem found later can point at its line and column.
 */
final class Yaml {

    private static final YAMLFactory FACTORY = new YAMLFactory();

    private Yaml() {}

    /** 1-based line and column. */
    record Loc(int line, int column) {}

    sealed interface Node permits Scalar, MapNode, ListNode {
        Loc loc();
    }

    /**
     * A scalar. {@code value} is a String, Long, BigInteger, Double, Boolean or null; {@code text} is
     * the value as text ("" for null). {@code broken} marks a value whose interpolation failed (already
     * reported: later checks skip it).
     */
    record Scalar(Object value, String text, Loc loc, boolean broken) implements Node {
        Scalar(Object value, String text, Loc loc) {
            this(value, text, loc, false);
        }

        boolean isNull() {
            return value == null && !broken;
        }
    }

    record Entry(String key, Loc keyLoc, Node value) {}

    /** A mapping, entries in file order. */
    record MapNode(Map<String, Entry> entries, Loc loc) implements Node {
        Entry entry(String key) {
            return entries.get(key);
        }

        Node get(String key) {
            Entry e = entries.get(key);
            return e == null ? null : e.value();
        }
    }

    record ListNode(List<Node> items, Loc loc) implements Node {}

    /** A key repeated within a mapping; {@code path} is the mapping's dotted path. */
    record Duplicate(String path, Entry entry) {}

    /** A document: its root (null when empty) and the keys repeated within a mapping. */
    record Document(Node root, List<Duplicate> duplicates) {}

    static final class SyntaxError extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Loc loc;

        SyntaxError(String message, Loc loc) {
            super(message);
            this.loc = loc;
        }

        Loc loc() {
            return loc;
        }
    }

    static Document parse(String text) throws SyntaxError {
        List<Duplicate> duplicates = new ArrayList<>();
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new Document(null, duplicates);
            }
            Node root = read(p, t, "", duplicates);
            return new Document(root, duplicates);
        } catch (JacksonException e) {
            if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
                Mark at = m.getProblemMark();
                String message = m.getProblem();
                if (m.getContext() != null) {
                    Mark c = m.getContextMark();
                    message += " (" + m.getContext()
                            + (c == null ? "" : " at line " + (c.getLine() + 1) + ", column " + (c.getColumn() + 1))
                            + ")";
                }
                throw new SyntaxError("invalid YAML: " + message, new Loc(at.getLine() + 1, at.getColumn() + 1));
            }
            JsonLocation l = e.getLocation();
            Loc loc = l == null ? new Loc(1, 1) : new Loc(Math.max(1, l.getLineNr()), Math.max(1, l.getColumnNr()));
            throw new SyntaxError(syntaxMessage(e.getOriginalMessage()), loc);
        } catch (IOException e) {
            throw new SyntaxError(String.valueOf(e.getMessage()), new Loc(1, 1));
        }
    }

    /** SnakeYAML's messages repeat the location and quote the line; keep the first sentence. */
    private static String syntaxMessage(String raw) {
        if (raw == null) {
            return "invalid YAML";
        }
        StringBuilder sb = new StringBuilder();
        for (String line : raw.split("\n")) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("in 'reader'") || s.startsWith("in 'string'") || s.startsWith("^")) {
                continue;
            }
            if (line.startsWith("    ")) {
                continue; // the quoted source line
            }
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(s);
        }
        String m = sb.toString();
        return "invalid YAML: " + (m.isEmpty() ? raw.strip() : m);
    }

    private static Loc loc(JsonParser p) {
        JsonLocation l = p.currentTokenLocation();
        return new Loc(l.getLineNr(), l.getColumnNr());
    }

    static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static Node read(JsonParser p, JsonToken t, String path, List<Duplicate> duplicates) throws IOException {
        Loc loc = loc(p);
        switch (t) {
            case START_OBJECT -> {
                Map<String, Entry> entries = new LinkedHashMap<>();
                JsonToken k;
                while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Loc keyLoc = loc(p);
                    Node value = read(p, p.nextToken(), child(path, key), duplicates);
                    Entry e = new Entry(key, keyLoc, value);
                    if (entries.containsKey(key)) {
                        duplicates.add(new Duplicate(path, e));
                    } else {
                        entries.put(key, e);
                    }
                }
                if (k != JsonToken.END_OBJECT) {
                    throw new IOException("unexpected " + k);
                }
                return new MapNode(entries, loc);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                JsonToken i;
                while ((i = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (i == null) {
                        throw new IOException("unexpected end of input");
                    }
                    items.add(read(p, i, path + "[" + items.size() + "]", duplicates));
                }
                return new ListNode(items, loc);
            }
            case VALUE_STRING -> {
                return new Scalar(p.getText(), p.getText(), loc);
            }
            case VALUE_NUMBER_INT -> {
                Number n = p.getNumberValue();
                Object v = n instanceof BigInteger b ? b : (Object) n.longValue();
                return new Scalar(v, p.getText(), loc);
            }
            case VALUE_NUMBER_FLOAT -> {
                return new Scalar(p.getDoubleValue(), p.getText(), loc);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new Scalar(t == JsonToken.VALUE_TRUE, p.getText(), loc);
            }
            case VALUE_NULL -> {
                return new Scalar(null, "", loc);
            }
            default -> {
                String text = p.getText();
                return new Scalar(text, text == null ? "" : text, loc);
            }
        }
    }
}
