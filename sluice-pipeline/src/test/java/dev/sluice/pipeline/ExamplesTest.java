package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every pipeline file under examples/ lints clean, with the defaults its ${VAR:-default}s give. */
class ExamplesTest {
    @Test
    void everyExamplePipelineLintsClean() throws Exception {
        List<Path> files;
        try (Stream<Path> all = Files.walk(Path.of("..", "examples"))) {
            files = all.filter(p -> p.getFileName().toString().matches("pipeline.*\\.yaml"))
                    .sorted()
                    .toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        for (Path f : files) {
            assertThat(new PipelineLoader(Map.of()).lint(f)).as(f.toString()).isEmpty();
        }
    }
}
