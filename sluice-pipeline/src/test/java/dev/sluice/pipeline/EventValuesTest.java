package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.Expressions.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How an event's JSON becomes the values views derive, filter, group and measure (the processor calls
 * {@link Expressions#fieldsOf} on every event), how those values meet an expression's declared types, and the names a
 * pipeline gives its topics.
 */
class EventValuesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonValuesBecomeJavaValues() throws Exception {
        Map<String, Object> f = Expressions.fieldsOf(JSON.readTree("{\"s\":\"x\",\"b\":true,\"i\":7,\"big\":"
                + "1180591620717411303424,\"d\":2.5,\"n\":null,\"a\":[1,\"y\",[false]],\"o\":{\"k\":1.5,\"m\":{}}}"));
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("s", "x");
        expected.put("b", true);
        expected.put("i", 7L);
        expected.put("big", 1.1805916207174113E21);
        expected.put("d", 2.5);
        expected.put("n", null);
        expected.put("a", List.of(1L, "y", List.of(false)));
        expected.put("o", Map.of("k", 1.5, "m", Map.of()));
        assertThat(f).containsExactlyEntriesOf(expected);
        assertThat(Expressions.fieldsOf(JSON.readTree("[1]"))).isEmpty();
        assertThat(Expressions.fieldsOf(null)).isEmpty();
        assertThat(Expressions.valueOf(null)).isNull();
        assertThat(Expressions.valueOf(JSON.readTree("{}").path("absent"))).isNull();
    }

    @Test
    void valuesAreCoercedToTheDeclaredTypeOrRefused() {
        assertThat(Expressions.coerce(3L, Type.DOUBLE)).isEqualTo(3.0);
        assertThat(Expressions.coerce("3", Type.DOUBLE)).isNull();

        for (Object i : List.of(5, 5L, (short) 5, (byte) 5, BigInteger.valueOf(5), new BigDecimal("5.0"), 5.0, 5.0f)) {
            assertThat(Expressions.coerce(i, Type.INT))
                    .as(i.getClass().getSimpleName())
                    .isEqualTo(5L);
        }
        assertThat(Expressions.coerce(BigInteger.TWO.pow(63).subtract(BigInteger.ONE), Type.INT))
                .isEqualTo(Long.MAX_VALUE);
        assertThat(Expressions.coerce(BigInteger.TWO.pow(63), Type.INT)).isNull();
        assertThat(Expressions.coerce(new BigDecimal("5.5"), Type.INT)).isNull();
        assertThat(Expressions.coerce(5.5, Type.INT)).isNull();
        assertThat(Expressions.coerce(0x1p63, Type.INT)).isNull();
        assertThat(Expressions.coerce(-0x1p62, Type.INT)).isEqualTo(-(1L << 62));
        assertThat(Expressions.coerce("5", Type.INT)).isNull();

        assertThat(Expressions.coerce("x", Type.STRING)).isEqualTo("x");
        assertThat(Expressions.coerce(new StringBuilder("sb"), Type.STRING)).isEqualTo("sb");
        assertThat(Expressions.coerce(5, Type.STRING)).isNull();
        assertThat(Expressions.coerce(true, Type.BOOL)).isEqualTo(true);
        assertThat(Expressions.coerce("true", Type.BOOL)).isNull();
    }

    @Test
    void dynamicValuesCarryNumbersAsLongOrDouble() {
        assertThat(Expressions.coerce(5, Type.DYN)).isEqualTo(5L);
        assertThat(Expressions.coerce((short) 5, Type.DYN)).isEqualTo(5L);
        assertThat(Expressions.coerce((byte) 5, Type.DYN)).isEqualTo(5L);
        assertThat(Expressions.coerce(BigInteger.valueOf(5), Type.DYN)).isEqualTo(5L);
        assertThat(Expressions.coerce(BigInteger.TWO.pow(64), Type.DYN)).isEqualTo(1.8446744073709552E19);
        assertThat(Expressions.coerce(new BigDecimal("0.5"), Type.DYN)).isEqualTo(0.5);
        assertThat(Expressions.coerce(0.5f, Type.DYN)).isEqualTo(0.5);
        assertThat(Expressions.coerce("s", Type.DYN)).isEqualTo("s");
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("k", List.of(1, new BigDecimal("1.5")));
        assertThat(Expressions.coerce(nested, Type.DYN)).isEqualTo(Map.of("k", List.of(1L, 1.5)));
    }

    @Test
    void expressionResultsArePlainJava() throws Exception {
        Map<String, Type> none = Map.of();
        assertThat(Expressions.compile("[1, 2u, 'x']", none).eval(Map.of())).isEqualTo(List.of(1L, 2L, "x"));
        assertThat(Expressions.compile("null", none).eval(Map.of())).isNull();
        assertThat(Expressions.compile("7u", none).eval(Map.of())).isEqualTo(7L);
        assertThat(Expressions.compile("{'a': 1}", none).eval(Map.of())).isEqualTo(Map.of("a", 1L));
    }

    @Test
    void aFieldOfTheWrongTypeIsNamedWithItsValue() throws Exception {
        Map<String, Type> vars = Map.of("amount", Type.DOUBLE, "tags", Type.STRING, "ok", Type.BOOL);
        assertThatThrownBy(() -> Expressions.compile("amount > 1.0", vars).eval(Map.of("amount", "ten")))
                .hasMessage("'amount > 1.0': field 'amount' is the string \"ten\", not double");
        assertThatThrownBy(() -> Expressions.compile("tags == 'a'", vars).eval(Map.of("tags", List.of("a"))))
                .hasMessage("'tags == 'a'': field 'tags' is a list, not string");
        assertThatThrownBy(() -> Expressions.compile("tags == 'a'", vars).eval(Map.of("tags", Map.of())))
                .hasMessage("'tags == 'a'': field 'tags' is a map, not string");
        assertThatThrownBy(() -> Expressions.compile("ok", vars).eval(Map.of("ok", 1L)))
                .hasMessage("'ok': field 'ok' is 1, not bool");
        assertThatThrownBy(() -> Expressions.compile("amount > 1.0", vars).eval(Map.of()))
                .hasMessage("'amount > 1.0': field 'amount' is missing from the event (absent or null)");
    }

    @Test
    void schemaTypesBecomeExpressionTypes() throws Exception {
        assertThat(Type.of(JSON.readTree("{\"type\":\"string\"}"))).isEqualTo(Type.STRING);
        assertThat(Type.of(JSON.readTree("{\"type\":\"integer\"}"))).isEqualTo(Type.INT);
        assertThat(Type.of(JSON.readTree("{\"type\":\"number\"}"))).isEqualTo(Type.DOUBLE);
        assertThat(Type.of(JSON.readTree("{\"type\":\"boolean\"}"))).isEqualTo(Type.BOOL);
        assertThat(Type.of(JSON.readTree("{\"type\":\"object\"}"))).isEqualTo(Type.DYN);
        assertThat(Type.of(JSON.readTree("{\"type\":[\"number\",\"null\"]}"))).isEqualTo(Type.DOUBLE);
        assertThat(Type.of(JSON.readTree("{\"type\":[\"null\",\"integer\"]}"))).isEqualTo(Type.INT);
        assertThat(Type.of(JSON.readTree("{\"type\":[\"number\",\"string\"]}"))).isEqualTo(Type.DYN);
        assertThat(Type.of(JSON.readTree("{\"type\":[1,\"string\"]}"))).isEqualTo(Type.STRING);
        assertThat(Type.of(JSON.readTree("{}"))).isEqualTo(Type.DYN);
        assertThat(Type.of((com.fasterxml.jackson.databind.JsonNode) null)).isEqualTo(Type.DYN);
        assertThat(Type.INT.isNumeric()).isTrue();
        assertThat(Type.DOUBLE.isNumeric()).isTrue();
        assertThat(Type.STRING.isNumeric()).isFalse();
    }

    @Test
    void aPipelineNamesItsTopicsAndSubjects() throws Exception {
        var schema = JSON.readTree("{\"type\":\"object\"}");
        StreamDef orders = new StreamDef(
                "orders", Path.of("o.json"), schema, "id", "t", null, 1, Duration.ofDays(1), Duration.ofHours(1));
        StreamDef pays = new StreamDef(
                "pays",
                Path.of("p.avsc"),
                schema,
                "id",
                "t",
                null,
                1,
                Duration.ofDays(1),
                Duration.ofHours(1),
                "AVRO",
                "{}",
                "payments-v2",
                "src");
        ViewDef a = new ViewDef("a", "orders", Map.of(), null, null, List.of(), List.of());
        ViewDef b = new ViewDef("b", "pays", Map.of(), null, null, List.of(), List.of());
        Map<String, ViewDef> views = new LinkedHashMap<>();
        views.put("a", a);
        views.put("b", b);
        Pipeline p = new Pipeline(
                "shop", Path.of("p.yaml"), Map.of("orders", orders, "pays", pays), Map.of(), views, Map.of());
        assertThat(p.streamTopic("orders")).isEqualTo("shop.orders");
        assertThat(p.lateTopic("orders")).isEqualTo("shop.orders.late");
        assertThat(p.dlqTopic()).isEqualTo("shop.dlq");
        assertThat(p.viewTopic("a")).isEqualTo("shop.view.a");
        assertThat(p.applicationId()).isEqualTo("sluice-shop");
        assertThat(p.subject("orders")).isEqualTo("shop.orders-value");
        assertThat(p.subject("pays")).isEqualTo("payments-v2");
        assertThat(p.viewsOf("orders")).containsExactly(a);
        assertThat(p.viewsOf("pays")).containsExactly(b);
        assertThatThrownBy(() -> p.stream("refunds"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown stream 'refunds'");

        assertThat(orders.avro()).isFalse();
        assertThat(orders.schemaType()).isEqualTo("JSON");
        assertThat(orders.schemaText()).isEqualTo("{\"type\":\"object\"}");
        assertThat(orders.subject()).isNull();
        assertThat(orders.sourceTimeField()).isNull();
        assertThat(pays.avro()).isTrue();
        assertThat(new StreamDef("x", null, null, "id", "t", null, 1, null, null).schemaText())
                .isNull();
    }

    @Test
    void measuresAndRollupsHaveTheirNames() {
        assertThat(MeasureDef.Kind.COUNT_DISTINCT.keyword()).isEqualTo("count_distinct");
        assertThat(MeasureDef.Kind.COUNT.takesField()).isFalse();
        assertThat(MeasureDef.Kind.SUM.takesField()).isTrue();
        assertThat(MeasureDef.Kind.P50.quantileRank()).isEqualTo(0.50);
        assertThat(MeasureDef.Kind.P95.quantileRank()).isEqualTo(0.95);
        assertThat(MeasureDef.Kind.P99.quantileRank()).isEqualTo(0.99);
        assertThatThrownBy(MeasureDef.Kind.AVG::quantileRank).hasMessage("AVG is not a quantile");

        assertThat(ViewDef.rollupLabel(Duration.ofDays(2))).isEqualTo("2d");
        assertThat(ViewDef.rollupLabel(Duration.ofHours(6))).isEqualTo("6h");
        assertThat(ViewDef.rollupLabel(Duration.ofHours(36))).isEqualTo("36h");
        assertThat(ViewDef.rollupLabel(Duration.ofMinutes(15))).isEqualTo("15m");
        assertThat(ViewDef.rollupLabel(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(ViewDef.rollupLabel(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(new ViewDef("v", "s", Map.of(), null, null, List.of(), List.of()).sla())
                .isEqualTo(Duration.ofSeconds(5));
    }
}
