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

    @Test
    void variableNamesAreLettersDigitsAndUnderscoresNotStartingWithADigit() throws Exception {
        Map<String, String> env = Map.of("a_Z9", "1", "_x", "2", "Zz", "3", "aa", "4");
        assertThat(Interpolation.apply("$a_Z9-${_x}.$Zz/$aa", env)).isEqualTo("1-2.3/4");
        assertThat(Interpolation.apply("${a_Z9:-d}|${_x-d}", env)).isEqualTo("1|2");
        assertThat(Interpolation.apply("$aa@", env))
                .as("a name ends at the first other character")
                .isEqualTo("4@");
        assertThat(Interpolation.apply("$9 $@ $[ $` ${Zz}", env)).isEqualTo("$9 $@ $[ $` 3");
        assertThat(Interpolation.apply("end $", env)).isEqualTo("end $");
        assertThat(Interpolation.apply("${a-b}", Map.of()))
                .as("'-' ends the name, a default follows")
                .isEqualTo("b");
        assertThatThrownBy(() -> Interpolation.apply("${@x}", env)).hasMessageContaining("invalid variable name");
        assertThatThrownBy(() -> Interpolation.apply("${[x}", env)).hasMessageContaining("invalid variable name");
        assertThatThrownBy(() -> Interpolation.apply("${`x}", env)).hasMessageContaining("invalid variable name");
        assertThatThrownBy(() -> Interpolation.apply("${}", env)).hasMessageContaining("invalid variable name");
        assertThatThrownBy(() -> Interpolation.apply("${NOPE?}", Map.of()))
                .hasMessage("environment variable 'NOPE' is not set");
        assertThat(Interpolation.apply("${aa?must}", env)).isEqualTo("4");
    }
}
