package dev.sluice.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelBuilder;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelUnknownSet;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiles the CEL expressions of a pipeline file ({@code derive} and {@code filter}) once, at load,
 * into {@link Expression}s that are then evaluated per event.
 *
 * <p>Variables are typed: a schema property's CEL type follows its JSON Schema {@code type}
 * ({@link Type#of(JsonNode)}), a derived field's type is the checked result type of its expression.
 * Numbers of different kinds compare with each other ({@code amount > 0} with a double {@code
 * amount}); arithmetic and equality still need the same kind ({@code amount * 2.0}, {@code amount ==
 * 1.0}).
 *
 * <p><b>Missing fields.</b> A variable whose field is absent from the event, or JSON {@code null},
 * has no value. If the result depends on it, evaluation fails with an {@link
 * Expression.ExpressionException} naming the field (the processor routes such an event to the
 * dead-letter topic). If the result does not depend on it, it does not matter: {@code false &&
 * coupon == "X"} is {@code false}, {@code true || coupon == "X"} is {@code true}.
 *
 * <p>Compiled expressions are immutable and thread-safe; the CEL program is built once and reused.
 */
public final class Expressions {

    private static final CelOptions OPTIONS =
            CelOptions.current().enableHeterogeneousNumericComparisons(true).build();

    private Expressions() {}

    /** The type of a variable, as far as expressions are concerned. */
    public enum Type {
        STRING(SimpleType.STRING),
        INT(SimpleType.INT),
        DOUBLE(SimpleType.DOUBLE),
        BOOL(SimpleType.BOOL),
        /** Anything else (objects, arrays, unions): checked at evaluation time. */
        DYN(SimpleType.DYN);

        private final CelType celType;

        Type(CelType celType) {
            this.celType = celType;
        }

        public String celName() {
            return celType.name();
        }

        public boolean isNumeric() {
            return this == INT || this == DOUBLE;
        }

        /**
         * The type of a JSON Schema property: {@code string}→STRING, {@code integer}→INT, {@code
         * number}→DOUBLE, {@code boolean}→BOOL, anything else→DYN. A type list with {@code null} and
         * one other type (["number", "null"]) counts as that type.
         */
        public static Type of(JsonNode propertySchema) {
            JsonNode t = propertySchema == null ? null : propertySchema.get("type");
            String name = null;
            if (t != null && t.isTextual()) {
                name = t.asText();
            } else if (t != null && t.isArray()) {
                for (JsonNode e : t) {
                    if (e.isTextual() && !e.asText().equals("null")) {
                        if (name != null) {
                            return DYN;
                        }
                        name = e.asText();
                    }
                }
            }
            if (name == null) {
                return DYN;
            }
            return switch (name) {
                case "string" -> STRING;
                case "integer" -> INT;
                case "number" -> DOUBLE;
                case "boolean" -> BOOL;
                default -> DYN;
            };
        }

        static Type of(CelType t) {
            CelKind k = t.kind();
            return switch (k) {
                case STRING -> STRING;
                case INT -> INT;
                case DOUBLE -> DOUBLE;
                case BOOL -> BOOL;
                default -> DYN;
            };
        }
    }

    /** One compile error; {@code line} is 1-based and {@code column} 0-based, within the expression. */
    public record CompileError(int line, int column, String message) {}

    /** An expression that does not parse or does not type-check. */
    public static final class CompileException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient List<CompileError> errors;

        public CompileException(String source, List<CompileError> errors) {
            super("'" + source + "': "
                    + String.join(
                            "; ", errors.stream().map(CompileError::message).toList()));
            this.errors = List.copyOf(errors);
        }

        public List<CompileError> errors() {
            return errors;
        }
    }

    /** The variables of a stream's schema: each property of {@code schema.properties}, in order. */
    public static Map<String, Type> variablesOf(JsonNode schema) {
        Map<String, Type> vars = new LinkedHashMap<>();
        JsonNode props = schema == null ? null : schema.get("properties");
        if (props != null && props.isObject()) {
            props.properties().forEach(e -> vars.put(e.getKey(), Type.of(e.getValue())));
        }
        return vars;
    }

    /**
     * Parses and type-checks {@code source} with the given variables, and builds its program.
     *
     * @throws CompileException with every error CEL reports
     */
    public static Compiled compile(String source, Map<String, Type> variables) throws CompileException {
        CelBuilder b = CelFactory.standardCelBuilder().setOptions(OPTIONS);
        variables.forEach((name, type) -> b.addVar(name, type.celType));
        Cel cel = b.build();
        CelValidationResult r = cel.compile(source);
        if (r.hasError()) {
            List<CompileError> errors = new ArrayList<>();
            for (CelIssue i : r.getErrors()) {
                errors.add(new CompileError(
                        Math.max(1, i.getSourceLocation().getLine()),
                        Math.max(0, i.getSourceLocation().getColumn()),
                        i.getMessage()));
            }
            throw new CompileException(source, errors);
        }
        try {
            CelAbstractSyntaxTree ast = r.getAst();
            CelRuntime.Program program = cel.createProgram(ast);
            return new Compiled(source, Type.of(ast.getResultType()), Map.copyOf(variables), program, ast.getExpr());
        } catch (CelValidationException | CelEvaluationException e) {
            throw new CompileException(source, List.of(new CompileError(1, 0, e.getMessage())));
        }
    }

    /**
     * An event (a JSON object) as the fields given to {@link Expression#eval}: strings, {@code Long}
     * for integers (Double beyond the long range), {@code Double} for other numbers, Boolean, null, and
     * List / Map for arrays and objects. The returned map is mutable (derived fields are added to it)
     * and keeps the event's field order. A non-object gives an empty map.
     */
    public static Map<String, Object> fieldsOf(JsonNode event) {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (event != null && event.isObject()) {
            event.properties().forEach(e -> fields.put(e.getKey(), valueOf(e.getValue())));
        }
        return fields;
    }

    /** A JSON value as Java, as in {@link #fieldsOf}. */
    public static Object valueOf(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return null;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? (Object) v.longValue() : (Object) v.doubleValue();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isArray()) {
            List<Object> list = new ArrayList<>(v.size());
            v.forEach(e -> list.add(valueOf(e)));
            return list;
        }
        if (v.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            v.properties().forEach(e -> map.put(e.getKey(), valueOf(e.getValue())));
            return map;
        }
        return v.asText();
    }

    /** A compiled, type-checked expression. */
    public static final class Compiled implements Expression {
        private final String source;
        private final Type resultType;
        private final Map<String, Type> variables;
        private final CelRuntime.Program program;
        private final dev.cel.common.ast.CelExpr expr;

        private Compiled(
                String source,
                Type resultType,
                Map<String, Type> variables,
                CelRuntime.Program program,
                dev.cel.common.ast.CelExpr expr) {
            this.expr = expr;
            this.source = source;
            this.resultType = resultType;
            this.variables = variables;
            this.program = program;
        }

        @Override
        public String source() {
            return source;
        }

        /** The checked type of the result (DYN when it is not a scalar or not known before evaluation). */
        public Type resultType() {
            return resultType;
        }

        /** The checked syntax tree, for translating the expression elsewhere ({@link SqlFilter}). */
        public dev.cel.common.ast.CelExpr expr() {
            return expr;
        }

        /** The variables the expression was compiled with. */
        public Map<String, Type> variables() {
            return variables;
        }

        @Override
        public Object eval(Map<String, Object> fields) {
            List<String> missing = new ArrayList<>(1);
            String[] badType = new String[1];
            Object result;
            try {
                result = program.eval(name -> {
                    Type type = variables.get(name);
                    Object raw = fields.get(name);
                    if (type == null || raw == null) {
                        missing.add(name);
                        return Optional.empty();
                    }
                    Object v = coerce(raw, type);
                    if (v == null) {
                        if (badType[0] == null) {
                            badType[0] = "field '" + name + "' is " + describe(raw) + ", not " + type.celName();
                        }
                        return Optional.empty();
                    }
                    return Optional.of(v);
                });
            } catch (CelEvaluationException e) {
                throw failure(missing, badType[0], e.getMessage(), e);
            } catch (RuntimeException e) {
                throw failure(missing, badType[0], String.valueOf(e.getMessage()), e);
            }
            if (result instanceof CelUnknownSet) {
                throw failure(missing, badType[0], "undefined result", null);
            }
            return fromCel(result);
        }

        private ExpressionException failure(List<String> missing, String badType, String message, Throwable cause) {
            String why;
            if (badType != null) {
                why = badType;
            } else if (!missing.isEmpty()) {
                why = "field '" + missing.get(0) + "' is missing from the event (absent or null)";
            } else {
                why = message;
            }
            return cause == null
                    ? new ExpressionException("'" + source + "': " + why)
                    : new ExpressionException("'" + source + "': " + why, cause);
        }

        @Override
        public String toString() {
            return source;
        }
    }

    /** A runtime value coerced to a declared type, or null when it cannot be. */
    static Object coerce(Object v, Type type) {
        switch (type) {
            case DOUBLE -> {
                return v instanceof Number n ? (Object) n.doubleValue() : null;
            }
            case INT -> {
                if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                    return ((Number) v).longValue();
                }
                if (v instanceof BigInteger b) {
                    return b.bitLength() < 64 ? (Object) b.longValue() : null;
                }
                if (v instanceof BigDecimal d) {
                    try {
                        return d.longValueExact();
                    } catch (ArithmeticException e) {
                        return null;
                    }
                }
                if (v instanceof Number n) {
                    double d = n.doubleValue();
                    return d == Math.rint(d) && Math.abs(d) < 0x1p63 ? (Object) (long) d : null;
                }
                return null;
            }
            case STRING -> {
                return v instanceof String ? v : v instanceof CharSequence cs ? cs.toString() : null;
            }
            case BOOL -> {
                return v instanceof Boolean ? v : null;
            }
            default -> {
                return toCel(v);
            }
        }
    }

    /** Numbers as Long or Double, recursively, for dyn values. */
    private static Object toCel(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b) {
            return b.bitLength() < 64 ? (Object) b.longValue() : (Object) b.doubleValue();
        }
        if (v instanceof BigDecimal || v instanceof Float) {
            return ((Number) v).doubleValue();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(e -> out.add(toCel(e)));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, e) -> out.put(k, toCel(e)));
            return out;
        }
        return v;
    }

    /** CEL results as plain Java: protobuf null → null, unsigned → Long. */
    private static Object fromCel(Object v) {
        if (v instanceof com.google.protobuf.NullValue) {
            return null;
        }
        if (v instanceof com.google.common.primitives.UnsignedLong u) {
            return u.longValue();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(e -> out.add(fromCel(e)));
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    private static String describe(Object v) {
        if (v instanceof String s) {
            return "the string \"" + s + "\"";
        }
        if (v instanceof Boolean || v instanceof Number) {
            return v.toString();
        }
        return "a "
                + (v instanceof List
                        ? "list"
                        : v instanceof Map ? "map" : v.getClass().getSimpleName());
    }
}
