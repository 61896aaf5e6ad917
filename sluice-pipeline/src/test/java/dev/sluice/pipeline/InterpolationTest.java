package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InterpolationTest {

    static final Map<String, String> ENV = Map.of("HOST", "kafka", "PORT", "9092", "EMPTY", "");

    static String apply(String s) throws Interpolation.InterpolationException {
        return Interpolation.apply(s, ENV);
    }

    @Test
    void substitutes() throws Exception {
        assertThat(apply("${HOST}:${PORT}")).isEqualTo("kafka:9092");
        assertThat(apply("$HOST:$PORT")).isEqualTo("kafka:9092");
        assertThat(apply("${NOPE:-3}")).isEqualTo("3");
        assertThat(apply("${EMPTY:-x}")).isEqualTo("x");
        assertThat(apply("${EMPTY-x}")).isEqualTo("");
        assertThat(apply("${NOPE-x}")).isEqualTo("x");
        assertThat(apply("${HOST:?needed}")).isEqualTo("kafka");
        assertThat(apply("cost $$5 and $${HOST}")).isEqualTo("cost $5 and ${HOST}");
        assertThat(apply("no vars, a lone $ and $5")).isEqualTo("no vars, a lone $ and $5");
        assertThat(apply("${NOPE:-}")).isEmpty();
        assertThat(apply("${EMPTY?set it}"))
                .as("? only refuses unset variables")
                .isEmpty();
    }

    @Test
    void refuses() {
        assertThatThrownBy(() -> apply("${NOPE}")).hasMessageContaining("'NOPE' is not set");
        assertThatThrownBy(() -> apply("$NOPE")).hasMessageContaining("'NOPE' is not set");
        assertThatThrownBy(() -> apply("${NOPE:?give me a value}"))
                .hasMessage("environment variable 'NOPE' is not set: give me a value");
        assertThatThrownBy(() -> apply("${EMPTY:?set it}")).hasMessage("environment variable 'EMPTY' is empty: set it");
        assertThatThrownBy(() -> apply("${HOST")).hasMessageContaining("unterminated");
        assertThatThrownBy(() -> apply("${1X}")).hasMessageContaining("invalid variable name");
        assertThatThrownBy(() -> apply("${HOST:+x}")).hasMessageContaining("invalid interpolation");
    }
}
