package dev.sluice.schema;

/**
 * One broken rule of a stream's contract.
 *
 * @param field the offending field ({@code $} for the event as a whole)
 * @param rule the JSON Schema keyword that failed ({@code required}, {@code type}, {@code enum}, …)
 * @param message a human explanation
 */
public record Violation(String field, String rule, String message) {
    @Override
    public String toString() {
        return field + ": " + message + " (" + rule + ")";
    }
}
