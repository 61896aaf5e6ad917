package dev.sluice.pipeline.graph;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.TableDef;
import dev.sluice.pipeline.ViewDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a pipeline computes, as a graph of nodes with declared inputs, compiled from the {@link Pipeline}
 * before anything starts (docs/architecture.md, "The processing graph").
 *
 * <p>Each node has a kind, a name unique within its kind, and an id {@code <kind>:<name>} that other nodes
 * name as their input. Today's kinds: a {@link StreamNode} (the admitted events of a stream, deduplicated by
 * id), a {@link TableNode} (the latest value per key of a stream) and a {@link ViewNode} (a view over one input).
 * Joins, alerts and scores, and views over views, are new node kinds and inputs, not a new graph: the topology builder has one builder per kind, lint checks
 * the graph (unknown inputs, cycles, each reported with its path), and the dashboard draws it.
 *
 * <p>{@link #nodes()} is in dependency order (every node after its inputs; otherwise the file's order), which is
 * the order the topology is built in. The names nodes derive for their Kafka Streams processors, stores and
 * internal topics come from node names only, so they stay the same across restarts and releases as long as
 * the pipeline file keeps its names.
 */
public final class ProcessingGraph {

    /** A node of the graph. */
    public sealed interface Node permits StreamNode, TableNode, ViewNode {
        /** The node's name, unique within its kind: the stream's or view's name in the pipeline file. */
        String name();

        /** {@code stream}, {@code view}, …: the first part of the id. */
        String kind();

        /** The ids of the nodes whose output this node reads, in order. */
        List<String> inputs();

        /** {@code <kind>:<name>}, how other nodes name this one as their input. */
        default String id() {
            return ProcessingGraph.id(kind(), name());
        }
    }

    /** The admitted events of a stream: read from the stream topic, deduplicated by event id. */
    public record StreamNode(StreamDef stream) implements Node {
        @Override
        public String name() {
            return stream.name();
        }

        @Override
        public String kind() {
            return "stream";
        }

        @Override
        public List<String> inputs() {
            return List.of();
        }

        /** The logged store of the stream's new event ids, a batch per commit (the dedup truth). */
        public String dedupBatchesStore() {
            return stream.name() + "-dedupe-batches";
        }

        /** The local index of those ids by event time, for lookups (rebuilt from the batches when lost). */
        public String dedupIndexStore() {
            return stream.name() + "-dedupe-index";
        }

        /** The local note of the last batch the index holds. */
        public String dedupIndexedStore() {
            return stream.name() + "-dedupe-indexed";
        }
    }

    /** A table: the latest value per key of its input stream's events, by event time. */
    public record TableNode(TableDef table, String input) implements Node {
        @Override
        public String name() {
            return table.name();
        }

        @Override
        public String kind() {
            return "table";
        }

        @Override
        public List<String> inputs() {
            return List.of(input);
        }

        /** The logged store of the table's rows by key (restored on restart). */
        public String rowsStore() {
            return table.name() + "-table-rows";
        }

        /** The internal topic that moves each event to the task owning its key. */
        public String byKeyTopic() {
            return table.name() + "-table-by-key";
        }
    }

    /** A view: derive, filter, window, group and measure over its input's records. */
    public record ViewNode(ViewDef view, String input) implements Node {
        @Override
        public String name() {
            return view.name();
        }

        @Override
        public String kind() {
            return "view";
        }

        @Override
        public List<String> inputs() {
            return List.of(input);
        }

        /** The store of the view's rows (accumulator per window and group). */
        public String rowsStore() {
            return view.name() + "-rows";
        }

        /** The store of the view's event-time watermark per partition of its aggregation (the group's side). */
        public String watermarkStore() {
            return view.name() + "-watermark";
        }

        /** The store of the view's event-time watermark per partition of its input (the pre-aggregation's side). */
        public String inputWatermarkStore() {
            return view.name() + "-input-watermark";
        }

        /** The internal topic that moves the view's partial aggregates to the task owning their group. */
        public String partialsTopic() {
            return view.name() + "-partials";
        }
    }

    private final Map<String, Node> byId;
    private final List<Node> ordered;

    private ProcessingGraph(Map<String, Node> byId, List<Node> ordered) {
        this.byId = byId;
        this.ordered = ordered;
    }

    /** The graph of a loaded pipeline: one stream node per stream, one table node per table, one view node per view. */
    public static ProcessingGraph compile(Pipeline pipeline) {
        List<Node> nodes = new ArrayList<>();
        for (StreamDef s : pipeline.streams().values()) {
            nodes.add(new StreamNode(s));
        }
        for (TableDef t : pipeline.tables().values()) {
            nodes.add(new TableNode(t, id("stream", t.from())));
        }
        for (ViewDef v : pipeline.views().values()) {
            nodes.add(new ViewNode(v, id("stream", v.from())));
        }
        return of(nodes);
    }

    /**
     * The graph of these nodes, ordered so every node follows its inputs.
     *
     * @throws IllegalArgumentException when two nodes share an id, a node reads an unknown node, or nodes read
     *     each other in a cycle (the message names the cycle's path, {@code view:a → view:b → view:a})
     */
    public static ProcessingGraph of(List<? extends Node> nodes) {
        Map<String, Node> byId = new LinkedHashMap<>();
        for (Node n : nodes) {
            if (byId.putIfAbsent(n.id(), n) != null) {
                throw new IllegalArgumentException("two nodes are named " + n.id());
            }
        }
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                if (!byId.containsKey(in)) {
                    throw new IllegalArgumentException(n.id() + " reads " + in + ", which is not in the pipeline");
                }
            }
        }
        List<Node> ordered = new ArrayList<>();
        Map<String, Boolean> done = new LinkedHashMap<>(); // false while on the current path, true once placed
        for (Node n : nodes) {
            place(n, byId, done, new ArrayList<>(), ordered);
        }
        return new ProcessingGraph(byId, List.copyOf(ordered));
    }

    /** Depth-first: places {@code n}'s inputs, then {@code n}; a node met again on its own path is a cycle. */
    private static void place(
            Node n, Map<String, Node> byId, Map<String, Boolean> done, List<String> path, List<Node> ordered) {
        Boolean state = done.get(n.id());
        if (Boolean.TRUE.equals(state)) {
            return;
        }
        if (Boolean.FALSE.equals(state)) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(n.id()), path.size()));
            cycle.add(n.id());
            throw new IllegalArgumentException("nodes read each other in a cycle: " + String.join(" → ", cycle));
        }
        done.put(n.id(), false);
        path.add(n.id());
        for (String in : n.inputs()) {
            place(byId.get(in), byId, done, path, ordered);
        }
        path.remove(path.size() - 1);
        done.put(n.id(), true);
        ordered.add(n);
    }

    /** {@code <kind>:<name>}. */
    public static String id(String kind, String name) {
        return kind + ":" + name;
    }

    /** Every node, each after its inputs. */
    public List<Node> nodes() {
        return ordered;
    }

    /** The node with this id. */
    public Node node(String id) {
        Node n = byId.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id);
        }
        return n;
    }

    /** The nodes that read {@code id}'s output, in graph order. */
    public List<Node> readersOf(String id) {
        return ordered.stream().filter(n -> n.inputs().contains(id)).toList();
    }

    /** The stream a node's records come from, following inputs back (a view over a view reads its stream). */
    public StreamNode streamOf(Node n) {
        Node at = n;
        while (!(at instanceof StreamNode s)) {
            at = node(at.inputs().get(0));
        }
        return s;
    }
}
