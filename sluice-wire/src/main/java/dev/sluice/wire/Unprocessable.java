package dev.sluice.wire;

/**
 * An event a view cannot compute, with what the dead-letter headers need: the offending field and the rule.
 * Thrown before any state is changed, so the caller dead-letters the event and goes on.
 */
public final class Unprocessable extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final String rule;

    public Unprocessable(String field, String rule, String message) {
        super(message);
        this.field = field;
        this.rule = rule;
    }

    /** The offending field, or null when it is the event as a whole. */
    public String field() {
        return field;
    }

    /** The rule broken, as in the {@code sluice.error.rule} header. */
    public String rule() {
        return rule;
    }
}
