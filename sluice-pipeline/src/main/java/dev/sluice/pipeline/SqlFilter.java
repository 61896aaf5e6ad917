package dev.sluice.pipeline;

import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A view filter as a SQL condition, for stores that compute the view themselves (ClickHouse rollups). Covers the
 * part of CEL that has one obvious SQL meaning: comparisons, {@code &&}, {@code ||}, {@code !}, {@code in [...]},
 * literals and schema fields. Anything else is refused, naming what.
 */
public final class SqlFilter {
    private SqlFilter() {}

    private static final Map<String, String> BINARY = Map.of(
            "_==_", " = ",
            "_!=_", " != ",
            "_<_", " < ",
            "_<=_", " <= ",
            "_>_", " > ",
            "_>=_", " >= ",
            "_&&_", " AND ",
            "_||_", " OR ");

    /**
     * @param fields the schema fields the condition may read
     * @param ident how a field is quoted
     * @throws IllegalArgumentException naming the part that has no SQL translation
     */
    public static String toSql(Expressions.Compiled filter, Set<String> fields, UnaryOperator<String> ident) {
        return sql(filter.expr(), fields, ident);
    }

    private static String sql(CelExpr e, Set<String> fields, UnaryOperator<String> ident) {
        switch (e.getKind()) {
            case CONSTANT -> {
                return literal(e.constant());
            }
            case IDENT -> {
                String name = e.ident().name();
                if (!fields.contains(name)) {
                    throw new IllegalArgumentException("'" + name + "' is not a schema field");
                }
                return ident.apply(name);
            }
            case CALL -> {
                String f = e.call().function();
                List<CelExpr> args = e.call().args();
                if (e.call().target().isPresent()) {
                    throw new IllegalArgumentException("method call '" + f + "'");
                }
                if (BINARY.containsKey(f) && args.size() == 2) {
                    return "(" + sql(args.get(0), fields, ident) + BINARY.get(f) + sql(args.get(1), fields, ident)
                            + ")";
                }
                if (f.equals("!_") && args.size() == 1) {
                    return "(NOT " + sql(args.get(0), fields, ident) + ")";
                }
                if (f.equals("@in") && args.size() == 2 && args.get(1).getKind() == CelExpr.ExprKind.Kind.LIST) {
                    List<String> items = new ArrayList<>();
                    for (CelExpr item : args.get(1).list().elements()) {
                        if (item.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
                            throw new IllegalArgumentException("'in' needs a list of literals");
                        }
                        items.add(literal(item.constant()));
                    }
                    return "(" + sql(args.get(0), fields, ident) + " IN (" + String.join(", ", items) + "))";
                }
                throw new IllegalArgumentException("function '" + f.replace("_", "") + "'");
            }
            default -> throw new IllegalArgumentException(e.getKind().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    private static String literal(CelConstant c) {
        return switch (c.getKind()) {
            case BOOLEAN_VALUE -> c.booleanValue() ? "1" : "0";
            case INT64_VALUE -> Long.toString(c.int64Value());
            case UINT64_VALUE -> c.uint64Value().toString();
            case DOUBLE_VALUE -> Double.toString(c.doubleValue());
            case STRING_VALUE -> quote(c.stringValue());
            default ->
                throw new IllegalArgumentException(
                        "literal of kind " + c.getKind().name().toLowerCase(java.util.Locale.ROOT));
        };
    }

    /** A SQL string literal with backslash escapes (ClickHouse's; also valid MySQL-style SQL). */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> b.append("\\\\");
                case '\'' -> b.append("\\'");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\0' -> b.append("\\0");
                default -> b.append(ch);
            }
        }
        return b.append('\'').toString();
    }
}
