package dev.sluice.cli;

import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.pipeline.Problem;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "lint",
        description =
                "Check a pipeline file; print every problem as file:line:col: path: message. Exit 1 when there are any.")
final class LintCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "the pipeline file")
    Path file;

    @Override
    public Integer call() {
        List<Problem> problems = PipelineLoader.withSystemEnv().lint(file);
        problems.forEach(p -> System.err.println(p));
        if (problems.isEmpty()) {
            System.out.println(file + ": ok");
            return 0;
        }
        System.err.println(problems.size() + (problems.size() == 1 ? " problem" : " problems"));
        return 1;
    }
}
