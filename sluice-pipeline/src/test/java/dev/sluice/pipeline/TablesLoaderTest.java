package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.graph.ProcessingGraph;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code tables:}: what loads, and each mistake reported where it is. */
class TablesLoaderTest {
    @org.junit.jupiter.api.io.TempDir
    Path dir;

    static final String MINIMAL = PipelineLoaderTest.MINIMAL;

    Path write(String yaml) throws java.io.IOException {
        java.nio.file.Files.createDirectories(dir.resolve("schemas"));
        java.nio.file.Files.copy(
                PipelineLoaderTest.EXAMPLE_SCHEMA,
                dir.resolve("schemas/orders.schema.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path file = dir.resolve("pipeline.yaml");
        java.nio.file.Files.writeString(file, yaml);
        return file;
    }

    static List<String> lint(Path file, Map<String, String> env) {
        return PipelineLoaderTest.lint(file, env);
    }

    static String prefix(Path file) {
        return PipelineLoaderTest.prefix(file);
    }

    @Test
    void aTableLoadsAndIsANodeOfTheGraph() throws Exception {
        Path file = write(MINIMAL + """
                tables:
                  last_order:
                    from: orders
                    key: [user_id]
                    fields: [amount, status]
                  every_field:
                    from: orders
                    key: [country, currency]
                """);
        Pipeline p = new PipelineLoader(Map.of()).load(file);
        assertThat(p.tables())
                .containsExactly(
                        Map.entry(
                                "last_order",
                                new TableDef("last_order", "orders", List.of("user_id"), List.of("amount", "status"))),
                        Map.entry(
                                "every_field",
                                new TableDef("every_field", "orders", List.of("country", "currency"), List.of())));
        assertThat(p.tableTopic("last_order")).isEqualTo("shop.table.last_order");
        ProcessingGraph g = ProcessingGraph.compile(p);
        assertThat(g.node("table:last_order").inputs()).containsExactly("stream:orders");
        assertThat(g.readersOf("stream:orders"))
                .extracting(ProcessingGraph.Node::id)
                .containsExactly("table:last_order", "table:every_field");
    }

    @Test
    void theFintechExampleHasItsPriceTable() throws Exception {
        Pipeline p = new PipelineLoader(Map.of()).load(Path.of("../examples/fintech/pipeline.yaml"));
        assertThat(p.tables().get("last_price"))
                .isEqualTo(new TableDef("last_price", "ticks", List.of("symbol"), List.of("price", "venue")));
    }

    @Test
    void mistakesAreReportedWhereTheyAre() throws Exception {
        Path file = write(MINIMAL + """
                tables:
                  by_user:
                    from: order
                    key: [user_id]
                  bad_fields:
                    from: orders
                    key: [usr_id, user_id, user_id]
                    fields: [amount, amonut]
                  no_key:
                    from: orders
                    key: []
                  orders:
                    from: orders
                    key: [user_id]
                """);
        assertThat(lint(file, Map.of()))
                .containsExactly(
                        prefix(file) + "9:11: tables.by_user.from: unknown stream 'order' (did you mean 'orders'?)",
                        prefix(file) + "13:11: tables.bad_fields.key[0]: 'usr_id' is not a field of stream 'orders'"
                                + " (did you mean 'user_id'?)",
                        prefix(file) + "13:28: tables.bad_fields.key[2]: 'user_id' is named twice",
                        prefix(file) + "14:22: tables.bad_fields.fields[1]: 'amonut' is not a field of stream"
                                + " 'orders' (did you mean 'amount'?)",
                        prefix(file) + "17:10: tables.no_key.key: name at least one key field",
                        prefix(file) + "18:3: tables.orders: 'orders' is also the name of a stream; tables, streams"
                                + " and views need distinct names");
    }

    @Test
    void aTableNeedsAStreamAndAKey() throws Exception {
        Path file = write(MINIMAL + """
                tables:
                  t:
                    fields: [amount]
                """);
        assertThat(lint(file, Map.of()))
                .containsExactly(
                        prefix(file) + "9:5: tables.t: missing required key 'from' (e.g. from: ticks)",
                        prefix(file) + "9:5: tables.t: missing required key 'key' (e.g. key: [symbol])");
    }
}
