package dev.sluice.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.Expressions;
import dev.sluice.wire.EventTime;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The streaming parse gives what the tree-based reading it replaced gave (Jackson's tree, {@code Expressions.fieldsOf},
 * the id's {@code asText}, {@link EventTime#of}): the same values, the same id and time, and the same errors.
 */
class ParsedEventTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"id\":\"a\",\"t\":1000,\"amount\":12.5,\"n\":3,\"ok\":true,\"no\":false,\"x\":null}",
                "{\"t\":\"2026-11-25T17:03:39.155Z\",\"id\":\"b\",\"lines\":[{\"sku\":\"A\",\"qty\":2},[1,2.5,\"z\"],null]}",
                "{\"id\":17,\"t\":\"2026-11-25T18:03:39+01:00\",\"big\":123456789012345678901234567890}",
                "{\"id\":1.50,\"t\":1,\"nested\":{\"a\":{\"b\":[]},\"c\":{}}}",
                "{\"id\":true,\"t\":0,\"u\":\"caf\\u00e9 \\\"q\\\" \\n\",\"neg\":-9223372036854775808}",
                "{\"id\":\"dup\",\"t\":5,\"id\":\"last\",\"t\":7,\"k\":1,\"k\":2}",
                "{\"id\":12345678901234567890123,\"t\":42}",
                "{\"id\":\"e\",\"t\":-62167219200000,\"f\":1e300,\"g\":-0.0}",
            })
    void readsWhatTheTreeReads(String json) throws Exception {
        JsonNode tree = JSON.readTree(json);
        ParsedEvent e = ParsedEvent.parse(json.getBytes(StandardCharsets.UTF_8), "id", "t");
        assertThat(e.fields()).isEqualTo(Expressions.fieldsOf(tree));
        assertThat(e.id()).isEqualTo(tree.get("id").asText());
        assertThat(e.time()).isEqualTo(EventTime.of(tree, "t"));
        assertThat(e.raw()).isEqualTo(json.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"id\":\"a\"}",
                "{\"id\":\"a\",\"t\":null}",
                "{\"id\":\"a\",\"t\":1.5}",
                "{\"id\":\"a\",\"t\":{\"ms\":1}}",
                "{\"id\":\"a\",\"t\":[1]}",
                "{\"id\":\"a\",\"t\":true}",
                "{\"id\":\"a\",\"t\":\"yesterday\"}",
                "{\"id\":\"a\",\"t\":\"2026-02-30T00:00:00Z\"}",
                "{\"id\":\"a\",\"t\":253402300800000}",
                "{\"id\":\"a\",\"t\":99999999999999999999999}",
            })
    void refusesATimeAsEventTimeDoes(String json) throws Exception {
        JsonNode tree = JSON.readTree(json);
        String expected = null;
        try {
            EventTime.of(tree, "t");
        } catch (IllegalArgumentException ex) {
            expected = ex.getMessage();
        }
        assertThat(expected).isNotNull();
        assertThatThrownBy(() -> ParsedEvent.parse(json.getBytes(StandardCharsets.UTF_8), "id", "t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expected);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"t\":1}",
                "{\"id\":null,\"t\":1}",
                "{\"id\":\"\",\"t\":1}",
                "{\"id\":{\"x\":1},\"t\":1}",
                "{\"id\":[\"x\"],\"t\":1}",
                "{\"id\":\"a\",\"t\":1,\"id\":null}",
            })
    void refusesAMissingIdBeforeLookingAtTheTime(String json) {
        assertThatThrownBy(() -> ParsedEvent.parse(json.getBytes(StandardCharsets.UTF_8), "id", "nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id field 'id' is missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[1,2]", "17", "\"text\"", "null"})
    void refusesWhatIsNotAnObject(String json) {
        assertThatThrownBy(() -> ParsedEvent.parse(json.getBytes(StandardCharsets.UTF_8), "id", "t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a JSON object");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"id\":\"a\",\"t\":1", "{\"id\":\"a\" \"t\":1}", "{\"id\":\"a\",\"t\":01}", "{id:1}"})
    void refusesBrokenJsonWithTheParsersMessage(String json) {
        assertThatThrownBy(() -> ParsedEvent.parse(json.getBytes(StandardCharsets.UTF_8), "id", "t"))
                .isInstanceOf(com.fasterxml.jackson.core.JsonProcessingException.class)
                .hasMessageContaining("line: 1, column: ");
    }
}
