package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.kafka.testing.SharedKafka;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pipeline's schema under change: {@code sluice run} registers it, refuses to start on a change that breaks
 * the subject's level (saying which stream, subject and field), and {@code sluice schema check} says the same
 * without running; a compatible change is registered as the next version, and {@code schema diff} shows it.
 */
class SchemaEvolutionIT {
    @TempDir
    Path dir;

    @Test
    void runAndCheckRefuseABreakingChangeAndAcceptACompatibleOne() throws Exception {
        String name = SharedKafka.uniqueName("evolve");
        String registryTopic = SharedKafka.uniqueName("_schemas");
        Path file = OrdersScenario.copyExample(dir.resolve("pipeline"), name);
        Path schema = dir.resolve("pipeline/schemas/orders.schema.json");
        String v1 = Files.readString(schema);

        Pipeline p1 = PipelineLoader.withSystemEnv().load(file);
        SluiceRuntime.Options o = new SluiceRuntime.Options(
                        dir.resolve("data"),
                        "127.0.0.1",
                        0,
                        0,
                        SharedKafka.get().bootstrapServers(),
                        Clock.systemUTC())
                .withRegistry(registryTopic, 0);
        String subject = p1.subject("orders");
        assertThat(subject).isEqualTo(name + ".orders-value");

        // a new required property breaks BACKWARD for a closed JSON Schema: old events lack it
        String breaking = v1.replace(
                        "\"created_at\": { \"type\": \"string\", \"format\": \"date-time\" }",
                        "\"created_at\": { \"type\": \"string\", \"format\": \"date-time\" },\n"
                                + "    \"channel\": { \"type\": \"string\" }")
                .replace("\"required\": [", "\"required\": [\"channel\", ");
        String compatible = v1.replace(
                "\"created_at\": { \"type\": \"string\", \"format\": \"date-time\" }",
                "\"created_at\": { \"type\": \"string\", \"format\": \"date-time\" },\n"
                        + "    \"channel\": { \"type\": \"string\" }");
        assertThat(breaking).isNotEqualTo(v1).contains("\"channel\", ");
        assertThat(compatible).isNotEqualTo(v1);

        try (SluiceRuntime rt = SluiceRuntime.start(p1, o)) {
            assertThat(rt.registry().versions(subject, false)).containsExactly(1);
            SchemaCommand.Client client = SchemaCommand.Client.of("http://127.0.0.1:" + rt.httpPort() + "/registry");
            SchemaCommand.Client ownPort = SchemaCommand.Client.of("http://127.0.0.1:" + rt.registryPort());

            Files.writeString(schema, breaking);
            Pipeline p2 = PipelineLoader.withSystemEnv().load(file);
            Out check = new Out();
            assertThat(SchemaCommand.Check.check(p2, client, check.out, check.err))
                    .isEqualTo(1);
            assertThat(check.err())
                    .contains("stream 'orders'")
                    .contains(subject)
                    .contains("channel");

            Files.writeString(schema, compatible);
            Pipeline p3 = PipelineLoader.withSystemEnv().load(file);
            Out ok = new Out();
            assertThat(SchemaCommand.Check.check(p3, ownPort, ok.out, ok.err))
                    .as(ok.err())
                    .isZero();
            assertThat(ok.out()).contains("compatible with subject '" + subject + "'");
        }

        // run refuses the breaking change before starting anything
        Files.writeString(schema, breaking);
        Pipeline broken = PipelineLoader.withSystemEnv().load(file);
        assertThatThrownBy(() -> SluiceRuntime.start(broken, o))
                .isInstanceOf(SluiceRuntime.SchemaRefusedException.class)
                .hasMessageContaining("stream 'orders'")
                .hasMessageContaining(subject)
                .hasMessageContaining("BACKWARD")
                .hasMessageContaining("channel");

        // and registers the compatible one as version 2
        Files.writeString(schema, compatible);
        Pipeline evolved = PipelineLoader.withSystemEnv().load(file);
        try (SluiceRuntime rt = SluiceRuntime.start(evolved, o)) {
            assertThat(rt.registry().versions(subject, false)).containsExactly(1, 2);
            List<String> diff = SchemaCommand.Diff.diff(
                    SchemaCommand.Diff.pretty(versionJson(rt, subject, "1"))
                            .lines()
                            .toList(),
                    SchemaCommand.Diff.pretty(versionJson(rt, subject, "2"))
                            .lines()
                            .toList());
            assertThat(diff).anySatisfy(l -> assertThat(l).startsWith("+ ").contains("channel"));
            assertThat(diff.stream().filter(l -> l.startsWith("- "))).hasSizeLessThanOrEqualTo(1);
        }
    }

    static com.fasterxml.jackson.databind.JsonNode versionJson(SluiceRuntime rt, String subject, String v) {
        return OrdersScenario.JSON
                .createObjectNode()
                .put("schema", rt.registry().version(subject, v, false).schema().text());
    }

    static final class Out {
        final ByteArrayOutputStream o = new ByteArrayOutputStream();
        final ByteArrayOutputStream e = new ByteArrayOutputStream();
        final PrintStream out = new PrintStream(o, true, StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(e, true, StandardCharsets.UTF_8);

        String out() {
            return o.toString(StandardCharsets.UTF_8);
        }

        String err() {
            return e.toString(StandardCharsets.UTF_8);
        }
    }
}
