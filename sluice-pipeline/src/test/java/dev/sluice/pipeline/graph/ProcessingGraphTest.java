package dev.sluice.pipeline.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.StreamDef;
import dev.sluice.pipeline.ViewDef;
import dev.sluice.pipeline.graph.ProcessingGraph.Node;
import dev.sluice.pipeline.graph.ProcessingGraph.StreamNode;
import dev.sluice.pipeline.graph.ProcessingGraph.ViewNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessingGraphTest {

    @Test
    void theEcommerceExampleCompilesToAStreamAndTheViewReadingIt() throws Exception {
        Pipeline p = new PipelineLoader(Map.of()).load(Path.of("..", "examples", "ecommerce", "pipeline.yaml"));
        ProcessingGraph g = ProcessingGraph.compile(p);
        assertThat(g.nodes()).extracting(Node::id).containsExactly("stream:orders", "view:gmv_by_country");
        assertThat(g.node("view:gmv_by_country").inputs()).containsExactly("stream:orders");
        assertThat(g.readersOf("stream:orders")).extracting(Node::id).containsExactly("view:gmv_by_country");
        assertThat(g.readersOf("view:gmv_by_country")).isEmpty();
    }

    @Test
    void storeAndTopicNamesComeFromNodeNamesOnly() {
        StreamNode s = new StreamNode(stream("orders"));
        ViewNode v = new ViewNode(view("gmv", "orders"), s.id());
        assertThat(List.of(s.dedupBatchesStore(), s.dedupIndexStore(), s.dedupIndexedStore()))
                .containsExactly("orders-dedupe-batches", "orders-dedupe-index", "orders-dedupe-indexed");
        assertThat(List.of(v.rowsStore(), v.watermarkStore(), v.inputWatermarkStore(), v.partialsTopic()))
                .containsExactly("gmv-rows", "gmv-watermark", "gmv-input-watermark", "gmv-partials");
    }

    @Test
    void nodesComeAfterTheirInputsWhateverTheFileOrder() {
        StreamNode s = new StreamNode(stream("orders"));
        ViewNode top = new ViewNode(view("top", "x"), "view:daily");
        ViewNode daily = new ViewNode(view("daily", "x"), "stream:orders");
        ProcessingGraph g = ProcessingGraph.of(List.of(top, daily, s));
        assertThat(g.nodes()).extracting(Node::id).containsExactly("stream:orders", "view:daily", "view:top");
        assertThat(g.streamOf(top)).isEqualTo(s);
    }

    @Test
    void aCycleIsRefusedWithItsPath() {
        StreamNode s = new StreamNode(stream("orders"));
        ViewNode a = new ViewNode(view("a", "x"), "view:b");
        ViewNode b = new ViewNode(view("b", "x"), "view:c");
        ViewNode c = new ViewNode(view("c", "x"), "view:a");
        assertThatThrownBy(() -> ProcessingGraph.of(List.of(s, a, b, c)))
                .hasMessage("nodes read each other in a cycle: view:a → view:b → view:c → view:a");
    }

    @Test
    void anUnknownInputOrATwiceUsedNameIsRefused() {
        StreamNode s = new StreamNode(stream("orders"));
        assertThatThrownBy(() -> ProcessingGraph.of(List.of(s, new ViewNode(view("a", "x"), "stream:order"))))
                .hasMessage("view:a reads stream:order, which is not in the pipeline");
        assertThatThrownBy(() -> ProcessingGraph.of(List.of(s, new StreamNode(stream("orders")))))
                .hasMessage("two nodes are named stream:orders");
    }

    private static StreamDef stream(String name) {
        return new StreamDef(name, null, null, "id", "t", null, 1, Duration.ofDays(1), Duration.ofHours(1));
    }

    private static ViewDef view(String name, String from) {
        return new ViewDef(name, from, Map.of(), null, null, List.of(), List.of());
    }
}
