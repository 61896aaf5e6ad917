package dev.sluice.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Keeps the rooms apart: the rules print how to fix a violation. */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.sluice");

    @Test
    void sourcesAndSinksDoNotKnowTheServer() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.sluice.sources..", "dev.sluice.sinks..", "dev.sluice.processor..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.sluice.server..", "dev.sluice.cli..", "io.javalin..")
                .because("sources, sinks and the processor must run without the HTTP server; "
                        + "move HTTP concerns to sluice-server and pass plain values in")
                .check(CLASSES);
    }

    @Test
    void sinksDoNotKnowSources() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.sluice.sinks..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.sluice.sources..")
                .because("a sink reads Kafka topics, not sources; share wire formats through sluice-wire")
                .check(CLASSES);
    }

    @Test
    void sinksSourcesAndTheServerDoNotKnowTheEngine() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.sluice.sinks..", "dev.sluice.sources..", "dev.sluice.server..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.sluice.processor..")
                .because("what they share with the processor is a wire contract (view records, accumulator state,"
                        + " dead-letter headers, event time): put it in sluice-wire (dev.sluice.wire), so the engine"
                        + " can change without them")
                .check(CLASSES);
    }

    @Test
    void theWireContractsDoNotKnowTheEngine() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.sluice.wire..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.sluice.processor..", "dev.sluice.sources..", "dev.sluice.sinks..", "dev.sluice.server..")
                .because("sluice-wire sits below everything that reads or writes the pipeline's topics")
                .check(CLASSES);
    }

    @Test
    void thePipelineModelDependsOnNothingOfSluice() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.sluice.pipeline..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "dev.sluice.processor..", "dev.sluice.sources..", "dev.sluice.sinks..", "dev.sluice.server..")
                .because("the pipeline model is the bottom layer; everything else reads it")
                .check(CLASSES);
    }
}
