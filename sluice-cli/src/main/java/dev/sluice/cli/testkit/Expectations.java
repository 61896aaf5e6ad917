package dev.sluice.cli.testkit;

import dev.sluice.pipeline.TestFile;
import dev.sluice.pipeline.ViewDef;
import java.math.BigInteger;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares what a case produced with what its test file expects, and words each difference as
 * {@code file:line: case 'name': view v: row {…}: orders expected 3, got 2}, pointing at the line of the expected
 * value.
 *
 * <p>A view's rows are compared as a set: every expected row must match one stored row on the fields it gives, and
 * every stored row must be matched (else it is an unexpected row). Rows are first paired where all given fields are
 * equal; an expected row left over is paired with a stored row of the same window and group (those of its fields it
 * gives) and its differing fields are named, or else reported missing. Numbers are compared exactly: integers as
 * integers, others as the nearest double to what is written (sums are exact decimals in the store, so
 * {@code 0.1 + 0.2} reads {@code 0.3}); count_distinct and quantiles too, since on a test's few values the sketches
 * are exact. Times compare as instants, so {@code 10:00:00Z} equals {@code 10:00:00.000Z}.
 */
final class Expectations {
    private Expectations() {}

    static List<String> check(TestFile file, TestFile.Case c, CaseRunner.Outcome o) {
        List<String> failures = new ArrayList<>();
        String prefix = file.file() + ":";
        String at = ": case '" + c.name() + "': ";
        if (c.refused() == null) {
            for (CaseRunner.Refusal r : o.refused()) {
                failures.add(prefix + r.line() + at + r.stream() + " event refused by the contract: " + r.reason()
                        + " (expect 'refused: N' when that is intended)");
            }
        } else {
            tally(
                    failures,
                    prefix + c.refused().line() + at,
                    "refused",
                    c.refused(),
                    o.refused().stream()
                            .map(r -> r.stream() + ": " + r.reason())
                            .toList());
        }
        if (c.dlq() != null) {
            tally(
                    failures,
                    prefix + c.dlq().line() + at,
                    "dlq",
                    c.dlq(),
                    o.dlq().stream().map(CaseRunner.DeadLettered::text).toList());
        }
        if (c.late() != null) {
            String p = prefix + c.late().line() + at;
            if (c.late().total() != null) {
                long got = o.late().values().stream().mapToLong(Long::longValue).sum();
                if (got != c.late().total()) {
                    failures.add(p + "late expected " + c.late().total() + ", got " + got + " " + o.late());
                }
            } else {
                c.late().byView().forEach((view, expected) -> {
                    long got = o.late().getOrDefault(view, 0L);
                    if (got != expected) {
                        failures.add(p + "late." + view + " expected " + expected + ", got " + got);
                    }
                });
            }
        }
        for (TestFile.ViewExpect v : c.views()) {
            rows(
                    failures,
                    prefix,
                    at,
                    file.pipeline().views().get(v.view()),
                    v,
                    o.rows().get(v.view()));
        }
        return failures;
    }

    private static void tally(List<String> failures, String p, String what, TestFile.Tally t, List<String> got) {
        if (got.size() != t.count()) {
            failures.add(
                    p + what + " expected " + t.count() + ", got " + got.size() + (got.isEmpty() ? "" : ": " + got));
            return;
        }
        if (t.reasons() != null) {
            for (int i = 0; i < got.size(); i++) {
                if (!got.get(i).contains(t.reasons().get(i))) {
                    failures.add(p + what + "[" + i + "] expected a reason containing '"
                            + t.reasons().get(i) + "', got '" + got.get(i) + "'");
                }
            }
        }
    }

    private static void rows(
            List<String> failures,
            String prefix,
            String at,
            ViewDef view,
            TestFile.ViewExpect expected,
            List<Map<String, Object>> stored) {
        String p = at + "view " + view.name() + ": ";
        List<Map<String, Object>> left = new ArrayList<>(stored);
        List<TestFile.Row> unpaired = new ArrayList<>();
        for (TestFile.Row row : expected.rows()) {
            Map<String, Object> match = left.stream()
                    .filter(s -> differences(row, s, view).isEmpty())
                    .findFirst()
                    .orElse(null);
            if (match == null) {
                unpaired.add(row);
            } else {
                left.remove(match);
            }
        }
        for (TestFile.Row row : unpaired) {
            Map<String, Object> same = left.stream()
                    .filter(s -> row.fields().entrySet().stream()
                            .filter(f -> isIdentity(f.getKey(), view))
                            .allMatch(f -> equal(f.getValue(), s.get(f.getKey()))))
                    .findFirst()
                    .orElse(null);
            if (same == null) {
                failures.add(prefix + row.line() + p + "missing row " + row.text());
            } else {
                left.remove(same);
                failures.add(prefix + row.line() + p + "row " + row.text() + ": "
                        + String.join("; ", differences(row, same, view)));
            }
        }
        for (Map<String, Object> s : left) {
            failures.add(prefix + expected.line() + p + "unexpected row " + text(s, view));
        }
    }

    private static boolean isIdentity(String column, ViewDef view) {
        return column.equals("window_start")
                || column.equals("window_end")
                || view.groupBy().contains(column);
    }

    private static List<String> differences(TestFile.Row row, Map<String, Object> stored, ViewDef view) {
        List<String> out = new ArrayList<>();
        row.fields().forEach((column, expected) -> {
            Object got = stored.get(column);
            if (!equal(expected, got)) {
                out.add(column + " expected " + show(expected) + ", got " + show(got));
            }
        });
        return out;
    }

    static boolean equal(Object expected, Object got) {
        if (expected == null || got == null) {
            return expected == got;
        }
        if (expected instanceof Number e && got instanceof Number g) {
            if (integral(e) && integral(g)) {
                return new BigInteger(e.toString()).equals(new BigInteger(g.toString()));
            }
            return Double.compare(e.doubleValue(), g.doubleValue()) == 0;
        }
        if (expected instanceof String e && got instanceof String g) {
            if (e.equals(g)) {
                return true;
            }
            Long te = instant(e);
            return te != null && te.equals(instant(g));
        }
        if (expected instanceof Number e && got instanceof String g && integral(e)) {
            return Objects.equals(e.longValue(), instant(g)); // a time given in epoch milliseconds
        }
        if (expected instanceof String e && !(got instanceof String)) {
            return e.equals(got.toString());
        }
        return expected.equals(got);
    }

    private static boolean integral(Number n) {
        return n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof BigInteger;
    }

    private static Long instant(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String show(Object v) {
        return v == null ? "null" : v.toString();
    }

    /** A stored row as a test file would give it: window start (for a windowed view), group and measures. */
    private static String text(Map<String, Object> row, ViewDef view) {
        StringBuilder sb = new StringBuilder("{");
        row.forEach((column, value) -> {
            boolean shown = view.window() != null ? !column.equals("window_end") : !column.startsWith("window_");
            if (shown && !column.equals("version")) {
                sb.append(sb.length() == 1 ? "" : ", ")
                        .append(column)
                        .append(": ")
                        .append(show(value));
            }
        });
        return sb.append('}').toString();
    }
}
