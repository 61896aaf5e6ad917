package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PipelineReferenceTest {

    static final Path DOC = Path.of("../docs/pipeline.md");

    @Test
    void theDocsEmbedTheGeneratedReference() throws Exception {
        String doc = Files.readString(DOC);
        int begin = doc.indexOf(PipelineReference.BEGIN);
        int end = doc.indexOf(PipelineReference.END);
        assertThat(begin).as("docs/pipeline.md has the BEGIN marker").isNotNegative();
        assertThat(end).as("docs/pipeline.md has the END marker").isGreaterThan(begin);
        String embedded = doc.substring(begin + PipelineReference.BEGIN.length(), end);
        String generated = "\n\n" + PipelineReference.markdown();
        if (Boolean.getBoolean("sluice.docs.update") && !embedded.equals(generated)) {
            Files.writeString(
                    DOC, doc.substring(0, begin + PipelineReference.BEGIN.length()) + generated + doc.substring(end));
            embedded = generated;
        }
        assertThat(embedded)
                .as("docs/pipeline.md is out of date: replace the text between the markers with"
                        + " PipelineReference.markdown() (or run this test with -Dsluice.docs.update=true)")
                .isEqualTo(generated);
    }

    @Test
    void everyKeyIsDocumented() {
        String md = PipelineReference.markdown();
        for (Spec.Section s : Spec.sections()) {
            assertThat(md).contains("### " + s.title());
            for (Spec.Key k : s.keys()) {
                assertThat(md).contains("| `" + k.name() + "` |");
                assertThat(k.description()).as(k.name()).isNotBlank();
            }
            for (Spec.Section v : s.variants().values()) {
                for (Spec.Key k : v.keys()) {
                    assertThat(md).contains("| `" + k.name() + "` |");
                }
            }
        }
    }

    @Test
    void documentedDefaultsAreTheModelsDefaults() {
        assertThat(Spec.defaultOf(Spec.STREAM.key("partitions"))).isEqualTo((long) StreamDef.DEFAULT_PARTITIONS);
        assertThat(Spec.defaultOf(Spec.STREAM.key("retention"))).isEqualTo(StreamDef.DEFAULT_RETENTION);
        assertThat(Spec.defaultOf(Spec.STREAM.key("dedup"))).isEqualTo(StreamDef.DEFAULT_DEDUP_HORIZON);
        assertThat(Spec.defaultOf(Spec.SOURCE_HTTP.key("max_body"))).isEqualTo(SourceDef.Http.DEFAULT_MAX_BODY_BYTES);
        assertThat(Spec.defaultOf(Spec.SOURCE_HTTP.key("max_in_flight")))
                .isEqualTo((long) SourceDef.Http.DEFAULT_MAX_IN_FLIGHT_EVENTS);
        assertThat(Spec.defaultOf(Spec.WINDOW.key("grace"))).isEqualTo(Duration.ZERO);
        assertThat(Spec.defaultOf(Spec.SOURCE_GENERATOR.key("late_by"))).isEqualTo(Duration.ofMinutes(30));
    }
}
