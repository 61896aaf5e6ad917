package dev.sluice.cli.testkit;

import dev.sluice.pipeline.PipelineException;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.TestFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice test PATH}: runs every {@code *_test.yaml} under PATH, each case on a fresh processor and store
 * ({@link CaseRunner}), compares the outcome with the file ({@link Expectations}) and prints each difference, then
 * {@code N passed, M failed}. Exit 0 when every case passed, 1 when one failed, 2 when a file could not be read
 * (its problems printed as {@code sluice lint} prints them; the other files still run).
 */
@Command(
        name = "test",
        description = "Run the *_test.yaml files under PATH (a folder, a test file, or a pipeline file: the tests"
                + " naming it) on the real processor, offline. Prints each failure as file:line: case 'name': ...,"
                + " then 'N passed, M failed'. Exit 1 when a case fails, 2 when a file cannot be read.")
public final class TestCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", defaultValue = ".", description = "a folder, a test file or a pipeline file")
    Path path;

    @Option(
            names = {"-c", "--case"},
            paramLabel = "TEXT",
            description = "run only the cases whose name contains TEXT")
    String only;

    @Override
    public Integer call() throws IOException {
        List<Path> files;
        try {
            files = testFiles(path);
        } catch (IOException | UncheckedIOException e) {
            System.err.println(path + ": cannot read: " + e.getMessage());
            return 2;
        }
        if (files.isEmpty()) {
            System.err.println(path + ": no *" + TestFile.SUFFIX + " files"
                    + (Files.isDirectory(path) || path.getFileName().toString().endsWith(TestFile.SUFFIX)
                            ? ""
                            : " name this pipeline in its folder"));
            return 2;
        }
        PipelineLoader loader = PipelineLoader.withSystemEnv();
        Path work = Files.createTempDirectory("sluice-test");
        int passed = 0;
        int failed = 0;
        boolean unreadable = false;
        long started = System.nanoTime();
        try {
            for (Path f : files) {
                TestFile tests;
                try {
                    tests = TestFile.load(f, loader);
                } catch (PipelineException e) {
                    e.problems().forEach(System.err::println);
                    System.out.println("ERROR " + f);
                    unreadable = true;
                    continue;
                }
                List<TestFile.Case> cases = tests.cases().stream()
                        .filter(c -> only == null || c.name().contains(only))
                        .toList();
                if (cases.isEmpty()) {
                    continue;
                }
                int failedBefore = failed;
                for (TestFile.Case c : cases) {
                    Path caseDir = Files.createTempDirectory(work, "case");
                    List<String> failures;
                    try {
                        failures =
                                Expectations.check(tests, c, CaseRunner.run(tests.pipeline(), c, tests.now(), caseDir));
                    } catch (Exception e) {
                        failures = List.of(f + ":" + c.line() + ": case '" + c.name() + "': could not run: " + e);
                    }
                    if (failures.isEmpty()) {
                        passed++;
                    } else {
                        failed++;
                        failures.forEach(System.out::println);
                    }
                }
                System.out.println((failed == failedBefore ? "ok    " : "FAIL  ") + f + " (" + cases.size()
                        + (cases.size() == 1 ? " case" : " cases") + ")");
            }
        } finally {
            deleteTree(work);
        }
        if (only != null && passed + failed == 0 && !unreadable) {
            System.err.println(path + ": no case name contains '" + only + "'");
            return 2;
        }
        System.out.printf("(%.1f s)%n", (System.nanoTime() - started) / 1e9);
        System.out.println(passed + " passed, " + failed + " failed");
        return unreadable ? 2 : failed > 0 ? 1 : 0;
    }

    /** PATH's test files in name order: a folder's (at any depth), the file itself, or those naming a pipeline. */
    static List<Path> testFiles(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            try (Stream<Path> all = Files.walk(path)) {
                return all.filter(p -> p.getFileName().toString().endsWith(TestFile.SUFFIX) && Files.isRegularFile(p))
                        .sorted()
                        .toList();
            }
        }
        if (!Files.exists(path)) {
            throw new IOException("no such file or folder");
        }
        if (path.getFileName().toString().endsWith(TestFile.SUFFIX)) {
            return List.of(path);
        }
        List<Path> naming = new ArrayList<>();
        for (Path t : testFiles(path.getParent() == null ? Path.of(".") : path.getParent())) {
            Path named = TestFile.pipelineOf(t);
            if (named != null
                    && named.toAbsolutePath()
                            .normalize()
                            .equals(path.toAbsolutePath().normalize())) {
                naming.add(t);
            }
        }
        return naming;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
