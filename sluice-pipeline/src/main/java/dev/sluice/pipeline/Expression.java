package dev.sluice.pipeline;

import java.util.Map;

/**
 * A compiled CEL expression from the pipeline file. Event fields are variables of the same name,
 * typed from the stream's JSON Schema (see {@link Expressions}); numbers of any kind compare with
 * each other. A field the result depends on that is absent or null makes {@link #eval} fail.
 */
public interface Expression {

    /** The expression as written. */
    String source();

    /**
     * Evaluates against an event's fields (JSON values as Java: String, Long, Double, Boolean, List,
     * Map, null).
     *
     * @throws ExpressionException when evaluation fails (a missing field, a type error)
     */
    Object eval(Map<String, Object> fields);

    /** Evaluates a filter: true keeps the event. A non-boolean result is an error. */
    default boolean test(Map<String, Object> fields) {
        Object v = eval(fields);
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ExpressionException("'" + source() + "' gave " + v + ", not a boolean");
    }

    final class ExpressionException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ExpressionException(String message) {
            super(message);
        }

        public ExpressionException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
