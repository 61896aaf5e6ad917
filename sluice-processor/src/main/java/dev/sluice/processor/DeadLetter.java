package dev.sluice.processor;

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

    private DeadLetter() {}

    public static Headers headers(
            Headers base, String stage, String stream, String field, String rule, String reason, String origin) {
        Headers h = new RecordHeaders(base == null ? new RecordHeaders().toArray() : base.toArray());
        put(h, STAGE, stage);
        put(h, STREAM, stream);
        put(h, FIELD, field);
        put(h, RULE, rule);
        put(h, REASON, reason);
        put(h, ORIGIN, origin);
        return h;
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
