package dev.sluice.processor;

/**
 * A processor output tagged with where it goes. Lives only between a processor and the branch that
 * writes it to its topic, so it has no serde.
 */
public record Routed(Target target, Object value) {
    /**
     * The largest key plus value a processor writes. Kafka's default {@code max.request.size} is 1,048,576
     * bytes, and under exactly-once a record over it fails the transaction and the stream thread, on every
     * retry; a record can be larger than the event that made it (a view's repartition record carries the event
     * and its measure inputs), so processors check their records against this and dead-letter the event
     * instead. Sources refuse events over {@code dev.sluice.sources.Admission#MAX_EVENT_BYTES}, below it.
     */
    public static final int MAX_RECORD_BYTES = 1_000_000;

    public enum Target {
        /** The next step of the view. */
        NEXT,
        /** The pipeline's dead-letter topic; the reason is in the record's headers. */
        DLQ,
        /** The stream's late topic. */
        LATE,
        /** The view's update topic. */
        VIEW,
        /** The stream's accepted-records topic ({@link dev.sluice.wire.Accepted}). */
        ACCEPTED
    }

    public static Routed next(Object value) {
        return new Routed(Target.NEXT, value);
    }

    public static Routed dlq(byte[] raw) {
        return new Routed(Target.DLQ, raw);
    }

    public byte[] bytes() {
        return (byte[]) value;
    }
}
