package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ExpressionsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, Expressions.Type> ORDERS = new LinkedHashMap<>();

    static {
        ORDERS.put("status", Expressions.Type.STRING);
        ORDERS.put("amount", Expressions.Type.DOUBLE);
        ORDERS.put("quantity", Expressions.Type.INT);
        ORDERS.put("country", Expressions.Type.STRING);
        ORDERS.put("currency", Expressions.Type.STRING);
        ORDERS.put("gift", Expressions.Type.BOOL);
        ORDERS.put("tags", Expressions.Type.DYN);
    }

    static Map<String, Object> event(String json) throws Exception {
        return Expressions.fieldsOf(JSON.readTree(json));
    }

    /** A joined table's fields are variables named {@code <table>.<field>} (docs/architecture.md, planned joins). */
    @Test
    void dottedVariableNamesResolveAsDeclared() throws Exception {
        Map<String, Expressions.Type> vars =
                Map.of("qty", Expressions.Type.DOUBLE, "last_price.price", Expressions.Type.DOUBLE);
        Expressions.Compiled c = Expressions.compile("qty * last_price.price", vars);
        assertThat(c.resultType()).isEqualTo(Expressions.Type.DOUBLE);
        assertThat(c.eval(Map.of("qty", 2.0, "last_price.price", 3.5))).isEqualTo(7.0);
        assertThatThrownBy(() -> Expressions.compile("qty * last_price.pricee", vars))
                .isInstanceOf(Expressions.CompileException.class)
                .hasMessageContaining("undeclared reference to 'last_price'");
    }

    @Test
    void schemaTypesBecomeVariableTypes() throws Exception {
        JsonNode schema = JSON.readTree("""
                {"properties": {"s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
                 "b": {"type": "boolean"}, "o": {"type": "object"}, "x": {}, "ni": {"type": ["integer", "null"]},
                 "u": {"type": ["integer", "string"]}}}""");
        assertThat(Expressions.variablesOf(schema))
                .containsExactly(
                        Map.entry("s", Expressions.Type.STRING),
                        Map.entry("i", Expressions.Type.INT),
                        Map.entry("n", Expressions.Type.DOUBLE),
                        Map.entry("b", Expressions.Type.BOOL),
                        Map.entry("o", Expressions.Type.DYN),
                        Map.entry("x", Expressions.Type.DYN),
                        Map.entry("ni", Expressions.Type.INT),
                        Map.entry("u", Expressions.Type.DYN));
    }

    @Test
    void typicalExpressionsWork() throws Exception {
        Map<String, Object> e = event("""
                {"status": "paid", "amount": 12, "quantity": 2, "country": "US", "currency": "USD", "gift": false,
                 "tags": ["a", "b"]}""");
        assertThat(Expressions.compile("status == \"paid\"", ORDERS).test(e)).isTrue();
        assertThat(Expressions.compile("amount > 0", ORDERS).test(e))
                .as("int literal vs double")
                .isTrue();
        assertThat(Expressions.compile("amount * 2.0 > 10.0", ORDERS).test(e)).isTrue();
        assertThat(Expressions.compile("country + \"-\" + currency", ORDERS).eval(e))
                .isEqualTo("US-USD");
        assertThat(Expressions.compile("quantity * 3", ORDERS).eval(e)).isEqualTo(6L);
        assertThat(Expressions.compile("amount * double(quantity)", ORDERS).eval(e))
                .isEqualTo(24.0);
        assertThat(Expressions.compile("!gift && size(tags) == 2", ORDERS).test(e))
                .isTrue();
        assertThat(Expressions.compile("status in [\"paid\", \"refunded\"]", ORDERS)
                        .test(e))
                .isTrue();

        Expressions.Compiled c = Expressions.compile("country + \"-\" + currency", ORDERS);
        assertThat(c.resultType()).isEqualTo(Expressions.Type.STRING);
        assertThat(c.source()).isEqualTo("country + \"-\" + currency");
        assertThat(Expressions.compile("amount * 2.0", ORDERS).resultType()).isEqualTo(Expressions.Type.DOUBLE);
        assertThat(Expressions.compile("amount > 1", ORDERS).resultType()).isEqualTo(Expressions.Type.BOOL);
        assertThat(Expressions.compile("tags", ORDERS).resultType()).isEqualTo(Expressions.Type.DYN);
    }

    @Test
    void runtimeNumbersAreCoercedToTheDeclaredType() {
        Expression gt = compile("amount > 10.5 && quantity == 3");
        for (Object amount : List.of(11, 11L, 11.0, 11.0f, new BigDecimal("11.00"), (short) 11)) {
            for (Object quantity : List.of(3, 3L, 3.0, new BigDecimal("3"), java.math.BigInteger.valueOf(3))) {
                Map<String, Object> e = new HashMap<>();
                e.put("amount", amount);
                e.put("quantity", quantity);
                assertThat(gt.test(e))
                        .as("%s %s", amount.getClass(), quantity.getClass())
                        .isTrue();
            }
        }
    }

    @Test
    void compileErrorsAreReported() {
        assertThatThrownBy(() -> Expressions.compile("amount > \"x\"", ORDERS))
                .isInstanceOf(Expressions.CompileException.class)
                .satisfies(ex -> assertThat(((Expressions.CompileException) ex).errors())
                        .singleElement()
                        .satisfies(err -> {
                            assertThat(err.line()).isEqualTo(1);
                            assertThat(err.column()).isEqualTo(7);
                            assertThat(err.message()).contains("no matching overload for '_>_'");
                        }));
        assertThatThrownBy(() -> Expressions.compile("unknown_field == 1", ORDERS))
                .isInstanceOf(Expressions.CompileException.class)
                .hasMessageContaining("undeclared reference to 'unknown_field'");
        assertThatThrownBy(() -> Expressions.compile("amount >", ORDERS))
                .isInstanceOf(Expressions.CompileException.class);
    }

    @Test
    void aMissingFieldFailsOnlyWhenTheResultDependsOnIt() throws Exception {
        Expression paid = compile("status == \"paid\"");
        assertThatThrownBy(() -> paid.test(event("{\"amount\": 1}")))
                .isInstanceOf(Expression.ExpressionException.class)
                .hasMessage("'status == \"paid\"': field 'status' is missing from the event (absent or null)");
        assertThatThrownBy(() -> paid.test(event("{\"status\": null}")))
                .isInstanceOf(Expression.ExpressionException.class)
                .hasMessageContaining("field 'status' is missing");

        assertThat(compile("amount > 5.0 && status == \"paid\"").test(event("{\"amount\": 1}")))
                .isFalse();
        assertThat(compile("amount < 5.0 || status == \"paid\"").test(event("{\"amount\": 1}")))
                .isTrue();
    }

    @Test
    void wrongRuntimeTypesAndNonBooleanFiltersFail() throws Exception {
        assertThatThrownBy(() -> compile("amount > 1.0").test(event("{\"amount\": \"lots\"}")))
                .isInstanceOf(Expression.ExpressionException.class)
                .hasMessage("'amount > 1.0': field 'amount' is the string \"lots\", not double");
        assertThatThrownBy(() -> compile("quantity > 1").test(event("{\"quantity\": 2.5}")))
                .isInstanceOf(Expression.ExpressionException.class)
                .hasMessageContaining("field 'quantity' is 2.5, not int");
        assertThatThrownBy(() -> compile("country").test(event("{\"country\": \"US\"}")))
                .isInstanceOf(Expression.ExpressionException.class)
                .hasMessageContaining("not a boolean");
        assertThatThrownBy(() -> compile("quantity / 0").eval(event("{\"quantity\": 2}")))
                .isInstanceOf(Expression.ExpressionException.class)
                .hasMessageStartingWith("'quantity / 0': ");
    }

    @Test
    void fieldsOfConvertsJson() throws Exception {
        Map<String, Object> f = event("""
                {"s": "x", "i": 7, "big": 12345678901234567890, "d": 1.5, "b": true, "n": null,
                 "a": [1, "two", 3.0], "o": {"k": 1}}""");
        assertThat(f)
                .containsEntry("s", "x")
                .containsEntry("i", 7L)
                .containsEntry("big", 1.2345678901234567E19)
                .containsEntry("d", 1.5)
                .containsEntry("b", true)
                .containsEntry("n", null)
                .containsEntry("a", List.of(1L, "two", 3.0))
                .containsEntry("o", Map.of("k", 1L));
        assertThat(f.keySet()).containsExactly("s", "i", "big", "d", "b", "n", "a", "o");
        f.put("derived", 1); // mutable
        assertThat(Expressions.fieldsOf(JSON.readTree("[1]"))).isEmpty();
    }

    @Test
    void evaluationIsThreadSafe() throws Exception {
        Expression e = compile("amount * double(quantity)");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int base = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        Object v = e.eval(Map.of("amount", (double) base, "quantity", (long) i));
                        if (!v.equals((double) base * i)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdown();
        }
    }

    static Expression compile(String source) {
        try {
            return Expressions.compile(source, ORDERS);
        } catch (Expressions.CompileException e) {
            throw new AssertionError(e);
        }
    }
}
