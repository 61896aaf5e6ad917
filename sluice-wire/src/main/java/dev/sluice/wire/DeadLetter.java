package dev.sluice.wire;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers a dead-lettered event carries in {@code <pipeline>.dlq}. The record's value is the
 * event exactly as received, so it can be fixed and replayed.
 */
public final class DeadLetter {
    /** Where it failed: {@code validate} (contract) or {@code process} (a view). */
    public static final String STAGE = "sluice.error.stage";
    /** A human explanation naming the field and the rule. */
    public static final String REASON = "sluice.error.reason";
    /** The offending field, when one is known. */
    public static final String FIELD = "sluice.error.field";
    /** The rule broken (a JSON Schema keyword, {@code json}, {@code expression}, …). */
    public static final String RULE = "sluice.error.rule";
    /** The source that received it: a source name, or {@code topic/partition@offset}. */
    public static final String ORIGIN = "sluice.origin";
    /** The stream it was meant for. */
    public static final String STREAM = "sluice.stream";
    /** The view that could not process it, for stage {@code process}. */
    public static final String VIEW = "sluice.view";
    /** The table that could not take it, for stage {@code process}. */
    public static final String TABLE = "sluice.table";

    /**
     * The largest value a dead letter carries whole. A dead letter must fit a Kafka request (1 MiB by
     * default) with its headers, or writing it fails the processor's transaction on every retry; a larger
     * message (the broker takes up to 1 MiB on a source topic) is dead-lettered without its value: its
     * origin header says where it is.
     */
    public static final int MAX_VALUE_BYTES = 1_000_000;

    /** The longest reason a dead letter carries (a huge event can break thousands of rules). */
    public static final int MAX_REASON_CHARS = 4_000;

    private DeadLetter() {}

    /** The value a dead letter carries: {@code raw}, or null when it is over {@link #MAX_VALUE_BYTES}. */
    public static byte[] value(byte[] raw) {
        return raw == null || raw.length <= MAX_VALUE_BYTES ? raw : null;
    }

    /**
     * The dead-letter headers on top of {@code base}. Pass the value through {@link #value} and, when it was
     * dropped, say so in the reason (see {@link #tooLargeNote}).
     */
    public static Headers headers(
            Headers base, String stage, String stream, String field, String rule, String reason, String origin) {
        Headers h = new RecordHeaders(base == null ? new RecordHeaders().toArray() : base.toArray());
        put(h, STAGE, stage);
        put(h, STREAM, stream);
        put(h, FIELD, field);
        put(h, RULE, rule);
        if (reason != null && reason.length() > MAX_REASON_CHARS) {
            reason = reason.substring(0, MAX_REASON_CHARS) + "… (" + reason.length() + " characters)";
        }
        put(h, REASON, reason);
        put(h, ORIGIN, origin);
        return h;
    }

    /** What to add to a reason when the value was dropped: empty when it is carried. */
    public static String tooLargeNote(byte[] raw) {
        return value(raw) == raw
                ? ""
                : " (the message, " + raw.length + " bytes, is too large to carry here: read it at its origin)";
    }

    public static void put(Headers h, String name, String value) {
        h.remove(name);
        if (value != null) {
            h.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    public static String get(Headers h, String name) {
        var header = h.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
