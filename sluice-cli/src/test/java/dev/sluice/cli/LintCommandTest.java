package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice lint} on the example and on a broken copy of it. */
class LintCommandTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private static Result lint(Path file) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = new CommandLine(new Main()).execute("lint", file.toString());
            return new Result(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void theExampleIsClean() {
        Result r = lint(Path.of("..", "examples", "ecommerce", "pipeline.yaml"));
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
    }

    @Test
    void aBrokenCopyGetsLocatedUsefulErrors() throws Exception {
        Path file = OrdersScenario.copyExample(dir, "ecommerce");
        String yaml = Files.readString(file)
                .replace("      grace: 10m", "      graec: 10m")
                .replace("stream: orders\n    topic", "stream: order\n    topic")
                .replace("buyers: count_distinct(user_id)", "buyers: count_distinct(user)");
        Files.writeString(file, yaml);
        Result r = lint(file);
        assertThat(r.exit()).isEqualTo(1);
        String[] lines = Files.readAllLines(file).toArray(String[]::new);
        int graecLine = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains("graec")) {
                graecLine = i + 1;
            }
        }
        assertThat(r.err())
                .contains(file + ":" + graecLine
                        + ":7: views.gmv_by_country.window: unknown key 'graec' (did you mean 'grace'?)")
                .contains("sources.orders_kafka.stream: unknown stream 'order' (did you mean 'orders'?)")
                .contains("views.gmv_by_country.measures.buyers")
                .contains("'user'");
    }
}
