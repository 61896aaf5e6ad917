package dev.sluice.sources.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a request body is split into events: bad UTF-8 is refused with its line, not repaired. */
class HttpIngestParseTest {
    @Test
    void aLineWithInvalidUtf8IsRefusedAndItsNeighboursAreRead() throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write("{\"a\":1}\n".getBytes(StandardCharsets.UTF_8));
        body.write(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        body.write("{\"a\":\"é\"}\n".getBytes(StandardCharsets.UTF_8));
        List<HttpIngest.Parsed> parsed = HttpIngest.parse(body.toByteArray(), "application/x-ndjson");
        assertThat(parsed).hasSize(3);
        assertThat(parsed.get(0).error()).isNull();
        assertThat(parsed.get(1).event()).isNull();
        assertThat(parsed.get(1).error()).isEqualTo("line 2 is not valid UTF-8 (byte 7 of the line)");
        assertThat(parsed.get(1).line()).isEqualTo(2);
        assertThat(parsed.get(2).event().get("a").asText()).isEqualTo("é");
    }

    @Test
    void blankLinesAreSkippedAndLinesKeepTheirNumbers() {
        List<HttpIngest.Parsed> parsed = HttpIngest.parse(
                "{\"a\":1}\n\n  \n{oops\n{\"a\":2}".getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
        assertThat(parsed).extracting(HttpIngest.Parsed::index).containsExactly(0, 1, 2);
        assertThat(parsed).extracting(HttpIngest.Parsed::line).containsExactly(1, 4, 5);
        assertThat(parsed.get(1).error()).startsWith("line 4 is not JSON: ");
    }

    @Test
    void aSingleObjectWithInvalidUtf8IsRefused() {
        byte[] body = {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'};
        List<HttpIngest.Parsed> parsed = HttpIngest.parse(body, "application/json");
        assertThat(parsed).hasSize(1);
        assertThat(parsed.get(0).error()).isEqualTo("line 1 is not valid UTF-8 (byte 7 of the line)");
    }

    @Test
    void anOverlongEncodingIsNotReadAsTheCharacterItDisguises() {
        // C0 AF is an overlong '/': Jackson alone would read it as "/"
        byte[] line = {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        assertThat(HttpIngest.parse(line, "application/x-ndjson").get(0).error())
                .isEqualTo("line 1 is not valid UTF-8 (byte 7 of the line)");
        byte[] array = new byte[line.length + 2];
        array[0] = '[';
        System.arraycopy(line, 0, array, 1, line.length);
        array[array.length - 1] = ']';
        assertThatThrownBy(() -> HttpIngest.parse(array, "application/json"))
                .hasMessage("body is not valid UTF-8 (byte 8)");
    }

    @Test
    void twoObjectsInAnApplicationJsonBodyAreTwoEventsNotTheFirstOne() {
        for (String body : new String[] {"{\"a\":1}\n{\"a\":2}", "{\"a\":1}\n{\"a\":2}\n"}) {
            List<HttpIngest.Parsed> parsed =
                    HttpIngest.parse(body.getBytes(StandardCharsets.UTF_8), "application/json");
            assertThat(parsed).extracting(p -> p.event().get("a").asInt()).containsExactly(1, 2);
        }
        List<HttpIngest.Parsed> glued =
                HttpIngest.parse("{\"a\":1}{\"a\":2}".getBytes(StandardCharsets.UTF_8), "application/json");
        assertThat(glued).hasSize(1);
        assertThat(glued.get(0).error()).startsWith("line 1 is not JSON: ");
    }
}
