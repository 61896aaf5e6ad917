package dev.sluice.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventValidatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static EventValidator orders() throws Exception {
        Path schema = Path.of("..", "examples", "ecommerce", "schemas", "orders.schema.json");
        return EventValidator.of(JSON.readTree(Files.readString(schema)));
    }

    private static JsonNode event(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void aConformingOrderHasNoViolations() throws Exception {
        assertThat(orders().validate(event("""
                {"event_id":"e1","order_id":"o1","user_id":"u1","country":"DE","currency":"EUR",
                 "amount":12.5,"status":"paid","created_at":"2026-11-24T10:00:00Z"}"""))).isEmpty();
    }

    @Test
    void eachBrokenRuleNamesItsFieldAndRule() throws Exception {
        List<Violation> v = orders().validate(event("""
                {"order_id":"o1","country":"XX","currency":"EUR",
                 "amount":0,"status":"paid","created_at":"yesterday","colour":"red"}"""));
        assertThat(v)
                .extracting(Violation::field, Violation::rule)
                .contains(
                        org.assertj.core.groups.Tuple.tuple("amount", "exclusiveMinimum"),
                        org.assertj.core.groups.Tuple.tuple("country", "enum"),
                        org.assertj.core.groups.Tuple.tuple("created_at", "format"),
                        org.assertj.core.groups.Tuple.tuple("user_id", "required"),
                        org.assertj.core.groups.Tuple.tuple("colour", "additionalProperties"));
    }

    @Test
    void aWrongTypeIsATypeViolation() throws Exception {
        List<Violation> v = orders().validate(event("""
                {"order_id":"o1","user_id":"u1","country":"DE","currency":"EUR",
                 "amount":"12","status":"paid","created_at":"2026-11-24T10:00:00Z"}"""));
        assertThat(v).singleElement().satisfies(x -> {
            assertThat(x.field()).isEqualTo("amount");
            assertThat(x.rule()).isEqualTo("type");
        });
    }
}
