package dev.sluice.pipeline;

import dev.sluice.pipeline.Spec.Key;
import dev.sluice.pipeline.Spec.Section;
import java.util.Map;

/**
 * The pipeline file reference, generated from the same declaration the loader validates against.
 * {@code docs/pipeline.md} embeds {@link #markdown()} between the markers {@link #BEGIN} and {@link
 * #END}; a test keeps the two identical.
 */
public final class PipelineReference {

    public static final String BEGIN = "<!-- BEGIN GENERATED REFERENCE -->";
    public static final String END = "<!-- END GENERATED REFERENCE -->";

    private PipelineReference() {}

    /** The reference: one section per part of the file, each with a table of its keys. */
    public static String markdown() {
        StringBuilder md = new StringBuilder();
        for (Section s : Spec.sections()) {
            section(md, s, "###");
        }
        return md.toString();
    }

    private static void section(StringBuilder md, Section s, String level) {
        md.append(level).append(' ').append(s.title()).append("\n\n");
        if (!s.docPath().isEmpty()) {
            md.append("Under `").append(s.docPath()).append("`.");
            if (!s.description().isEmpty()) {
                md.append(' ');
            }
        }
        if (!s.description().isEmpty()) {
            md.append(s.description());
        }
        if (!s.docPath().isEmpty() || !s.description().isEmpty()) {
            md.append("\n\n");
        }
        table(md, s);
        for (Map.Entry<String, Section> v : s.variants().entrySet()) {
            Section variant = v.getValue();
            md.append(level).append("# ").append(variant.title()).append("\n\n");
            md.append(variant.description()).append("\n\n");
            if (variant.keys().isEmpty()) {
                md.append("No further keys.\n\n");
            } else {
                table(md, variant);
            }
        }
    }

    private static void table(StringBuilder md, Section s) {
        md.append("| Key | Type | Required | Default | Description | Example |\n");
        md.append("|---|---|---|---|---|---|\n");
        for (Key k : s.keys()) {
            md.append("| `")
                    .append(k.name())
                    .append("` | ")
                    .append(cell(k.typeDoc()))
                    .append(" | ")
                    .append(k.required() ? "yes" : "no")
                    .append(" | ")
                    .append(k.defaultText() == null ? "–" : "`" + cell(k.defaultText()) + "`")
                    .append(" | ")
                    .append(cell(k.description()))
                    .append(" | ")
                    .append(k.example() == null ? "" : "`" + cell(k.example()) + "`")
                    .append(" |\n");
        }
        md.append('\n');
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
