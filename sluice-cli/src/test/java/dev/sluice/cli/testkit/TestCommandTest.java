package dev.sluice.cli.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sluice test} as a user meets it: the examples' own test files pass; a changed expectation, an unexpected or
 * missing row, an unexpected refusal and a dead letter are reported at the line of the file that expected otherwise
 * (exit 1); a file that cannot be read, or names an unknown view or stream, gets a located error (exit 2).
 */
class TestCommandTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private static Result sluiceTest(Path path, String... options) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            String[] args = new String[options.length + 2];
            args[0] = "test";
            System.arraycopy(options, 0, args, 1, options.length);
            args[args.length - 1] = path.toString();
            int exit = new CommandLine(new Main()).execute(args);
            return new Result(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** The ecommerce example (pipeline, schema and its test file) copied into the temp dir; returns the test file. */
    private Path ecommerce() throws Exception {
        Path src = Path.of("..", "examples", "ecommerce");
        Files.createDirectories(dir.resolve("schemas"));
        Files.copy(src.resolve("pipeline.yaml"), dir.resolve("pipeline.yaml"));
        Files.copy(src.resolve("schemas/orders.schema.json"), dir.resolve("schemas/orders.schema.json"));
        return Files.copy(src.resolve("gmv_test.yaml"), dir.resolve("gmv_test.yaml"));
    }

    /** 1-based number of the only line containing {@code text}. */
    private static int lineOf(Path file, String text) throws Exception {
        List<String> lines = Files.readAllLines(file);
        int found = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                assertThat(found).as("'" + text + "' occurs once in " + file).isZero();
                found = i + 1;
            }
        }
        assertThat(found).as("'" + text + "' in " + file).isPositive();
        return found;
    }

    private static void replace(Path file, String from, String to) throws Exception {
        String text = Files.readString(file);
        assertThat(text).contains(from);
        Files.writeString(file, text.replace(from, to));
    }

    private static long testFilesUnder(Path folder) throws Exception {
        try (Stream<Path> all = Files.walk(folder)) {
            return all.filter(p -> p.getFileName().toString().endsWith("_test.yaml"))
                    .count();
        }
    }

    @Test
    void everyExampleTestPasses() throws Exception {
        Path examples = Path.of("..", "examples");
        Result r = sluiceTest(examples);
        assertThat(r.out()).endsWith("15 passed, 0 failed\n");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(testFilesUnder(examples)).isEqualTo(4);
        for (String example : List.of("ecommerce", "fintech", "fraud", "iot")) {
            assertThat(r.out()).containsPattern("(?m)^ok +\\.\\./examples/" + example + "/\\w+_test\\.yaml");
        }
    }

    @Test
    void aPipelineFileRunsTheTestsNamingItAndCaseSelectsByName() throws Exception {
        ecommerce();
        Result r = sluiceTest(dir.resolve("pipeline.yaml"));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).endsWith("6 passed, 0 failed\n");

        Result one = sluiceTest(dir.resolve("pipeline.yaml"), "--case", "duplicates");
        assertThat(one.out()).contains("ok    " + dir.resolve("gmv_test.yaml") + " (1 case)");
        assertThat(one.out()).endsWith("1 passed, 0 failed\n");
        Result noCase = sluiceTest(dir.resolve("pipeline.yaml"), "--case", "no such case");
        assertThat(noCase.exit()).isEqualTo(2);
        assertThat(noCase.err()).contains(dir.resolve("pipeline.yaml") + ": no case name contains 'no such case'");

        Path other = Files.copy(dir.resolve("pipeline.yaml"), dir.resolve("pipeline-other.yaml"));
        Result none = sluiceTest(other);
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains(other + ": no *_test.yaml files name this pipeline in its folder");
    }

    @Test
    void aChangedExpectedValueFailsAtItsLine() throws Exception {
        Path test = ecommerce();
        String row = "{window_start: \"2026-11-24T10:00:00Z\", country: DE, currency: EUR, orders: 3, gmv: 35.75,"
                + " buyers: 2}";
        replace(test, row, row.replace("orders: 3", "orders: 4").replace("gmv: 35.75", "gmv: 35.5"));
        int line = lineOf(test, "orders: 4, gmv: 35.5");
        Result r = sluiceTest(test, "--case", "paid orders per minute");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.out())
                .contains(test + ":" + line + ": case 'paid orders per minute, by country and currency': view"
                        + " gmv_by_country: row {window_start: 2026-11-24T10:00:00Z, country: DE, currency: EUR,"
                        + " orders: 4, gmv: 35.5, buyers: 2}: orders expected 4, got 3; gmv expected 35.5, got"
                        + " 35.75\n")
                .contains("FAIL  " + test + " (1 case)")
                .endsWith("0 passed, 1 failed\n");
    }

    @Test
    void aMissingAndAnUnexpectedRowAreNamed() throws Exception {
        Path test = ecommerce();
        String fr = "        - {window_start: \"2026-11-24T10:00:00Z\", country: FR, currency: EUR, orders: 1, gmv: 7,"
                + " buyers: 1}\n";
        replace(test, fr, "        - {window_start: \"2026-11-24T10:02:00Z\", country: FR, orders: 1}\n");
        int missing = lineOf(test, "10:02:00Z\", country: FR");
        int view = firstLine(test, "gmv_by_country:"); // the first case's
        Result r = sluiceTest(test, "--case", "paid orders per minute");
        assertThat(r.exit()).isEqualTo(1);
        String c = ": case 'paid orders per minute, by country and currency': view gmv_by_country: ";
        assertThat(r.out())
                .contains(test + ":" + missing + c + "missing row {window_start: 2026-11-24T10:02:00Z, country: FR,"
                        + " orders: 1}\n")
                .contains(test + ":" + view + c + "unexpected row {window_start: 2026-11-24T10:00:00Z, country: FR,"
                        + " currency: EUR, orders: 1, gmv: 7.0, buyers: 1}\n")
                .endsWith("0 passed, 1 failed\n");
    }

    private static int firstLine(Path file, String text) throws Exception {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in " + file);
    }

    @Test
    void lateAndDeadLetterCountsAreChecked() throws Exception {
        Path test = ecommerce();
        replace(test, "      late: 1\n", "      late: 2\n");
        int line = lineOf(test, "late: 2");
        Result r = sluiceTest(test, "--case", "later than grace");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out())
                .contains(test + ":" + line + ": case 'an order later than grace is still counted once, and routed"
                        + " to the late topic': late expected 2, got 1 {gmv_by_country=1}\n");
    }

    @Test
    void anUnexpectedRefusalFailsAtTheEventsLine() throws Exception {
        Path test = ecommerce();
        replace(
                test,
                "amount: 20.25, status: paid, created_at: \"2026-11-24T10:00:40Z\"",
                "amount: 20.25, status:" + " payd, created_at: \"2026-11-24T10:00:40Z\"");
        int line = lineOf(test, "status: payd");
        Result r = sluiceTest(test, "-c", "paid orders per minute");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out())
                .contains(test + ":" + line + ": case 'paid orders per minute, by country and currency': orders event"
                        + " refused by the contract: status: ")
                .contains("(expect 'refused: N' when that is intended)");
    }

    /** A derived field that fails on an event sends it to the dead-letter topic; {@code dlq:} counts it. */
    @Test
    void deadLettersAreCountedWithTheirReasons() throws Exception {
        Files.writeString(dir.resolve("items.schema.json"), """
                {"type": "object", "required": ["qty", "at"], "additionalProperties": false,
                 "properties": {"event_id": {"type": "string"}, "qty": {"type": "integer", "minimum": 0},
                                "at": {"type": "string", "format": "date-time"}}}
                """);
        Files.writeString(dir.resolve("pipeline.yaml"), """
                pipeline: kit
                streams:
                  items: {schema: items.schema.json, id: event_id, time: at}
                views:
                  shares:
                    from: items
                    derive: {share: 100 / qty}
                    group_by: []
                    measures: {n: count, total: sum(share)}
                """);
        Path test = dir.resolve("shares_test.yaml");
        Files.writeString(test, """
                pipeline: pipeline.yaml
                cases:
                  - name: a division by zero is dead-lettered, the rest counts
                    input:
                      items:
                        - {event_id: i1, qty: 4, at: "2026-11-24T10:00:00Z"}
                        - {event_id: i2, qty: 0, at: "2026-11-24T10:00:01Z"}
                        - {qty: 5, at: "2026-11-24T10:00:02Z"}
                        - {qty: 5, at: "2026-11-24T10:00:02Z"}
                    expect:
                      shares:
                        - {n: 3, total: 65}
                      dlq: ["/ by zero"]
                  - name: the same, miscounted
                    input:
                      items:
                        - {event_id: i2, qty: 0, at: "2026-11-24T10:00:01Z"}
                    expect:
                      shares: []
                      dlq: 0
                """);
        Result r = sluiceTest(test);
        assertThat(r.out())
                .contains(test + ":" + lineOf(test, "dlq: 0") + ": case 'the same, miscounted': dlq expected 0, got"
                        + " 1: [view shares: ")
                .endsWith("1 passed, 1 failed\n");
        assertThat(r.exit()).isEqualTo(1);
    }

    @Test
    void anUnknownViewOrStreamOrColumnIsALocatedError() throws Exception {
        Path test = ecommerce();
        replace(
                test,
                "      gmv_by_country:\n        - {window_start: \"2026-11-24T10:00:00Z\", country: DE, currency:"
                        + " EUR, orders: 2, gmv: 30.75",
                "      gmv_by_countyr:\n        - {window_start:"
                        + " \"2026-11-24T10:00:00Z\", country: DE, currency: EUR, orders: 2, gmv: 30.75");
        replace(
                test,
                "    input:\n      orders:\n        - {event_id: e1, order_id: o1, user_id: u1, country: DE,"
                        + " currency: EUR, amount: 10, ",
                "    input:\n      order:\n        - {event_id: e1, order_id: o1,"
                        + " user_id: u1, country: DE, currency: EUR, amount: 10, ");
        replace(test, "orders: 1, gmv: 1, buyers: 1}", "orders: 1, gvm: 1, buyers: 1}");
        replace(test, "    description: sums", "    descripton: sums");
        Result r = sluiceTest(test);
        assertThat(r.exit()).isEqualTo(2);
        int view = lineOf(test, "gmv_by_countyr:");
        int stream = firstLine(test, "      order:");
        int column = lineOf(test, "gvm: 1");
        int columnCol = Files.readAllLines(test).get(column - 1).indexOf("gvm") + 1;
        assertThat(r.err())
                .contains(test + ":" + view + ":7: cases[2].expect.gmv_by_countyr: unknown view 'gmv_by_countyr'"
                        + " (did you mean 'gmv_by_country'?)")
                .contains(test + ":" + stream + ":7: cases[3].input.order: unknown stream 'order' (did you mean"
                        + " 'orders'?) (streams: orders)")
                .contains(test + ":" + column + ":" + columnCol + ": cases[0].expect.gmv_by_country[2].gvm: view"
                        + " 'gmv_by_country' has no column 'gvm' (did you mean 'gmv'?)")
                .contains(test + ":" + lineOf(test, "descripton:") + ":5: cases[1].descripton: unknown key 'descripton'"
                        + " (did you mean 'description'?)");
        assertThat(r.out()).contains("ERROR " + test).endsWith("0 passed, 0 failed\n");
    }

    @Test
    void aFileThatIsNotYamlOrNotThereExitsTwo() throws Exception {
        Path test = ecommerce();
        replace(test, "  - name: duplicates count once\n", "  - name: duplicates count once\n   bad: [\n");
        Result r = sluiceTest(test);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).containsPattern(test.toString().replace("\\", "\\\\") + ":\\d+:\\d+: <file>: invalid YAML");

        Result missing = sluiceTest(dir.resolve("nothing_test.yaml"));
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains(dir.resolve("nothing_test.yaml") + ": cannot read: no such file or folder");

        Path broken = dir.resolve("other_test.yaml");
        Files.writeString(broken, "pipeline: nowhere.yaml\ncases: []\n");
        Result noPipeline = sluiceTest(broken);
        assertThat(noPipeline.exit()).isEqualTo(2);
        assertThat(noPipeline.err())
                .contains(broken + ":1:11: pipeline: '" + dir.resolve("nowhere.yaml")
                        + "' does not load (its problems follow)")
                .contains(dir.resolve("nowhere.yaml") + ":1:1: <file>: file not found");
    }
}
