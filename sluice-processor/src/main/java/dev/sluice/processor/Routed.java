package dev.sluice.processor;

/**
 * A processor output tagged with where it goes. Lives only between a processor and the branch that
 * writes it to its topic, so it has no serde.
 */
public record Routed(Target target, Object value) {

    public enum Target {
        /** The next step of the view. */
        NEXT,
        /** The pipeline's dead-letter topic; the reason is in the record's headers. */
        DLQ,
        /** The stream's late topic. */
        LATE,
        /** The view's update topic. */
        VIEW
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
