package dev.sluice.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        version = "sluice 0.1.0",
        description = "Real-time event pipelines: one pipeline file from raw events to live numbers.",
        subcommands = {
            RunCommand.class,
            DemoCommand.class,
            LintCommand.class,
            SchemaCommand.class,
            LagCommand.class,
            dev.sluice.cli.loadgen.LoadgenCommand.class,
            dev.sluice.cli.loadgen.VerifyCommand.class,
            dev.sluice.cli.testkit.TestCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
