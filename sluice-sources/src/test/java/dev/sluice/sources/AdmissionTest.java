package dev.sluice.sources;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.PipelineLoader;
import dev.sluice.schema.Violation;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The contract every source applies, on the ecommerce example's orders stream; here: numbers no double holds. */
class AdmissionTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    static Admission admission;

    @BeforeAll
    static void load() throws Exception {
        Pipeline p = PipelineLoader.withSystemEnv().load(Path.of("..", "examples", "ecommerce", "pipeline.yaml"));
        admission = new Admission(p.stream("orders"), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    static String order(String amount) {
        return "{\"event_id\":\"e1\",\"order_id\":\"o1\",\"user_id\":\"u1\",\"country\":\"DE\",\"currency\":\"EUR\","
                + "\"amount\":" + amount + ",\"status\":\"paid\",\"created_at\":\"2026-11-24T11:00:00Z\"}";
    }

    static Admission.Result admit(String json) throws Exception {
        return admission.admit(JSON.readTree(json), () -> "generated");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e400", "-1e400", "1E+309", "2e308"})
    void aNumberBeyondTheRangeOfADoubleIsRefusedNamingItsField(String amount) throws Exception {
        assertThat(JSON.readTree(order(amount)).get("amount").doubleValue())
                .as("Jackson reads it as an infinite double")
                .isInfinite();
        Admission.Result r = admit(order(amount));
        assertThat(r).isInstanceOf(Admission.Refused.class);
        assertThat(((Admission.Refused) r).violations())
                .containsExactly(new Violation("amount", "finite", "number out of range (not finite)"));
        assertThat(((Admission.Refused) r).violations().get(0).toString())
                .isEqualTo("amount: number out of range (not finite) (finite)");
    }

    @Test
    void anIntegerOfFourHundredDigitsIsRefusedToo() throws Exception {
        String digits = "9".repeat(400);
        assertThat(JSON.readTree(order(digits)).get("amount").isBigInteger()).isTrue();
        Admission.Result r = admit(order(digits));
        assertThat(((Admission.Refused) r).violations())
                .extracting(Violation::field, Violation::rule)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("amount", "finite"));
    }

    @Test
    void nanAndInfinityFromADecoderAreRefusedWhereverTheySit() throws Exception {
        // Avro doubles can carry NaN and Infinity; JSON text cannot, so build the tree by hand
        ObjectNode e = (ObjectNode) JSON.readTree(order("10"));
        e.put("amount", Double.NaN);
        assertThat(((Admission.Refused) admission.admit(e, () -> "g")).violations())
                .extracting(Violation::field)
                .containsExactly("amount");
        List<Violation> nested = new ArrayList<>();
        JsonNode deep = JSON.readTree("{\"a\":{\"b\":[1,{\"c\":1e999}],\"d\":-1e999}}");
        Admission.nonFinite(deep, "", nested);
        assertThat(nested).extracting(Violation::field).containsExactly("a.b[1].c", "a.d");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.7976931348623157e308", "1e-300", "4.9e-324", "123456789012345678901234567890"})
    void largeAndTinyFiniteNumbersAreAccepted(String amount) throws Exception {
        assertThat(admit(order(amount))).isInstanceOf(Admission.Accepted.class);
    }

    @Test
    void anAcceptedEventIsWrittenAsANumberNotAsText() throws Exception {
        Admission.Accepted a = (Admission.Accepted) admit(order("1e300"));
        assertThat(JSON.readTree(a.value()).get("amount").isNumber()).isTrue();
    }

    @Test
    void anEpochTimeBeyondTheRangeOfRfc3339IsRefused() throws Exception {
        String json = order("1").replace("\"created_at\":\"2026-11-24T11:00:00Z\"", "\"created_at\":1");
        // the orders schema wants a string; a stream whose time is epoch ms is refused by the time rule, see
        // EventTimeRangeTest in sluice-processor
        assertThat(((Admission.Refused) admit(json)).violations())
                .extracting(Violation::field)
                .containsExactly("created_at");
    }

    @Test
    void anEventTooLargeToWriteIsRefusedWithItsSize() throws Exception {
        String json = order("1").replace("\"user_id\":\"u1\"", "\"user_id\":\"" + "u".repeat(900_000) + "\"");
        Admission.Result r = admit(json);
        assertThat(((Admission.Refused) r).violations())
                .extracting(Violation::field, Violation::rule)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("$", "size"));
        assertThat(((Admission.Refused) r).violations().get(0).message())
                .matches("the event is 900\\d{3} bytes, more than 900000");
    }
}
