package dev.sluice.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

/**
 * The names a running pipeline's state lives under: its stores (and so their changelog topics) and its
 * repartition topics. A restart, or a new release, that named them differently would start from empty stores
 * and strand the records in the old topics, so these are fixed here by hand, as the example's users have them.
 */
class GraphTopologyNamesTest {

    @Test
    void theEcommerceExampleKeepsItsStoreAndTopicNames() throws Exception {
        Pipeline p = new PipelineLoader(Map.of()).load(Path.of("..", "examples", "ecommerce", "pipeline.yaml"));
        StreamsBuilder b = new StreamsBuilder();
        GraphTopology.addTo(b, p);
        TopologyDescription d = b.build().describe();
        TreeSet<String> stores = new TreeSet<>();
        TreeSet<String> read = new TreeSet<>();
        TreeSet<String> written = new TreeSet<>();
        for (TopologyDescription.Subtopology s : d.subtopologies()) {
            for (TopologyDescription.Node n : s.nodes()) {
                if (n instanceof TopologyDescription.Processor proc) {
                    stores.addAll(proc.stores());
                } else if (n instanceof TopologyDescription.Source src) {
                    read.addAll(src.topicSet());
                } else if (n instanceof TopologyDescription.Sink sink) {
                    written.add(sink.topic());
                }
            }
        }
        assertThat(stores)
                .containsExactly(
                        "gmv_by_country-input-watermark",
                        "gmv_by_country-rows",
                        "gmv_by_country-watermark",
                        "orders-dedupe-batches",
                        "orders-dedupe-index",
                        "orders-dedupe-indexed");
        assertThat(read).containsExactly("ecommerce.orders", "gmv_by_country-partials-repartition");
        assertThat(written)
                .containsExactly(
                        "ecommerce.dlq",
                        "ecommerce.orders.accepted",
                        "ecommerce.orders.late",
                        "ecommerce.view.gmv_by_country",
                        "gmv_by_country-partials-repartition");
        assertThat(d.subtopologies()).hasSize(2);
    }
}
