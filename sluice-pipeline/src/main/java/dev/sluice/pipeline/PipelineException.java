package dev.sluice.pipeline;

import java.util.List;
import java.util.stream.Collectors;

/** A pipeline file with problems; {@link #getMessage()} lists every one, one per line. */
public final class PipelineException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<Problem> problems;

    public PipelineException(List<Problem> problems) {
        super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
